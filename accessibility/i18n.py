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
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache, lru_cache
from importlib import resources

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_decimal_symbol, get_group_symbol
from babel.support import NullTranslations, Translations

__all__ = [
    "LANGUAGES",
    "Date",
    "Labels",
    "M",
    "Message",
    "N_",
    "Number",
    "_",
    "check_language",
    "date",
    "default_language",
    "in_every_language",
    "install_for_click",
    "language",
    "money",
    "ngettext",
    "number",
    "percent",
    "translations",
    "use_language",
]

#: The languages of the catalogue, the first the default.
LANGUAGES: tuple[str, ...] = ("it", "en")
#: Babel locales used for formatting (British English writes dates day first, as Italy).
_LOCALES = {"it": "it_IT", "en": "en_GB"}
#: ``Decimal.quantize`` targets by digits after the point: 1, 0.1, 0.01 ...
_QUANTUM = [Decimal(1).scaleb(-d) for d in range(21)]
_DATE_FORMAT = "dd/MM/yyyy"

_language: ContextVar[str | None] = ContextVar("accessibility_language", default=None)


_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def default_language() -> str:
    """The language of the environment's locale when it is one of :data:`LANGUAGES`
    (``LANGUAGE``, then ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as gettext reads them),
    else Italian (``C``, ``POSIX`` and unset locales included)."""
    get = os.environ.get
    return _language_of(tuple(get(name, "") for name in _LOCALE_VARIABLES))


@lru_cache(maxsize=16)
def _language_of(values: tuple[str, ...]) -> str:
    """:func:`default_language` for the values of the locale variables (read once per
    set of values: a route asks for the language in use many times)."""
    for setting in values:
        for value in setting.split(":"):
            code = value.split(".")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
            if code and code not in {"c", "posix"}:
                return LANGUAGES[0]
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

        raise LanguageError(
            _("unknown language {lang}; choose one of: {choices}").format(lang=repr(lang), choices=", ".join(LANGUAGES))
        )
    return code


class use_language:
    """Use ``lang`` for the text and formats of a block (``None``: keep the current one):
    ``with use_language("en") as code: ...``. A class, not a generator: a route and a web
    request enter it several times, and a generator-based manager costs three times as
    much."""

    __slots__ = ("_code", "_token")

    def __init__(self, lang: str | None) -> None:
        self._code = check_language(lang)

    def __enter__(self) -> str:
        self._token = _language.set(self._code)
        return self._code

    def __exit__(self, *exc: object) -> None:
        _language.reset(self._token)


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


@contextlib.contextmanager
def install_for_click(lang: str) -> Iterator[None]:
    """Let click's own messages ("Usage:", "Missing option") come from our catalogue in
    ``lang`` for a block: click asks the standard library's ``gettext``, whose language
    comes from the environment, so the block sets ``LANGUAGE`` and binds the catalogue."""
    import gettext as stdlib_gettext

    locale_dir = str(resources.files("accessibility") / "locale")
    old_env = os.environ.get("LANGUAGE")
    old_dir = stdlib_gettext.bindtextdomain("messages")
    os.environ["LANGUAGE"] = lang
    stdlib_gettext.bindtextdomain("messages", locale_dir)
    try:
        yield
    finally:
        if old_env is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = old_env
        stdlib_gettext.bindtextdomain("messages", old_dir)


class Message:
    """A message with its values, translated when it is shown: ``str(message)`` is its text
    in the language in use, :meth:`text` in a given one. Reject reasons and flags are
    made once and written in every language the outputs ask for.

    >>> m = M("file not found: {path}", path="rilievo.csv")
    >>> m.text("en"), m.text("it")
    ('file not found: rilievo.csv', 'file non trovato: rilievo.csv')
    """

    __slots__ = ("template", "values")

    def __init__(self, template: str, **values: object) -> None:
        self.template = template
        self.values = values

    def __str__(self) -> str:
        return _(self.template).format(
            **{k: v if isinstance(v, int | float | str) else str(v) for k, v in self.values.items()}
        )

    def __repr__(self) -> str:
        return f"M({self.template!r}, **{self.values!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.template, self.values) == (other.template, other.values)

    def __hash__(self) -> int:
        return hash((self.template, tuple(sorted((k, repr(v)) for k, v in self.values.items()))))

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the language in use)."""
        with use_language(lang):
            return str(self)


class Number:
    """A number formatted when shown, in the language in use (for :class:`Message` values)."""

    __slots__ = ("digits", "value")

    def __init__(self, value: float, digits: int = 0) -> None:
        self.value, self.digits = value, digits

    def __str__(self) -> str:
        return number(self.value, self.digits)

    def __repr__(self) -> str:
        return f"Number({self.value!r}, {self.digits})"


class Date:
    """A date formatted when shown, in the language in use (for :class:`Message` values)."""

    __slots__ = ("value",)

    def __init__(self, value: dt.date) -> None:
        self.value = value

    def __str__(self) -> str:
        return date(self.value)

    def __repr__(self) -> str:
        return f"Date({self.value!r})"


class Labels:
    """Catalogue texts (``N_()`` labels) joined when shown, each in the language in use
    (for :class:`Message` values: a list of category names in a warning)."""

    __slots__ = ("labels", "sep")

    def __init__(self, labels: list[str], sep: str = ", ") -> None:
        self.labels, self.sep = list(labels), sep

    def __str__(self) -> str:
        return self.sep.join(_(label) for label in self.labels)

    def __repr__(self) -> str:
        return f"Labels({self.labels!r})"


def M(template: str, **values: object) -> Message:
    """A :class:`Message`: ``template`` goes into the catalogue, ``values`` fill it when shown."""
    return Message(template, **values)


def in_every_language(message: str | Message) -> dict[str, str]:
    """``{"it": ..., "en": ...}``: a message (or catalogue text) in every language."""
    out = {}
    for lang in LANGUAGES:
        with use_language(lang):
            out[lang] = str(message) if isinstance(message, Message) else _(message)
    return out


# --- formats --------------------------------------------------------------------------------


def _locale() -> Locale:
    return _locale_of(language())


@cache
def _locale_of(code: str) -> Locale:
    return Locale.parse(_LOCALES[code])


@cache
def _number_symbols(code: str) -> dict[int, str]:
    """``str.translate`` table from Python's ``1,234.5`` to the language's separators."""
    locale = _locale_of(code)
    return str.maketrans({",": get_group_symbol(locale=locale), ".": get_decimal_symbol(locale=locale)})


def _missing(value: float | None) -> bool:
    """True for a figure nobody knows (``None`` or NaN)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def not_available() -> str:
    """What a figure nobody knows reads as: never 0."""
    return _("not available")


def number(value: float | None, digits: int = 0) -> str:
    """``150000`` -> ``150.000`` (Italian) or ``150,000``; ``digits`` after the point."""
    if _missing(value):
        return not_available()
    assert value is not None
    x = float(value)
    if not math.isfinite(x) or not 0 <= digits <= 20:
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(x, format=pattern, locale=_locale())
    # Babel's result for pattern #,##0.00..., without its per-call parsing (a route's
    # summary formats a few numbers per request): the float's shortest decimal form,
    # rounded half to even at ``digits``, grouped by thousands in the language's symbols.
    exact = Decimal(repr(x)).quantize(_QUANTUM[digits], rounding=ROUND_HALF_EVEN)
    return f"{exact:,.{digits}f}".translate(_number_symbols(language()))


def percent(share: float | None, digits: int = 0) -> str:
    """A share (``0.992``) as a percentage in the language's form: ``99,2 %`` in Italian
    (with a no-break space, as Italian style guides write it), ``99.2%`` in English."""
    if _missing(share):
        return not_available()
    assert share is not None
    figure = number(100 * float(share), digits)
    return figure + ("\u00a0%" if language() == "it" else "%")


def money(value: float | None, digits: int = 0) -> str:
    """Euros in the language's form: ``150.000 €`` (Italian), ``€150,000``."""
    if _missing(value):
        return not_available()
    locale = _locale()
    pattern = locale.currency_formats["standard"].pattern
    if digits == 0:
        pattern = pattern.replace("#,##0.00", "#,##0")
    assert value is not None
    return format_currency(float(value), "EUR", format=pattern, locale=locale, currency_digits=digits != 0)


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
