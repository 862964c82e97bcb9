"""Unit tests: the HTML parser, the rate limiter, the send log."""

from __future__ import annotations

import pytest

from bot.sandbox.entities import EntityParseError, command_entities, parse_html, utf16_len
from bot.sandbox.limits import RateLimiter
from bot.sandbox.state import SendLog, SendRecord


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>a<i>b</i></b>c", "abc", [("bold", 0, 2), ("italic", 1, 1)]),
        ("<strong>x</strong><em>y</em><ins>z</ins><del>w</del>", "xyzw",
         [("bold", 0, 1), ("italic", 1, 1), ("underline", 2, 1), ("strikethrough", 3, 1)]),
        ("&lt;tag&gt; &amp; &quot;q&quot; &#20013; &#x6587;", '<tag> & "q" 中 文', []),
        ("a & b &unknown; c", "a & b &unknown; c", []),
        ("😀<b>x</b>", "😀x", [("bold", 2, 1)]),  # UTF-16 offsets
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1", [("pre", 0, 5)]),
        ("<B>Upper</B>", "Upper", [("bold", 0, 5)]),
        ("<b>x</>", "x", [("bold", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ("  <b> padded </b>  ", "padded", [("bold", 0, 6)]),
    ],
)
def test_parse_html_valid(source, text, entities):
    parsed_text, parsed = parse_html(source)
    assert parsed_text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed] == entities


def test_parse_html_links_and_languages():
    _, entities = parse_html('<a href="https://example.org/?a=1&amp;b=2">l</a><pre><code class="language-py">c</code></pre>')
    assert entities[0]["url"] == "https://example.org/?a=1&b=2"
    assert entities[1]["language"] == "py"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("名字 <张三>", 'Unsupported start tag "张三" at byte offset 7'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
    ],
)
def test_parse_html_errors(source, message):
    with pytest.raises(EntityParseError) as error:
        parse_html(source)
    assert str(error.value) == message


def test_command_entities_and_utf16():
    assert command_entities("/start CODE") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("/start@xianfeng_sandbox_bot x")[0]["length"] == 27
    assert command_entities("hello /start") == []
    assert utf16_len("a😀中") == 4


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_sliding_windows():
    clock = FakeClock()
    limiter = RateLimiter(enabled=True, global_rate=3, per_chat_interval=1.0, group_per_minute=2, clock=clock)
    assert [limiter.acquire(i, False) for i in range(3)] == [None, None, None]
    assert limiter.acquire(9, False) == 1  # 4th within the same second
    clock.now += 0.999
    assert limiter.acquire(9, False) == 1
    clock.now += 0.002  # the first three left the window
    assert limiter.acquire(9, False) is None
    assert limiter.acquire(9, False) == 1  # per chat: one per second
    clock.now += 1.0
    assert limiter.acquire(-5, True) is None
    assert limiter.acquire(-5, True) is None
    assert limiter.acquire(-5, True) == 60  # groups: 2 per minute here
    clock.now += 30
    assert limiter.acquire(-5, True) == 30
    limiter.configure(enabled=False)
    assert all(limiter.acquire(1, False) is None for _ in range(10))


def test_send_log_windows():
    log = SendLog()
    for t, chat in [(0.0, 1), (0.5, 2), (0.99, 1), (1.0, 1), (1.2, 2), (1.3, 3)]:
        log.append(SendRecord(t=t, chat_id=chat, method="sendMessage", outcome="ok", text="x"))
    log.append(SendRecord(t=1.1, chat_id=1, method="sendMessage", outcome="429"))
    assert log.max_in_window(1.0) == 5  # 0.5, 0.99, 1.0, 1.2, 1.3 lie in [0.5, 1.5)
    assert log.max_in_window(0.5) == 4  # 0.99, 1.0, 1.2, 1.3
    assert log.max_in_window(1.0, chat_id=1) == 2
    assert log.max_per_chat_in_window(1.0) == {1: 2, 2: 2, 3: 1}
    assert log.max_per_chat_in_window(0.5) == {1: 2, 2: 1, 3: 1}
    assert sorted(log.duplicates()) == [(1, "x", 3), (2, "x", 2)]
