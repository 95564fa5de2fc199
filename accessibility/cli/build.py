"""``accessibility build`` and ``accessibility barriers``: make a workspace, export its barriers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from accessibility.city import City
from accessibility.cli.main import CITY_DIR, EXPORT_FORMATS, command, format_for, main
from accessibility.cli.progress import TerminalProgress
from accessibility.i18n import N_, _, number
from accessibility.model.barriers import taxonomy
from accessibility.outputs.export import write_table


@command(main, help=_("Build a city workspace: the pedestrian network and its barriers."))
@click.option(
    "--osm",
    "osm_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("OSM file (.osm/.pbf/.json, also .bz2/.gz/.xz); repeat to merge several."),
)
@click.option("--place", help=_('Place to download from OpenStreetMap, e.g. "Cremona, Italy".'))
@click.option(
    "--boundary",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("Boundary polygon file (GeoJSON, GPKG) to download, or to name the area of --osm."),
)
@click.option("--name", help=_("City name (default: the place's, the boundary file's, else the place the data names)."))
@click.option(
    "--city",
    "city_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=_("Workspace folder to write."),
)
def build(
    osm_files: tuple[Path, ...], place: str | None, boundary: Path | None, name: str | None, city_dir: Path
) -> None:
    if not osm_files and not place and not boundary:
        raise click.UsageError(_("give --osm FILE, --place NAME or --boundary FILE"))
    if osm_files and place:
        raise click.UsageError(_("--osm and --place exclude each other"))
    if place and boundary:
        raise click.UsageError(_("--place and --boundary exclude each other"))
    with TerminalProgress() as progress:
        city = City.build(osm=osm_files, place=place, boundary=boundary, name=name, progress=progress)
        progress.stage(N_("Saving the workspace"))
        city.save(city_dir)
    _echo_summary(city.summary())
    click.echo(_("workspace written to {path}").format(path=city_dir))


def _echo_summary(s: dict[str, Any]) -> None:
    click.echo(
        _("{name}: {nodes} nodes, {edges} edges, {km} km of network").format(
            name=s["name"], nodes=number(s["nodes"]), edges=number(s["edges"]), km=number(s["km"], 1)
        )
    )
    click.echo(_("{count} barriers (known / unknown):").format(count=number(s["barriers"])))
    kinds = taxonomy()
    for kind, n in s["barriers_by_kind"].items():
        label = _(kinds[kind].label) if kind in kinds else kind
        click.echo(f"  {label:<50} {number(n['known']):>7} / {number(n['unknown'])}")
    if s.get("nodes_out_of_range"):
        click.echo(
            _(
                "{count} nodes lie outside latitude +-90 / longitude +-180: skipped, their ways cut there "
                "(listed in tag_problems.csv)"
            ).format(count=number(s["nodes_out_of_range"]))
        )
    if s["tag_problems"]:
        click.echo(
            _("{count} tag values could not be read as given (see tag_problems.csv)").format(
                count=number(s["tag_problems"])
            )
        )


@command(main, help=_("Export the barriers in WGS84 for QGIS and spreadsheets."))
@CITY_DIR
@click.option(
    "--format", "fmt", type=click.Choice(sorted(EXPORT_FORMATS)), help=_("Output format (default: from the file name).")
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=_("File to write.")
)
def barriers(city_dir: Path, fmt: str | None, output: Path) -> None:
    with TerminalProgress() as progress:
        progress.stage(N_("Loading the workspace"))
        city = City.load(city_dir)
        progress.stage(N_("Naming places"))
        table = city.barriers_wgs84()
    write_table(table, output, format_for(output, fmt), layer="barriers")
    click.echo(_("{count} barriers written to {path}").format(count=number(len(table)), path=output))
