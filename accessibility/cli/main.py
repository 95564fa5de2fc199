"""The command group every command belongs to, and what commands share: the language,
options, the one-line error for users, safe printing of text from files and people.

Help texts are in the environment's language (Italian unless the locale says English),
since they are shown before any option is read; ``--lang`` sets the language of
everything a command prints and writes. Click's own messages (usage errors, "Usage:")
come from the same catalogue.
"""

from __future__ import annotations

import functools
import logging
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from accessibility import settings, workspace
from accessibility.errors import AccessibilityError
from accessibility.i18n import LANGUAGES, _, install_for_click, language, use_language
from accessibility.surveys.store import SurveyStore

__all__ = [
    "CITY_DIR",
    "EXPORT_FORMATS",
    "INTERNAL_ERROR",
    "LANG",
    "Finite",
    "command",
    "format_for",
    "main",
    "names",
    "plain",
    "store_of",
]

log = logging.getLogger(__name__)

EXPORT_FORMATS = {"geojson": ".geojson", "csv": ".csv", "gpkg": ".gpkg"}

F = TypeVar("F", bound=Callable[..., Any])


class Group(click.Group):
    """Runs every command in the chosen language and turns the package's own errors into
    one clear line and exit code 1, never a traceback.

    Every failure people can cause (a bad file, a bad value) is one of the package's
    errors (:mod:`accessibility.errors`). What is left is the machine's (a disk full, a
    folder without write permission: one line naming the file) or a bug: one line that
    says so, with the traceback in the log at ``-v``.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AccessibilityError as exc:
            raise click.ClickException(_one_line(str(exc))) from exc
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as exc:
            where = exc.filename if exc.filename is not None else ""
            raise click.ClickException(
                _one_line(
                    _("{file}: {reason}").format(file=where, reason=exc.strerror or exc)
                    if where
                    else _("the system refused: {reason}").format(reason=exc.strerror or exc)
                )
            ) from exc
        except MemoryError as exc:
            raise click.ClickException(_("out of memory: the input is too large for this machine")) from exc
        except Exception as exc:
            log.debug("unexpected error", exc_info=True)
            raise click.ClickException(
                _one_line(
                    _("{marker}: {kind}: {reason} (a bug: please report it with the command that caused it)").format(
                        marker=INTERNAL_ERROR, kind=type(exc).__name__, reason=exc
                    )
                )
            ) from exc

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with install_for_click(_language_of_argv(kwargs.get("args") or (args[0] if args else None))):
            return super().main(*args, **kwargs)


#: How an error that is not one of the package's begins (tests look for it: none may).
INTERNAL_ERROR = "internal error"


def _one_line(text: str, width: int = 600) -> str:
    """A message on one line: line breaks and control characters from files shown as
    escapes (a hostile value cannot draw on the terminal), long texts cut."""
    plain_text = " ".join(plain(part) for part in str(text).splitlines())
    return plain_text if len(plain_text) <= width else plain_text[: width - 1] + "…"


def _language_of_argv(args: Any) -> str:
    """The ``--lang`` of a command line before click parses it (for click's own messages)."""
    argv = list(args) if args is not None else sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGUAGES:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGUAGES:
            return arg.split("=", 1)[1]
    return language()


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        ctx.ensure_object(dict)
        root = ctx.find_root()
        root.ensure_object(dict)
        root.obj["lang"] = value
    return value


#: ``--lang it|en``: the language of what a command prints and writes (default: the
#: environment's, else Italian). Accepted on the group and on every command.
LANG = click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    expose_value=False,
    is_eager=True,
    callback=_set_lang,
    help=_("Language of messages and outputs (default: the environment's, else Italian)."),
)


@click.group(cls=Group, help=_("Accessible routes, barrier audits and intervention plans for a city."))
@click.option("-v", "--verbose", count=True, help=_("More log lines (-v: steps, -vv: details)."))
@LANG
@click.version_option(package_name="accessibility")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.ensure_object(dict)


def command(group: click.Group, name: str | None = None, *, help: str) -> Callable[[F], F]:
    """``@group.command`` with a translated help text and ``--lang``; the command runs in
    the language chosen (``--lang`` of the command or of the group, else the default)."""

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def run(*args: Any, **kwargs: Any) -> Any:
            lang = (click.get_current_context().find_root().obj or {}).get("lang") or language()
            with use_language(lang), install_for_click(lang):
                return f(*args, **kwargs)

        return group.command(name, help=help)(LANG(run))  # type: ignore[return-value]

    return decorate


CITY_DIR = click.option(
    "--city",
    "city_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help=_("Workspace folder."),
)


class Finite(click.FloatRange):
    """A number option that must be finite (``nan``, ``inf`` and ``1e999`` are refused,
    saying which value and why) and within the range of :class:`click.FloatRange`."""

    name = "finite float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)  # a range lets nan and inf through
        if not math.isfinite(number):
            self.fail(_("{value} is not a finite number").format(value=repr(value)), param, ctx)
        return super().convert(number, param, ctx)


def names(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    """A comma-separated list option (``--profiles a,b``) as a list (``None`` when empty)."""
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()] or None


def plain(value: object, width: int | None = None) -> str:
    """Text from a report, safe on a terminal: control characters (which could move the
    cursor or recolour the screen) are shown as escapes; nothing is interpreted."""
    text = "" if value is None or value != value else str(value)
    text = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def store_of(city_dir: Path) -> SurveyStore:
    """The survey store of a workspace folder (a clear error when it is not one)."""
    workspace.read_meta(city_dir)
    return SurveyStore(city_dir / settings.survey_store_name)


def format_for(output: Path, fmt: str | None) -> str:
    """The export format: ``fmt``, else told by the file's suffix."""
    if fmt is not None:
        return fmt
    found = next((f for f, suffix in EXPORT_FORMATS.items() if output.suffix.lower() == suffix), None)
    if found is None:
        raise click.BadParameter(
            _("cannot tell the format of {name}; use --format").format(name=output.name), param_hint="--format"
        )
    return found
