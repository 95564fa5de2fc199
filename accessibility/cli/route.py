"""``accessibility route``: an accessible route for a profile, with directions and a map."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from accessibility.city import City
from accessibility.cli.main import CITY_DIR, Finite, command, main
from accessibility.cli.mapoptions import tile_layer, tiles_options
from accessibility.cli.progress import TerminalProgress
from accessibility.files import write_text
from accessibility.i18n import N_, _, language, percent
from accessibility.outputs.maps import route_map


def _latlon(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lat, lon = (float(p) for p in value.split(","))
    except ValueError:
        raise click.BadParameter(_("{value} is not LAT,LON (e.g. 45.1336,10.0227)").format(value=repr(value))) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise click.BadParameter(
            _("{value}: latitude must be within +-90 and longitude within +-180").format(value=repr(value))
        )
    return lat, lon


@command(main, help=_("An accessible route for a mobility profile, with step-by-step directions."))
@CITY_DIR
@click.option("--from", "origin", required=True, callback=_latlon, metavar="LAT,LON", help=_("Where the route starts."))
@click.option("--to", "destination", callback=_latlon, metavar="LAT,LON", help=_("Where the route ends."))
@click.option(
    "--to-nearest",
    "category",
    metavar="CATEGORY",
    help=_("Go to the nearest facility of this category (e.g. pharmacy, sports, town_hall)."),
)
@click.option(
    "--profile",
    default="walk",
    show_default=True,
    help=_("Mobility profile: walk, manual_wheelchair, power_wheelchair, walker, blind, pushchair."),
)
@click.option(
    "--profile-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("A TOML file of your own profiles (same form as data/profiles.toml)."),
)
@click.option("--max-kerb-cm", type=Finite(min=0), help=_("Highest kerb you can pass, cm."))
@click.option("--max-incline", type=Finite(min=0, min_open=True), help=_("Steepest slope up or down, %."))
@click.option("--min-width-cm", type=Finite(min=0), help=_("Narrowest passage you fit through, cm."))
@click.option("--max-steps", type=click.IntRange(min=0), help=_("Most steps you can climb."))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help=_("Write the route as GeoJSON."))
@click.option(
    "--map",
    "map_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Write an HTML map that opens without internet."),
)
@tiles_options
def route(
    city_dir: Path,
    origin: tuple[float, float],
    destination: tuple[float, float] | None,
    category: str | None,
    profile: str,
    profile_file: Path | None,
    max_kerb_cm: float | None,
    max_incline: float | None,
    min_width_cm: float | None,
    max_steps: int | None,
    output: Path | None,
    map_file: Path | None,
    tiles_url: str | None,
    tiles_attribution: str | None,
) -> None:
    if (destination is None) == (category is None):
        raise click.UsageError(_("give exactly one of --to LAT,LON and --to-nearest CATEGORY"))
    overrides: dict[str, Any] = {
        "max_kerb_cm": max_kerb_cm,
        "max_incline_up_pct": max_incline,
        "max_incline_down_pct": max_incline,
        "min_width_cm": min_width_cm,
        "max_steps": max_steps,
    }
    tiles = tile_layer(tiles_url, tiles_attribution)
    lang = language()
    with TerminalProgress() as progress:
        progress.stage(N_("Loading the workspace"))
        city = City.load(city_dir)
        progress.stage(N_("Computing the route"))
        if category:
            result = city.nearest(origin, category, profile=profile, lang=lang, profile_file=profile_file, **overrides)
        else:
            assert destination is not None
            result = city.route(origin, destination, profile=profile, lang=lang, profile_file=profile_file, **overrides)
        if map_file:
            progress.stage(N_("Drawing the map"))
            page = route_map(result, tiles=tiles, basemap=city.basemap, network=city.network)
    if result.facility:
        f = result.facility
        click.echo(f"{f['label']}: {f['name'] or f['osm']} (wheelchair={f['wheelchair'] or '?'})")
    click.echo(result.message())
    if result.found:
        click.echo(_("unknown data: {share}").format(share=percent(result.unknown_share)))
        for step in result.directions:
            click.echo(f"  - {step}")
    if output:
        write_text(json.dumps(result.to_geojson(), ensure_ascii=False, indent=1), output)
        click.echo(_("route written to {path}").format(path=output))
    if map_file:
        page.save(map_file, share_basemap=False)
        click.echo(_("map written to {path}").format(path=map_file))
    if not result.found:
        sys.exit(2)
