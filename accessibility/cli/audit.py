"""``accessibility audit``: who reaches which facilities, per profile."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd

from accessibility.city import City
from accessibility.cli.main import main, plain
from accessibility.outputs.export import write_audit

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


