#!/usr/bin/env python3
"""Checks the project's prose: every relative link in README.md and docs/*.md resolves (the
file exists; a #fragment names a heading of the target page), and the README stays a short
guide (at most 250 lines). Usage: scripts/check-docs.py [ROOT]. Exit 1 with one line per problem."""
import os
import re
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
pages = [os.path.join(root, "README.md")]
docs = os.path.join(root, "docs")
if os.path.isdir(docs):
    pages += sorted(os.path.join(docs, f) for f in os.listdir(docs) if f.endswith(".md"))

LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def strip_code(text):
    """Text outside fenced code blocks and inline code spans."""
    out, fence = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fence = not fence
            out.append("")
            continue
        out.append("" if fence else re.sub(r"`[^`]*`", "", line))
    return out


def anchors(path):
    """GitHub-style heading slugs of a Markdown file."""
    slugs, seen = set(), {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    fence = False
    for line in lines:
        if line.lstrip().startswith("```"):
            fence = not fence
            continue
        m = None if fence else re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        slugs.add(slug if n == 0 else f"{slug}-{n}")
    return slugs


problems = []
for page in pages:
    rel_page = os.path.relpath(page, root)
    with open(page, encoding="utf-8") as f:
        text = f.read()
    if page.endswith("README.md") and os.path.dirname(page) == root:
        n = text.count("\n")
        if n > 250:
            problems.append(f"{rel_page}: {n} lines; the README is a newcomer's guide of at most 250 lines (move detail to docs/)")
    for lineno, line in enumerate(strip_code(text), 1):
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            path, _, fragment = target.partition("#")
            dest = page if path == "" else os.path.normpath(os.path.join(os.path.dirname(page), path))
            if not os.path.exists(dest):
                problems.append(f"{rel_page}:{lineno}: link to {target}: {os.path.relpath(dest, root)} does not exist")
                continue
            if fragment and dest.endswith(".md") and fragment not in anchors(dest):
                problems.append(f"{rel_page}:{lineno}: link to {target}: no heading '#{fragment}' in {os.path.relpath(dest, root)}")

for p in problems:
    print(p)
if problems:
    sys.exit(1)
print(f"check-docs: {len(pages)} pages, every relative link resolves")
