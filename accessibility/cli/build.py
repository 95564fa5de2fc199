"""``accessibility build`` and ``accessibility barriers``: make a workspace, export its barriers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from accessibility.city import City
from accessibility.cli.main import EXPORT_FORMATS, format_for, main
from accessibility.outputs.export import write_table

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


def _echo_summary(s: dict[str, Any]) -> None:
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
    table = City.load(city_dir).barriers_wgs84()
    write_table(table, output, format_for(output, fmt), layer="barriers")
    click.echo(f"{len(table):,} barriers written to {output}")


