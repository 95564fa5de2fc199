"""``accessibility survey``: import, list, review and export surveyors' reports."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd

from accessibility import settings
from accessibility.city import City
from accessibility.cli.main import CITY_DIR, EXPORT_FORMATS, command, format_for, main, plain, store_of
from accessibility.constants import WGS84
from accessibility.i18n import _, number
from accessibility.outputs.export import write_table
from accessibility.outputs.forms import write_qfield_template, write_xlsform
from accessibility.surveys.review import STATUSES


@main.group(help=_("Surveyors' barrier reports: import, list, review, export."))
def survey() -> None:
    pass


@command(survey, "import", help=_("Import a survey FILE (CSV, XLSX, GeoJSON, GeoPackage) into the workspace."))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@CITY_DIR
@click.option("--surveyor", required=True, help=_("Who imports the file (rows may name their own surveyor)."))
@click.option(
    "--crs",
    type=click.Choice([str(c) for c in sorted(settings.survey_crs)]),
    callback=lambda ctx, param, value: None if value is None else int(value),
    help=_("EPSG code of x/y columns when the file has no crs column (e.g. 3003)."),
)
def survey_import(file: Path, city_dir: Path, surveyor: str, crs: int | None) -> None:
    result = City.load(city_dir).import_surveys(file, surveyor=surveyor, crs=crs)
    click.echo(_("accepted: {count}").format(count=number(len(result.accepted))))
    click.echo(_("rejected: {count}").format(count=number(len(result.rejected_rows))))
    if result.already_stored:
        click.echo(
            _("already in the store: {count} (rows {rows})").format(
                count=number(len(result.already_stored)), rows=", ".join(map(str, result.already_stored[:20]))
            )
        )
    for flag in result.flagged:
        click.echo(
            "  "
            + _("to check: #{report} (row {row}): {reason}").format(
                report=flag["report_id"], row=flag["row"], reason=plain(flag["reason"])
            )
        )
    for note in result.notes:
        click.echo("  " + _("note: {text}").format(text=plain(note)))
    if result.rejects_path:
        click.echo(_("rejected rows with their reasons: {path}").format(path=result.rejects_path))


@command(survey, "list", help=_("List the survey reports of the workspace."))
@CITY_DIR
@click.option("--status", type=click.Choice(STATUSES), help=_("Only reports with this status."))
def survey_list(city_dir: Path, status: str | None) -> None:
    reports = store_of(city_dir).reports(status)
    click.echo(
        f"{'id':>5}  {_('status'):<9} {_('kind'):<20} {_('date'):<10}  {_('street'):<24} {_('flags'):<16} "
        f"{_('description')}"
    )
    for r in reports.itertuples(index=False):
        click.echo(
            f"{r.report_id:>5}  {r.status:<9} {r.kind:<20} {plain(r.surveyed_on):<10}  "
            f"{plain(r.street, 24):<24} {plain(r.flags, 16):<16} {plain(r.description, 60)}"
        )
    click.echo(_("{count} reports").format(count=number(len(reports))))


@command(survey, "review", help=_("Change the status of report REPORT_ID (the history keeps who, when, what)."))
@click.argument("report_id", type=click.IntRange(min=1, max=2**63 - 1))
@CITY_DIR
@click.option("--set", "status", required=True, type=click.Choice(STATUSES), help=_("New status."))
@click.option("--note", help=_("Why (required to reject)."))
@click.option("--by", "by", required=True, help=_("Who reviews."))
def survey_review(report_id: int, city_dir: Path, status: str, note: str | None, by: str) -> None:
    change = store_of(city_dir).review(report_id, status, note, by)
    click.echo(
        _("report #{report}: {old} -> {new} ({who}, {when})").format(
            report=report_id, old=change["from"], new=change["to"], who=plain(by), when=change["at"]
        )
    )


@command(survey, "export", help=_("Export every survey report (WGS84) for QGIS and spreadsheets."))
@CITY_DIR
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORT_FORMATS)), help=_("Default: from the file name."))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=_("File to write.")
)
def survey_export(city_dir: Path, fmt: str | None, output: Path) -> None:
    fmt = format_for(output, fmt)
    reports = store_of(city_dir).reports()
    table = gpd.GeoDataFrame(reports, geometry=gpd.points_from_xy(reports["lon"], reports["lat"]), crs=WGS84)
    write_table(table, output, fmt, layer="surveys")
    click.echo(_("{count} reports written to {path}").format(count=number(len(table)), path=output))


@command(
    survey,
    "form",
    help=_(
        "Write the survey form for field tools: an XLSForm for KoboToolbox and ODK (.xlsx) "
        "or a GeoPackage template for QField (.gpkg)."
    ),
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("File to write: .xlsx (XLSForm) or .gpkg (QField)."),
)
def survey_form(output: Path) -> None:
    suffix = output.suffix.lower()
    if suffix == ".xlsx":
        write_xlsform(output)
    elif suffix == ".gpkg":
        write_qfield_template(output)
    else:
        raise click.BadParameter(
            _("{name}: write the form as .xlsx (XLSForm) or .gpkg (QField)").format(name=output.name),
            param_hint="--output",
        )
    click.echo(_("form written to {path}").format(path=output))
