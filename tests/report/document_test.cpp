// Tables in HTML, Markdown and CSV, and the page skeleton.
#include <gtest/gtest.h>

#include "greentune/report/document.hpp"

using namespace greentune::report;

TEST(ReportDocument, CsvQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  Table t{"caption", {"name", "value"}, {{Cell("x,y"), Cell("1.23", "1.2345678901234567")}}};
  EXPECT_EQ(table_csv(t), "name,value\n\"x,y\",1.2345678901234567\n");
}

TEST(ReportDocument, MarkdownEscapesPipes) {
  Table t{"Energy | time", {"a", "b"}, {{Cell("x|y"), Cell("line\nbreak")}}};
  std::string md = table_markdown(t);
  EXPECT_EQ(md, "**Energy \\| time**\n\n| a | b |\n| --- | --- |\n| x\\|y | line break |\n");
}

TEST(ReportDocument, HtmlTableEscapesCells) {
  Table t{"<caption>", {"<th>"}, {{Cell("<script>alert(1)</script>", "", "win")}}};
  std::string html = table_html(t);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"win\">"), std::string::npos);
  EXPECT_NE(html.find("<caption>&lt;caption&gt;</caption>"), std::string::npos);
}

TEST(ReportDocument, PageHasTocSectionsAndNoExternalResources) {
  HtmlPage page("Title & <more>", "sub");
  page.add_section("First Section!", "First", "<p>one</p>");
  page.add_section("second", "Second <2>", paragraph("two <b>"));
  std::string html = page.str();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<title>Title &amp; &lt;more&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#first-section\">First</a>"), std::string::npos);
  EXPECT_NE(html.find("<section id=\"first-section\""), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#second\">Second &lt;2&gt;</a>"), std::string::npos);
  EXPECT_NE(html.find("<p>two &lt;b&gt;</p>"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  for (const char* bad : {"http://", "https://", "<script", "<link", "@import", "src="})
    EXPECT_EQ(html.find(bad), std::string::npos) << bad;
}

TEST(ReportDocument, Slugs) {
  EXPECT_EQ(slug("Parallel vs Single (RQ3)"), "parallel-vs-single-rq3");
  EXPECT_EQ(slug("!!!"), "section");
}
