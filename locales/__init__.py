"""Translation catalogs shared by the bot and the admin panel.

Message ids are the English source texts (gettext style); ``zh_Hans`` is the
default language. Catalogs live here as ``<locale>/LC_MESSAGES/messages.po`` and
are compiled to ``.mo`` at build time (see ``hatch_build.py``) or, for a source
checkout, on first use when a ``.po`` is newer than its ``.mo``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"
LOCALES: tuple[str, ...] = ("zh_Hans", "zh_Hant", "en")
DEFAULT_LOCALE = "zh_Hans"
_default_locale = DEFAULT_LOCALE

LANGUAGE_NAMES: dict[str, str] = {
    # Each language is named in itself, so a user can always find their own.
    "zh_Hans": "简体中文",
    "zh_Hant": "繁體中文",
    "en": "English",
}

_TRADITIONAL_TAGS = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
_SIMPLIFIED_TAGS = ("zh-hans", "zh-cn", "zh-sg", "zh")


def set_default_locale(locale: str) -> None:
    """The configured DEFAULT_LOCALE, set once at start (notifications to users with no language)."""
    global _default_locale
    if locale not in LOCALES:
        raise ValueError(f"unknown locale {locale!r}")
    _default_locale = locale


def default_locale() -> str:
    return _default_locale


def N_(message: str) -> str:  # noqa: N802 - gettext convention
    """Mark a string for extraction without translating it now."""
    return message


def locale_from_language_code(code: str | None) -> str | None:
    """Map a Telegram/browser language tag to one of our locales, or None."""
    if not code:
        return None
    tag = code.strip().lower().replace("_", "-")
    if tag in LOCALES_LOWER:
        return LOCALES_LOWER[tag]
    if any(tag == t or tag.startswith(t + "-") for t in _TRADITIONAL_TAGS):
        return "zh_Hant"
    if any(tag == t or tag.startswith(t + "-") for t in _SIMPLIFIED_TAGS):
        return "zh_Hans"
    if tag == "en" or tag.startswith("en-"):
        return "en"
    return None


LOCALES_LOWER = {loc.lower().replace("_", "-"): loc for loc in LOCALES}


def compile_catalogs(directory: Path = LOCALES_DIR, *, force: bool = False) -> list[Path]:
    """Compile every ``.po`` under ``directory`` whose ``.mo`` is missing or older."""
    written = []
    for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def ensure_compiled() -> None:
    """Compile stale catalogs when running from a writable source checkout."""
    try:
        compile_catalogs()
    except OSError:
        # An installed, read-only copy ships compiled catalogs from the build.
        pass


@lru_cache(maxsize=None)
def translations(locale: str) -> Translations:
    ensure_compiled()
    return Translations.load(str(LOCALES_DIR), [locale], domain=DOMAIN)


def gettext(locale: str, message: str) -> str:
    return translations(locale).gettext(message)


K = TypeVar("K")


def keys_reading(text: str, labelled: Iterable[tuple[K, str]]) -> list[K]:
    """The keys whose label (a message id) contains ``text`` in any of the languages, case
    aside: a search box finds a code by the words the panel shows for it."""
    wanted = text.casefold()
    return [key for key, label in labelled
            if any(wanted in gettext(locale, label).casefold() for locale in LOCALES)]
