"""The Jinja2 environment of every page the package writes (reports now, web pages next).

Templates live in ``accessibility/outputs/templates/`` and ship inside the package. The
environment:

- escapes every value (``autoescape``), so text from OpenStreetMap, registries and
  surveyors is shown, never run;
- translates with the project's one catalogue (:mod:`accessibility.i18n`) through
  Jinja2's i18n extension: ``{% trans %}`` blocks and ``_()``, in the language in use
  when the page is rendered (:func:`accessibility.i18n.use_language`);
- formats figures for that language with the filters ``number``, ``money``,
  ``percent`` and ``date`` (Babel), an unknown figure reading "non disponibile", never 0.

>>> from accessibility.i18n import use_language
>>> page = environment().from_string("{{ 150000|money }} {{ 0.992|percent(1) }} {{ '<b>'|e }}")
>>> with use_language("it"):
...     page.render()
'150.000\\xa0€ 99,2\\xa0% &lt;b&gt;'
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import jinja2

from accessibility import i18n

__all__ = ["environment", "render"]


@cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment: package templates, autoescape, i18n, format filters."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("accessibility.outputs", "templates"),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    # newstyle: {% trans %} and _() escape their values and format them by name.
    env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    env.filters.update(
        number=i18n.number,
        money=i18n.money,
        percent=i18n.percent,
        date=i18n.date,
    )
    # the same formats as functions, for templates that call them: number(x, 1)
    env.globals.update(
        not_available=i18n.not_available,
        language=i18n.language,
        number=i18n.number,
        money=i18n.money,
        percent=i18n.percent,
        date=i18n.date,
    )
    return env


def render(name: str, lang: str | None = None, **context: Any) -> str:
    """Render template ``name`` in ``lang`` (default: the language in use).

    Parameters
    ----------
    name
        A template of ``accessibility/outputs/templates/`` (``audit_report.html`` ...).
    lang
        ``it`` or ``en``; the page's ``lang`` attribute, text and figures follow it.
    **context
        The template's values.

    Returns
    -------
    str
        The page.
    """
    with i18n.use_language(lang) as code:
        context.setdefault("today", dt.date.today())
        return environment().get_template(name).render(lang=code, **context)
