"""``accessibility report``: the yearly report on how the city has changed (HTML and PDF)."""

from __future__ import annotations

from pathlib import Path

import click

from accessibility.city import City
from accessibility.cli.main import CITY_DIR, command, main
from accessibility.files import write_bytes, write_text
from accessibility.i18n import _, date, number
from accessibility.outputs.yearly import pdf_bytes, yearly_report_html


@command(main, help=_("The yearly report: what changed in the city in a year, from the audit's dated snapshots."))
@CITY_DIR
@click.option("--year", required=True, type=click.IntRange(1990, 2200), help=_("The year to report on."))
@click.option(
    "--since",
    type=click.IntRange(1990, 2200),
    help=_("Compare with the last snapshot of this year (default: the last one before --year)."),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("The report as HTML (default: report_YEAR.html in the current folder)."),
)
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), help=_("Also as PDF."))
def report(city_dir: Path, year: int, since: int | None, output: Path | None, pdf: Path | None) -> None:
    if since is not None and since >= year:
        raise click.BadParameter(_("--since must be a year before --year"), param_hint="--since")
    city = City.load(city_dir)
    result = city.yearly_report(year, since=since)
    page = yearly_report_html(result)
    output = output or Path(f"report_{year}.html")
    write_text(page, output)
    if result.earlier is not None:
        click.echo(
            _("from {before} to {after}: {works} reports fixed, {reported} barriers reported").format(
                before=date(result.earlier.date),
                after=date(result.later.date),
                works=number(len(result.change.works) if result.change is not None else 0),
                reported=number(len(result.reports)),
            )
        )
    else:
        click.echo(_("first snapshot ({day}): nothing to compare with yet").format(day=date(result.later.date)))
    click.echo(_("report: {path}").format(path=output))
    if pdf:
        write_bytes(pdf_bytes(page), pdf)
        click.echo(_("PDF: {path}").format(path=pdf))
