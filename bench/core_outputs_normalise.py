#!/usr/bin/python3
"""Normalisation for bench/core_outputs.sh: what differs between two runs of the same seeds
(times, durations, the temporary folder, process ids, CPU seconds) becomes a fixed token, so that
two runs of the same code give the same bytes.

  text WORK < in > out              a terminal output, a report file, a JSON file
  json WORK < in > out              a JSON output (times and durations by their keys)
  result WORK FILE > out            a results/task-N.json file (JSON, keys sorted)
  dump-db WORK DB [TABLE...] > out  a database as sorted text
  fix-db DB COPY                    a copy of DB with fixed times and power samples
"""
import json
import re
import shutil
import sqlite3
import sys

TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?")
STAMP = re.compile(r"\d{8}T\d{6}Z?")
# durations as the terminal and the reports write them: 1.2 s, 350 ms, 2 min 3 s, 1 h 2 min, 0:01:02
DURATION = re.compile(r"\b\d+(\.\d+)?\s?(ms|s|min|h)\b(\s\d+(\.\d+)?\s?(ms|s|min))*")
CLOCK = re.compile(r"\b\d+:\d\d(:\d\d)?\b")
PIDISH = re.compile(r"-(\d+)-[0-9a-f]{16}\b")
HEXID = re.compile(r"\b[0-9a-f]{32}\b")
SLURM_JOB = re.compile(r"\b(job array|job|jobs|Slurm job array|array job) \d+")
# run details and meta whose values are times, CPU seconds or paths of this machine's run
VOLATILE_DETAILS = {"cpu_s", "machine_cpu_s", "meter_window_s", "attributed_share", "stderr_tail", "slurm_job_id",
                    "slurm_array_job_id", "slurm_array_task_id", "slurm_nodelist", "slurm_restart_count",
                    "slurm_cpus_on_node", "wall_s", "attributed_j"}
VOLATILE_KEYS = re.compile(r"(_at$|^duration|_s$|hours|seconds|wall|elapsed|^time$|cpu_s|result_id|window)")


def text(work, s):
    s = s.replace(work, "<WORK>")
    s = TIME.sub("<TIME>", s)
    s = STAMP.sub("<STAMP>", s)
    s = PIDISH.sub("-<PID>-<RANDOM>", s)
    s = HEXID.sub("<ID>", s)
    s = SLURM_JOB.sub(lambda m: m.group(1) + " <JOB>", s)
    s = DURATION.sub("<DUR>", s)
    s = CLOCK.sub("<CLOCK>", s)
    return s


def volatile_key(key):
    return key in VOLATILE_DETAILS or key == "samples" or (
        VOLATILE_KEYS.search(key) and key not in ("timeout_s", "cooldown_s", "baseline_s"))


KEY_LINE = re.compile(r'^(\s*"([^"]+)": )([^{\[].*?)(,?)$')


def json_text(work, s):
    """JSON as the program wrote it (one key per line): only the values of volatile keys replaced,
    every other byte kept (a change in how numbers are written shows)."""
    out = []
    for line in s.split("\n"):
        m = KEY_LINE.match(line)
        if m and volatile_key(m.group(2)):
            line = m.group(1) + '"<VOLATILE>"' + m.group(4)
        out.append(line)
    return text(work, "\n".join(out))


def fix_json(work, v, key=""):
    if volatile_key(key):
        return "<VOLATILE>"
    if isinstance(v, dict):
        return {k: fix_json(work, x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [fix_json(work, x, key) for x in v]
    if isinstance(v, str):
        return text(work, v)
    return v


def dump_db(work, db, tables):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for t in names:
        if tables and t not in tables:
            continue
        cur = con.execute("SELECT * FROM %s" % t)
        cols = [d[0] for d in cur.description]
        rows = []
        if t == "power_samples":
            print("== power_samples (count varies: not compared)")
            continue
        for r in cur.fetchall():
            d = dict(zip(cols, r))
            if t == "run_details" and d["key"] in VOLATILE_DETAILS:
                d["value"] = "<VOLATILE>"
            if t == "run_details" and d["key"] == "train_result":
                d["value"] = json.dumps(fix_json(work, json.loads(d["value"])), sort_keys=True)
            if t == "run_energy":
                d["attributed_j"] = "<VOLATILE>"
            if t == "meta" and (VOLATILE_KEYS.search(d["key"]) or d["key"] in ("idle_baseline_w", "study_id")):
                d["value"] = "<VOLATILE>"
            for c in ("started_at", "finished_at", "duration_s", "result_id"):
                if c in d and d[c] is not None:
                    d[c] = "<VOLATILE>"
            rows.append(json.dumps({k: (text(work, v) if isinstance(v, str) else v) for k, v in d.items()},
                                   sort_keys=True))
        print("== %s (%d rows)" % (t, len(rows)))
        for r in sorted(rows):
            print(r)


def fix_db(db, copy):
    shutil.copyfile(db, copy)
    con = sqlite3.connect(copy)
    con.execute("UPDATE runs SET started_at = printf('2026-01-01T00:%02d:00Z', id % 60), "
                "finished_at = printf('2026-01-01T01:%02d:00Z', id % 60), duration_s = 1 + id * 0.25 "
                "WHERE started_at IS NOT NULL")
    for k in VOLATILE_DETAILS:
        con.execute("UPDATE run_details SET value = '0.5' WHERE key = ?", (k,))
    con.execute("UPDATE run_details SET value = 'normalised' WHERE key IN ('stderr_tail', 'stdout_log', 'stderr_log')")
    con.execute("UPDATE meta SET value = '2026-01-01T02:00:00Z' WHERE key LIKE '%_at'")
    con.execute("UPDATE run_energy SET attributed_j = joules / 2 WHERE attributed_j IS NOT NULL")
    con.execute("UPDATE meta SET value = '0123456789abcdef0123456789abcdef' WHERE key = 'study_id'")
    con.execute("DELETE FROM power_samples")
    for (rid,) in con.execute("SELECT id FROM runs WHERE started_at IS NOT NULL").fetchall():
        for i in range(5):
            con.execute("INSERT INTO power_samples(run_id, t_s, domain, watts, source) VALUES (?, ?, 'cpu_package', ?, 'rapl')",
                        (rid, 0.1 * i, 10 + rid % 7 + i))
    con.commit()
    con.execute("VACUUM")
    con.close()


def main():
    cmd = sys.argv[1]
    if cmd == "text":
        sys.stdout.write(text(sys.argv[2], sys.stdin.read()))
    elif cmd == "json":
        sys.stdout.write(json_text(sys.argv[2], sys.stdin.read()))
    elif cmd == "result":
        with open(sys.argv[3]) as f:
            print(json.dumps(fix_json(sys.argv[2], json.load(f)), sort_keys=True, indent=1))
    elif cmd == "dump-db":
        dump_db(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == "fix-db":
        fix_db(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: core_outputs_normalise.py text|result|dump-db|fix-db ...")


if __name__ == "__main__":
    main()
