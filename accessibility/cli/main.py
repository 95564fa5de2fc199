"""The command group every command belongs to, and what commands share: options, the
one-line error for users, safe printing of text from files and people."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from accessibility import settings, workspace
from accessibility.errors import AccessibilityError
from accessibility.surveys.store import SurveyStore

__all__ = ["CITY_DIR", "EXPORT_FORMATS", "format_for", "main", "plain", "store_of"]

EXPORT_FORMATS = {"geojson": ".geojson", "csv": ".csv", "gpkg": ".gpkg"}


class Group(click.Group):
    """Turns our own errors into one clear line and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AccessibilityError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=Group)
@click.option("-v", "--verbose", count=True, help="More log lines (-v: steps, -vv: details).")
@click.version_option(package_name="accessibility")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Accessible routes, barrier audits and intervention plans for a city."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.ensure_object(dict)



CITY_DIR = click.option("--city", "city_dir", required=True,
                        type=click.Path(exists=True, file_okay=False, path_type=Path), help="Workspace folder.")


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
        raise click.BadParameter(f"cannot tell the format of {output.name}; use --format", param_hint="--format")
    return found


