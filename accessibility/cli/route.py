"""``accessibility route``: an accessible route for a profile, with directions and a map."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from accessibility.city import City
from accessibility.cli.main import main
from accessibility.files import write_text
from accessibility.outputs.maps import route_map

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
        output.parent.mkdir(parents=True, exist_ok=True)
        write_text(json.dumps(result.to_geojson(), ensure_ascii=False, indent=1), output)
        click.echo(f"route written to {output}")
    if map_file:
        map_file.parent.mkdir(parents=True, exist_ok=True)
        write_text(route_map(result, tiles=tiles).get_root().render(), map_file)
        click.echo(f"map written to {map_file}")
    if not result.found:
        sys.exit(2)


