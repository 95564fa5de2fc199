"""The text catalogue: every sentence people read, in Italian first and English.

Text is written once, in English, inside ``_()`` (or ``N_()`` where it is defined before a
language is known); the translations live in gettext catalogues managed with Babel
(``accessibility/locale/<lang>/LC_MESSAGES/messages.po``, compiled to ``.mo``; see
``scripts/messages.sh``). Templates use the same catalogue through Jinja2's i18n
extension (:mod:`accessibility.outputs.templates`).

The language is a context variable: :func:`use_language` sets it for a block (a
command, a web request), else it comes from the environment's locale
(``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``) and defaults to Italian.

Numbers, money, percentages and dates are formatted for the language with Babel:

>>> with use_language("it"):
...     number(150000), money(150000), percent(0.992, 1), date(dt.date(2026, 11, 27))
('150.000', '150.000\\xa0€', '99,2\\xa0%', '27/11/2026')
>>> with use_language("en"):
...     number(150000), money(150000), percent(0.992, 1), date(dt.date(2026, 11, 27))
('150,000', '€150,000', '99.2%', '27/11/2026')
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
from collections.abc import Iterator
from contextvars import ContextVar
from functools import cache
from importlib import resources

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent
from babel.support import NullTranslations, Translations

__all__ = ["LANGUAGES", "N_", "_", "date", "default_language", "language", "money", "ngettext", "number",
           "percent", "use_language", "translations"]

#: The languages of the catalogue, the first the default.
LANGUAGES: tuple[str, ...] = ("it", "en")
#: Babel locales used for formatting (British English writes dates day first, as Italy).
_LOCALES = {"it": "it_IT", "en": "en_GB"}
_DATE_FORMAT = "dd/MM/yyyy"

_language: ContextVar[str | None] = ContextVar("accessibility_language", default=None)


def default_language() -> str:
    """The language of the environment's locale when it is one of :data:`LANGUAGES`,
    else Italian (``C``, ``POSIX`` and unset locales included)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(name, "")
        if value:
            code = value.split(":")[0].split(".")[0].split("_")[0].lower()
            return code if code in LANGUAGES else LANGUAGES[0]
    return LANGUAGES[0]


def language() -> str:
    """The language in use: set by :func:`use_language`, else :func:`default_language`."""
    return _language.get() or default_language()


def check_language(lang: str | None) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, the current language for ``None``."""
    if lang is None:
        return language()
    code = str(lang).lower()
    if code not in LANGUAGES:
        from accessibility.errors import LanguageError

        raise LanguageError(_("unknown language {lang}; choose one of: {choices}").format(
            lang=repr(lang), choices=", ".join(LANGUAGES)))
    return code


@contextlib.contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Use ``lang`` for the text and formats of a block (``None``: keep the current one)."""
    code = check_language(lang)
    token = _language.set(code)
    try:
        yield code
    finally:
        _language.reset(token)


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of ``lang`` (English text is the source: its catalogue only
    holds what differs)."""
    path = resources.files("accessibility") / "locale" / lang / "LC_MESSAGES" / "messages.mo"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as fh:
        return Translations(fh, domain="messages")


def _(message: str) -> str:
    """``message`` in the language in use."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n``, in the language in use."""
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it yet (module constants are
    defined before a language is chosen); translate it with ``_()`` where it is shown."""
    return message


# --- formats --------------------------------------------------------------------------------

def _locale() -> Locale:
    return Locale.parse(_LOCALES[language()])


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def not_available() -> str:
    """What a figure nobody knows reads as: never 0."""
    return _("not available")


def number(value: float | None, digits: int = 0) -> str:
    """``150000`` -> ``150.000`` (Italian) or ``150,000``; ``digits`` after the point."""
    if _missing(value):
        return not_available()
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale())


def percent(share: float | None, digits: int = 0) -> str:
    """A share (``0.992``) as a percentage in the language's form: ``99,2 %``."""
    if _missing(share):
        return not_available()
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return format_percent(share, format=pattern, locale=_locale())


def money(value: float | None, digits: int = 0) -> str:
    """Euros in the language's form: ``150.000 €`` (Italian), ``€150,000``."""
    if _missing(value):
        return not_available()
    locale = _locale()
    pattern = locale.currency_formats["standard"].pattern
    if digits == 0:
        pattern = pattern.replace("#,##0.00", "#,##0")
    return format_currency(value, "EUR", format=pattern, locale=locale, currency_digits=digits != 0)


def date(value: dt.date | dt.datetime | str | None) -> str:
    """A date as ``27/11/2026`` (ISO strings accepted)."""
    if value is None or value == "":
        return not_available()
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        value = value.date()
    from babel.dates import format_date

    return format_date(value, format=_DATE_FORMAT, locale=_locale())
