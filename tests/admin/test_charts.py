"""Server-side SVG charts: labels and links are escaped, bars scale, empty charts draw nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from admin.charts import Bar, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_labels_and_links_are_escaped():
    evil = '<script>alert("x")</script>&'
    svg = str(bar_chart([Bar(evil, 3, '/members?q=a&b="c"'), Bar("南园社区", 1)], 'Title <i>'))
    assert "<script>" not in svg and "<i>" not in svg
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;: 3" in svg  # the full label in the tooltip
    assert 'href="/members?q=a&amp;b=&#34;c&#34;"' in svg
    root = ET.fromstring(svg)  # well-formed XML
    assert root.find(f"{SVG}title").text == "Title <i>"
    links = root.findall(f"{SVG}a")
    assert [link.get("href") for link in links] == ['/members?q=a&b="c"']


def test_bars_scale_to_the_largest_and_long_labels_are_shortened():
    root = ET.fromstring(str(bar_chart([Bar("一二三四五六七八九十一二三四", 10), Bar("b", 5), Bar("c", 0)], "t")))
    rects = root.iter(f"{SVG}rect")
    widths = [float(rect.get("width")) for rect in rects]
    assert widths[0] == 2 * widths[1] and widths[2] == 1  # a zero still shows a hairline
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "一二三四五六七八…" in texts  # a Chinese character takes the room of two Latin ones


def shown_labels(*labels: str) -> list[str]:
    root = ET.fromstring(str(bar_chart([Bar(label, 1) for label in labels], "t")))
    return [text.text for text in root.iter(f"{SVG}text") if text.get("class") != "chart-value"]


def test_labels_are_shortened_by_the_room_they_take():
    assert shown_labels("Awaiting review", "Returned for revision", "南园社区第一党支部") == [
        "Awaiting review", "Returned for rev…", "南园社区第一党支部"]
    assert shown_labels("Half-year reviewed", "南园社区第一党支部a") == [
        "Half-year reviewed", "南园社区第一党支…"]


def test_column_chart_and_empty_charts():
    svg = str(column_chart([Bar(str(month), month) for month in range(1, 13)], "月"))
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}rect"))) == 12
    assert str(bar_chart([], "t")) == "" and str(column_chart([], "t")) == ""
    escaped = str(column_chart([Bar("<x>", 1, "/a?b=1&c=2")], "t"))
    assert "&lt;x&gt;" in escaped and "/a?b=1&amp;c=2" in escaped
