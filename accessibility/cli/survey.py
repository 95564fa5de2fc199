"""``accessibility survey``: import, list, review and export surveyors' reports."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd

from accessibility.city import City
from accessibility.cli.main import CITY_DIR, EXPORT_FORMATS, format_for, main, plain, store_of
from accessibility.constants import WGS84
from accessibility.outputs.export import write_table

@main.group()
def survey() -> None:
    """Surveyors' barrier reports: import, list, review, export."""


@survey.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@CITY_DIR
@click.option("--surveyor", required=True, help="Who imports the file (rows may name their own surveyor).")
@click.option("--crs", type=int, help="EPSG code of x/y columns when the file has no crs column (e.g. 3003).")
def survey_import(file: Path, city_dir: Path, surveyor: str, crs: int | None) -> None:
    """Import a survey FILE (CSV, XLSX, GeoJSON, GeoPackage) into the workspace."""
    result = City.load(city_dir).import_surveys(file, surveyor=surveyor, crs=crs)
    click.echo(f"accepted {len(result.accepted)} / accettate {len(result.accepted)}")
    click.echo(f"rejected {len(result.rejected_rows)} / scartate {len(result.rejected_rows)}")
    if result.already_stored:
        click.echo(f"already in the store / già presenti: {len(result.already_stored)} "
                   f"(rows {', '.join(map(str, result.already_stored[:20]))})")
    for flag in result.flagged:
        click.echo(f"  flagged / da verificare: #{flag['report_id']} (row {flag['row']}): {plain(flag['reason_en'])}")
    for note in result.notes:
        click.echo(f"  note: {plain(note)}")
    if result.rejects_path:
        click.echo(f"rejected rows with reasons / righe scartate con i motivi: {result.rejects_path}")


@survey.command("list")
@CITY_DIR
@click.option("--status", type=click.Choice(["reported", "verified", "planned", "fixed", "rejected"]),
              help="Only reports with this status.")
def survey_list(city_dir: Path, status: str | None) -> None:
    """List the survey reports of the workspace."""
    reports = store_of(city_dir).reports(status)
    click.echo(f"{'id':>5}  {'status':<9} {'kind':<20} {'date':<10}  {'street':<24} {'flags':<16} description")
    for r in reports.itertuples(index=False):
        click.echo(f"{r.report_id:>5}  {r.status:<9} {r.kind:<20} {plain(r.surveyed_on):<10}  "
                   f"{plain(r.street, 24):<24} {plain(r.flags, 16):<16} {plain(r.description, 60)}")
    click.echo(f"{len(reports)} reports")


@survey.command("review")
@click.argument("report_id", type=int)
@CITY_DIR
@click.option("--set", "status", required=True,
              type=click.Choice(["reported", "verified", "planned", "fixed", "rejected"]), help="New status.")
@click.option("--note", help="Why (required to reject).")
@click.option("--by", "by", required=True, help="Who reviews.")
def survey_review(report_id: int, city_dir: Path, status: str, note: str | None, by: str) -> None:
    """Change the status of report REPORT_ID (the history keeps who, when, what)."""
    change = store_of(city_dir).review(report_id, status, note, by)
    click.echo(f"report #{report_id}: {change['from']} -> {change['to']} ({plain(by)}, {change['at']})")


@survey.command("export")
@CITY_DIR
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORT_FORMATS)), help="Default: from the file name.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
def survey_export(city_dir: Path, fmt: str | None, output: Path) -> None:
    """Export every survey report (WGS84) for QGIS and spreadsheets."""
    fmt = format_for(output, fmt)
    reports = store_of(city_dir).reports()
    table = gpd.GeoDataFrame(reports, geometry=gpd.points_from_xy(reports["lon"], reports["lat"]), crs=WGS84)
    write_table(table, output, fmt, layer="surveys")
    click.echo(f"{len(table):,} reports written to {output}")

