"""``accessibility survey``: import, list, review and export surveyors' reports."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd

from accessibility import settings
from accessibility.city import City
from accessibility.cli.main import CITY_DIR, EXPORT_FORMATS, command, format_for, main, plain, store_of
from accessibility.constants import WGS84
from accessibility.errors import ReviewError
from accessibility.i18n import N_, _, date, language, number
from accessibility.outputs.export import write_table, write_xlsx
from accessibility.outputs.forms import write_qfield_template, write_xlsform
from accessibility.outputs.surveys import survey_sheet
from accessibility.surveys.facility import FACILITY_FORMS
from accessibility.surveys.review import parse_status, status_label
from accessibility.surveys.schema import FACILITY_KIND, kind_label, parse_kind
from accessibility.surveys.validate import flag_labels
from accessibility.values import normalise_name


@main.group(help=_("Surveyors' barrier reports and facility sheets: import, list, review, export."))
def survey() -> None:
    pass


@command(
    survey,
    "import",
    help=_(
        "Import a survey FILE (CSV, XLSX, GeoJSON, GeoPackage, or a zip export with its photos) into the "
        "workspace: also the exports of KoboToolbox, ODK Central, QField and Google Forms as they come."
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@CITY_DIR
@click.option("--surveyor", required=True, help=_("Who imports the file (rows may name their own surveyor)."))
@click.option(
    "--crs",
    type=click.Choice([str(c) for c in sorted(settings.survey_crs)]),
    callback=lambda ctx, param, value: None if value is None else int(value),
    help=_("EPSG code of x/y columns when the file has no crs column (e.g. 3003)."),
)
@click.option(
    "--media",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help=_(
        "A folder or zip holding the photos the rows name (repeatable); the file's own folder "
        "and its media folder are always searched."
    ),
)
@click.option(
    "--form",
    type=click.Choice(["rilievo", "impianto"]),
    help=_(
        "The form the file was filled in with: rilievo (barrier reports) or impianto (facility sheets); "
        "found from its columns when not given."
    ),
)
def survey_import(
    file: Path, city_dir: Path, surveyor: str, crs: int | None, media: tuple[Path, ...], form: str | None
) -> None:
    result = City.load(city_dir).import_surveys(file, surveyor=surveyor, crs=crs, media=media, form=form)
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


def _status(value: str | None, option: str) -> str | None:
    """A status as the office writes it (``verificato``, ``verified``); read in the
    command, so the error is in the command's language."""
    if value is None:
        return None
    try:
        return parse_status(value)
    except ReviewError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _kind(value: str | None) -> str | None:
    """A barrier kind as surveyors write it (``gradini``, ``steps``)."""
    if value is None:
        return None
    if normalise_name(value) in FACILITY_FORMS:
        return FACILITY_KIND
    try:
        return parse_kind(value)
    except ValueError:
        raise click.BadParameter(
            _("unknown kind of barrier {kind}").format(kind=repr(plain(value))), param_hint="--kind"
        ) from None


def _line(cells: list[str], widths: list[int]) -> str:
    """One line of a listing: each cell cut to its width and padded (the last as it is)."""
    out = []
    for cell, width in zip(cells, widths):
        if not width:
            out.append(cell)
        else:
            cut = cell if len(cell) <= width else cell[: width - 1] + "…"
            out.append(cut.rjust(width) if width == 5 else cut.ljust(width))
    return "  ".join(out).rstrip()


_STATUS_HELP = N_("Status: reported, verified, planned, fixed, rejected (also in Italian: verificato, risolto ...).")


@command(survey, "list", help=_("List the survey reports of the workspace."))
@CITY_DIR
@click.option("--status", help=_("Only reports with this status (verificato, verified ...)."))
@click.option(
    "--kind", help=_("Only reports of this kind of barrier (gradini, steps ...), or facility sheets (impianto).")
)
def survey_list(city_dir: Path, status: str | None, kind: str | None) -> None:
    status, kind = _status(status, "--status"), _kind(kind)
    reports = store_of(city_dir).reports(status)
    if kind is not None:
        reports = reports[reports["kind"] == kind]
    head = [_("no."), _("code"), _("status"), _("kind"), _("date"), _("street"), _("to check"), _("description")]
    widths = [5, 10, 11, 28, 10, 24, 24, 0]
    click.echo(_line(head, widths))
    for r in reports.itertuples(index=False):
        cells = [
            str(r.report_id),
            plain(r.ref),
            status_label(r.status),
            plain(kind_label(r.kind)),
            date(r.surveyed_on) if r.surveyed_on else "",
            plain(r.street),
            flag_labels(r.flags),
            plain(r.description, 60),
        ]
        click.echo(_line(cells, widths))
    click.echo(_("{count} reports").format(count=number(len(reports))))


@command(
    survey,
    "review",
    help=_(
        "Change the status of report REPORT_ID, given by its number or the surveyor's own code "
        "(the history keeps who, when, what)."
    ),
)
@click.argument("report_id")
@CITY_DIR
@click.option("--set", "status", required=True, help=_(_STATUS_HELP))
@click.option("--note", help=_("Why (required to reject)."))
@click.option("--by", "by", required=True, help=_("Who reviews."))
def survey_review(report_id: str, city_dir: Path, status: str, note: str | None, by: str) -> None:
    status = _status(status, "--set") or ""
    store = store_of(city_dir)
    number_ = store.find(report_id)
    if not 1 <= number_ < 2**63:
        raise click.BadParameter(
            _("{value} is not a report number").format(value=repr(plain(report_id))), param_hint="REPORT_ID"
        )
    change = store.review(number_, status, note, by)
    click.echo(
        _("report #{report}: {old} -> {new} ({who}, {when})").format(
            report=number_,
            old=status_label(change["from"]),
            new=status_label(change["to"]),
            who=plain(by),
            when=change["at"],
        )
    )


#: The formats of ``survey export``: those of every export, and a spreadsheet.
SURVEY_FORMATS = {**EXPORT_FORMATS, "xlsx": ".xlsx"}


@command(survey, "export", help=_("Export every survey report (WGS84) for QGIS and spreadsheets."))
@CITY_DIR
@click.option("--format", "fmt", type=click.Choice(sorted(SURVEY_FORMATS)), help=_("Default: from the file name."))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=_("File to write.")
)
def survey_export(city_dir: Path, fmt: str | None, output: Path) -> None:
    if fmt is None and output.suffix.lower() == ".xlsx":
        fmt = "xlsx"
    fmt = format_for(output, fmt)
    reports = store_of(city_dir).reports()
    if fmt == "xlsx":
        write_xlsx({_("Reports"): survey_sheet(reports, language())}, output)
        click.echo(_("{count} reports written to {path}").format(count=number(len(reports)), path=output))
        return
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
