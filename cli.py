"""The ``accessibility`` command line: each command parses, makes one library call, writes.

Run ``accessibility --help`` (or ``python cli.py --help``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from accessibility import City
from accessibility.export import write_audit, write_csv, write_table, write_text, write_xlsx
from accessibility.errors import AccessibilityError

EXPORT_FORMATS = {"geojson": ".geojson", "csv": ".csv", "gpkg": ".gpkg"}


class Group(click.Group):
    """Turns our own errors into one clear line and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context):
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


@main.command()
@click.option("--osm", "osm_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="OSM file (.osm/.pbf/.json, also .bz2/.gz/.xz); repeat to merge several.")
@click.option("--place", help='Place to download from OpenStreetMap, e.g. "Cremona, Italy".')
@click.option("--boundary", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Boundary polygon file (GeoJSON, GPKG) to download, or to name the area of --osm.")
@click.option("--name", help="City name (default: the place or the first file's name).")
@click.option("--city", "city_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Workspace folder to write.")
def build(osm_files: tuple[Path, ...], place: str | None, boundary: Path | None, name: str | None,
          city_dir: Path) -> None:
    """Build a city workspace: the pedestrian network and its barriers."""
    if not osm_files and not place and not boundary:
        raise click.UsageError("give --osm FILE, --place NAME or --boundary FILE")
    if osm_files and place:
        raise click.UsageError("--osm and --place exclude each other")
    if place and boundary:
        raise click.UsageError("--place and --boundary exclude each other")
    city = City.build(osm=osm_files, place=place, boundary=boundary, name=name)
    city.save(city_dir)
    _echo_summary(city.summary())
    click.echo(f"workspace written to {city_dir}")


def _echo_summary(s: dict) -> None:
    click.echo(f"{s['name']}: {s['nodes']:,} nodes, {s['edges']:,} edges, {s['km']:,.1f} km of network")
    click.echo(f"{s['barriers']:,} barriers (known / unknown):")
    for kind, n in s["barriers_by_kind"].items():
        click.echo(f"  {kind:<22} {n['known']:>7,} / {n['unknown']:,}")
    if s["tag_problems"]:
        click.echo(f"{s['tag_problems']:,} tag values could not be read as given (see tag_problems.csv)")


@main.command()
@click.option("--city", "city_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Workspace folder.")
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORT_FORMATS)),
              help="Output format (default: from the file name).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write.")
def barriers(city_dir: Path, fmt: str | None, output: Path) -> None:
    """Export the barriers in WGS84 for QGIS and spreadsheets."""
    if fmt is None:
        fmt = next((f for f, suffix in EXPORT_FORMATS.items() if output.suffix.lower() == suffix), None)
        if fmt is None:
            raise click.BadParameter(f"cannot tell the format of {output.name}; use --format", param_hint="--format")

    table = City.load(city_dir).barriers_wgs84()
    write_table(table, output, fmt, layer="barriers")
    click.echo(f"{len(table):,} barriers written to {output}")


# --- survey reports ---------------------------------------------------------------------

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


def _store(city_dir: Path):
    from accessibility import settings, workspace
    from accessibility.store import SurveyStore

    workspace.read_meta(city_dir)  # a clear error when the folder is not a workspace
    return SurveyStore(city_dir / settings.survey_store_name)


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
    reports = _store(city_dir).reports(status)
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
    change = _store(city_dir).review(report_id, status, note, by)
    click.echo(f"report #{report_id}: {change['from']} -> {change['to']} ({plain(by)}, {change['at']})")


@survey.command("export")
@CITY_DIR
@click.option("--format", "fmt", type=click.Choice(sorted(EXPORT_FORMATS)), help="Default: from the file name.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write.")
def survey_export(city_dir: Path, fmt: str | None, output: Path) -> None:
    """Export every survey report (WGS84) for QGIS and spreadsheets."""
    import geopandas as gpd


    if fmt is None:
        fmt = next((f for f, suffix in EXPORT_FORMATS.items() if output.suffix.lower() == suffix), None)
        if fmt is None:
            raise click.BadParameter(f"cannot tell the format of {output.name}; use --format", param_hint="--format")
    reports = _store(city_dir).reports()
    table = gpd.GeoDataFrame(reports, geometry=gpd.points_from_xy(reports["lon"], reports["lat"]), crs="EPSG:4326")
    write_table(table, output, fmt, layer="surveys")
    click.echo(f"{len(table):,} reports written to {output}")

def _latlon(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lat, lon = (float(p) for p in value.split(","))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not LAT,LON (e.g. 45.1336,10.0227)") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise click.BadParameter(f"{value!r}: latitude must be within +-90 and longitude within +-180")
    return lat, lon


@main.command()
@click.option("--city", "city_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Workspace folder.")
@click.option("--from", "origin", required=True, callback=_latlon, metavar="LAT,LON", help="Where the route starts.")
@click.option("--to", "destination", callback=_latlon, metavar="LAT,LON", help="Where the route ends.")
@click.option("--to-nearest", "category", metavar="CATEGORY",
              help="Go to the nearest facility of this category (e.g. pharmacy, sports, town_hall).")
@click.option("--profile", default="walk", show_default=True,
              help="Mobility profile: walk, manual_wheelchair, power_wheelchair, walker, blind, pushchair.")
@click.option("--profile-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A TOML file of your own profiles (same form as data/profiles.toml).")
@click.option("--max-kerb-cm", type=click.FloatRange(min=0), help="Highest kerb you can pass, cm.")
@click.option("--max-incline", type=click.FloatRange(min=0, min_open=True), help="Steepest slope up or down, %.")
@click.option("--min-width-cm", type=click.FloatRange(min=0), help="Narrowest passage you fit through, cm.")
@click.option("--max-steps", type=click.IntRange(min=0), help="Most steps you can climb.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the route as GeoJSON.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write an HTML map that opens without internet.")
@click.option("--tiles/--no-tiles", default=False, show_default=True,
              help="Add the OpenStreetMap background to the map (needs internet to show).")
@click.option("--lang", type=click.Choice(["it", "en"]), default="it", show_default=True, help="Language.")
def route(city_dir: Path, origin, destination, category: str | None, profile: str, profile_file: Path | None,
          max_kerb_cm: float | None, max_incline: float | None, min_width_cm: float | None,
          max_steps: int | None, output: Path | None, map_file: Path | None, tiles: bool, lang: str) -> None:
    """An accessible route for a mobility profile, with step-by-step directions."""
    if (destination is None) == (category is None):
        raise click.UsageError("give exactly one of --to LAT,LON and --to-nearest CATEGORY")
    overrides = {"max_kerb_cm": max_kerb_cm, "max_incline_up_pct": max_incline,
                 "max_incline_down_pct": max_incline, "min_width_cm": min_width_cm, "max_steps": max_steps}
    city = City.load(city_dir)
    if category:
        result = city.nearest(origin, category, profile=profile, lang=lang, profile_file=profile_file, **overrides)
    else:
        result = city.route(origin, destination, profile=profile, lang=lang, profile_file=profile_file, **overrides)
    if result.facility:
        f = result.facility
        click.echo(f"{f['label']}: {f['name'] or f['osm']} (wheelchair={f['wheelchair'] or '?'})")
    click.echo(result.message())
    if result.found:
        click.echo(("dati sconosciuti: " if lang == "it" else "unknown data: ") + f"{result.unknown_share:.0%}")
        for step in result.directions:
            click.echo(f"  - {step}")
    if output:
        import json

        output.parent.mkdir(parents=True, exist_ok=True)
        write_text(json.dumps(result.to_geojson(), ensure_ascii=False, indent=1), output)
        click.echo(f"route written to {output}")
    if map_file:
        from accessibility.maps import route_map

        map_file.parent.mkdir(parents=True, exist_ok=True)
        write_text(route_map(result, tiles=tiles).get_root().render(), map_file)
        click.echo(f"map written to {map_file}")
    if not result.found:
        sys.exit(2)


@main.command()
@click.option("--city", "city_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Workspace folder.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the audit to (tables, maps, report.html); replaced whole.")
@click.option("--profiles", help="Comma-separated profiles (default: all).")
@click.option("--categories", help="Comma-separated facility categories (default: all).")
@click.option("--lang", type=click.Choice(["it", "en"]), default="it", show_default=True, help="Report language.")
@click.option("--population", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="ISTAT population by age (CSV: age, tot): residents and the shares over 65 and 80.")
@click.option("--residents", type=click.FloatRange(min=0, min_open=True),
              help="Residents to spread when there is no --population table.")
@click.option("--registry", "registries", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A facility registry (CSV, GeoPackage, GeoJSON); repeat, each with its --registry-map.")
@click.option("--registry-map", "registry_maps", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The TOML mapping file of each --registry, in the same order (see data/registries/).")
@click.option("--areas", "areas_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Neighbourhood polygons (GeoPackage, GeoJSON) to score (default: hexagons).")
@click.option("--area-id", help="Column of --areas holding the area ids (default: row order).")
@click.option("--hex-size", type=click.FloatRange(min=0, min_open=True), help="Hexagon size in metres.")
@click.option("--tiles/--no-tiles", default=False, show_default=True,
              help="Add the OpenStreetMap background to the maps (needs internet to show).")
def audit(city_dir: Path, output: Path, profiles: str | None, categories: str | None, lang: str,
          population: Path | None, residents: float | None, registries: tuple[Path, ...],
          registry_maps: tuple[Path, ...], areas_file: Path | None, area_id: str | None, hex_size: float | None,
          tiles: bool) -> None:
    """The accessibility audit: who reaches which facilities, per mobility profile."""

    if len(registries) != len(registry_maps):
        raise click.BadParameter(f"{len(registries)} --registry file(s) but {len(registry_maps)} --registry-map; "
                                 f"give one mapping per registry, in the same order", param_hint="--registry-map")
    areas = None
    if areas_file:
        import geopandas as gpd

        areas = gpd.read_file(areas_file)
        if area_id and area_id not in areas.columns:
            raise click.BadParameter(f"{areas_file.name} has no column {area_id!r}; it has: "
                                     f"{', '.join(map(str, areas.columns))}", param_hint="--area-id")
    split = (lambda text: [p.strip() for p in text.split(",") if p.strip()] if text else None)
    city = City.load(city_dir)
    result = city.audit(profiles=split(profiles), categories=split(categories), population=population,
                        residents=residents, registries=list(zip(registries, registry_maps)),
                        areas=areas, area_id_column=area_id, hex_size_m=hex_size)
    write_audit(result, output, lang=lang, tiles=tiles, network=city.network)
    for note in result.meta["notes"]:
        click.echo(f"note: {plain(note)}")
    first = result.meta["thresholds"][0]
    rows = result.reach[result.reach["threshold"] == first]
    click.echo(f"residents reaching the nearest facility within {first} (walking in brackets):")
    for r in rows.itertuples():
        click.echo(f"  {r.category:<12} {r.profile:<18} {r.residents_share:>5.0%} ({r.walk_residents_share:.0%})")
    click.echo(f"{len(result.unreachable)} facility/profile pairs nobody can reach; audit written to {output}")


def _names(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@main.command()
@CITY_DIR
@click.option("--budget", required=True, type=click.FloatRange(min=0), help="Budget in euros.")
@click.option("--profiles", callback=_names, metavar="A,B", help="Profiles (default: all but walk).")
@click.option("--categories", callback=_names, metavar="A,B", help="Facility categories (default: all in the city).")
@click.option("--population", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="ISTAT population-by-age table (CSV): residents and age shares.")
@click.option("--residents", type=click.FloatRange(min=0, min_open=True), help="Residents in all (without --population).")
@click.option("--weight", type=click.Choice(["residents", "over65", "over80"]), default="residents", show_default=True,
              help="Count all residents or one age group (needs --population).")
@click.option("--threshold-m", type=click.FloatRange(min=0, min_open=True), help="Reach within this many metres (default 1000).")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), help="Reach within this many minutes at each profile's speed.")
@click.option("--costs", "costs_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The city's own cost table (same form as data/costs.toml).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Plan as CSV.")
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="Also as a spreadsheet.")
@click.option("--gpkg", type=click.Path(dir_okay=False, path_type=Path), help="Also as a GeoPackage for QGIS.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False, path_type=Path), help="Map of the numbered interventions (HTML, offline).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Report for the council (HTML).")
@click.option("--lang", type=click.Choice(["it", "en"]), default="it", show_default=True, help="Language.")
def plan(city_dir: Path, budget: float, profiles, categories, population: Path | None, residents: float | None,
         weight: str, threshold_m: float | None, minutes: float | None, costs_file: Path | None, output: Path,
         xlsx: Path | None, gpkg: Path | None, map_file: Path | None, report: Path | None, lang: str) -> None:
    """Rank the interventions by the people they give access to, and fund them within a budget."""
    from accessibility.interventions import load_cost_table
    from accessibility.plan_report import plan_report_html, plan_table

    if population is None and residents is None:
        raise click.UsageError("give --population ISTAT.csv or --residents N")
    if threshold_m is not None and minutes is not None:
        raise click.UsageError("--threshold-m and --minutes exclude each other")
    city = City.load(city_dir)
    result = city.plan(budget, profiles=profiles, categories=categories, population=population, residents=residents,
                       weight=weight, threshold_m=threshold_m, threshold_min=minutes, costs=costs_file)
    cost_table = load_cost_table(costs_file)
    table = plan_table(result, lang, cost_table)
    plain_table = table.drop(columns="geometry")
    output.parent.mkdir(parents=True, exist_ok=True)
    write_csv(plain_table, output)
    click.echo(f"{len(table):,} interventions ranked, {int(table['within_budget'].sum()):,} funded "
               f"({table.loc[table['within_budget'], 'cost'].sum():,.0f} of {budget:,.0f} EUR): {output}")
    if xlsx:
        write_xlsx({"plan": plain_table}, xlsx)
        click.echo(f"spreadsheet: {xlsx}")
    if gpkg:
        write_table(table, gpkg, "gpkg", layer="plan")
        click.echo(f"GeoPackage: {gpkg}")
    if map_file:
        from accessibility.maps import plan_map

        write_text(plan_map(table, lang, network=city.network).get_root().render(), map_file)
        click.echo(f"map: {map_file}")
    if report:
        write_text(plan_report_html(result, city.meta.get("name") or "", lang, cost_table), report)
        click.echo(f"report: {report}")


if __name__ == "__main__":
    main()
