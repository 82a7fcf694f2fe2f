"""The languages mails, reports and PDFs are written in, their message catalogues outside a request, and the
site's public address that links in them start from."""
from __future__ import annotations

import functools
from gettext import NullTranslations

from babel.support import Translations

from tenants.core.config import ROOT, get_settings

LANGUAGES = ("en", "ru")


@functools.cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of `lang` (English is the msgids themselves)."""
    return NullTranslations() if lang == "en" else Translations.load(str(ROOT / "translations"), [lang])


def base_url() -> str:
    """PUBLIC_URL (production refuses to start without it); the development server's address otherwise."""
    return (get_settings().public_url or "http://127.0.0.1:5000").rstrip("/")
