"""The ``accessibility`` command line: each command parses, makes one library call, writes.

Run ``accessibility --help`` (or ``python cli.py --help``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from accessibility import City
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
    from accessibility.export import write_table

    table = City.load(city_dir).barriers_wgs84()
    write_table(table, output, fmt, layer="barriers")
    click.echo(f"{len(table):,} barriers written to {output}")


if __name__ == "__main__":
    main()
