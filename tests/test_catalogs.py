"""Every user-facing string in the code has a translation, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from locales import LOCALES, LOCALES_DIR

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "gettext": None, "N_": None, "__": None, "lazy_gettext": None}
METHODS = [
    ("bot/sandbox/**.py", "ignore"),  # the sandbox is a developer tool with its own fixed UI
    ("**/migrations/**.py", "ignore"),
    ("tests/**.py", "ignore"),
    ("bench/**.py", "ignore"),
    (".venv/**", "ignore"),
    ("**.py", "python"),
    ("admin/templates/**.html", "jinja2"),
]


# As admin/templating.py configures Jinja; not silent: a template the extractor cannot parse
# would otherwise be skipped, and its strings never checked.
TEMPLATE_OPTIONS = {"extensions": "jinja2.ext.i18n", "silent": "false"}


def extracted_msgids() -> dict[str, str]:
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, options_map={"admin/templates/**.html": TEMPLATE_OPTIONS},
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, filename)
    return found


def catalog(locale: str):
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.fixture(scope="module")
def msgids():
    found = extracted_msgids()
    assert len(found) > 50, "extraction found suspiciously few strings"
    return found


@pytest.mark.parametrize("locale", ["zh_Hans", "zh_Hant"])
def test_every_string_is_translated(msgids, locale):
    messages = catalog(locale)
    missing = [f"{msgid!r} ({where})" for msgid, where in msgids.items()
               if not (messages.get(msgid) and messages.get(msgid).string)]
    assert not missing, f"{len(missing)} untranslated in {locale}:\n" + "\n".join(missing[:40])


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match(locale):
    for message in catalog(locale):
        if message.id and message.string:
            assert placeholders(message.string) == placeholders(message.id), (locale, message.id)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_duplicate_msgids(locale):
    text = (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    ids = re.findall(r'^msgid ((?:".*"\n?)+)', text, flags=re.M)
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates, duplicates
