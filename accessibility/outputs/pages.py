"""Render the HTML pages of the programme and the yearly report from Jinja2 templates.

A minimal environment (templates in ``accessibility/outputs/templates/``, autoescape on,
the text catalogue through Jinja2's i18n extension, the package's number, money,
percentage and date formats as globals). It is the one function to switch over when the
project's shared template environment lands: :func:`render` takes a template name and
its values, nothing else.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from accessibility import i18n

__all__ = ["render"]


def _gettext(message: str, **values: Any) -> str:
    text = i18n._(message)
    return text % values if values else text


def _ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    text = i18n.ngettext(singular, plural, n)
    return text % {"num": n, **values}


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("accessibility.outputs", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        number=i18n.number,
        money=i18n.money,
        percent=i18n.percent,
        date=i18n.date,
    )
    return env


def render(name: str, **values: Any) -> str:
    """The template ``name`` rendered in the language in use, with ``values``.

    Every value is HTML-escaped unless it is marked safe (only the charts, which the
    caller builds from numbers, are).
    """
    return _environment().get_template(name).render(lang=i18n.language(), **values)
