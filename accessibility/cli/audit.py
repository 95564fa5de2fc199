"""``accessibility audit``: who reaches which facilities, per profile."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd

from accessibility.city import City
from accessibility.cli.main import CITY_DIR, Finite, command, main, names, plain
from accessibility.i18n import _, language, number, percent
from accessibility.model.facilities import categories as all_categories
from accessibility.outputs.export import write_audit


@command(main, help=_("The accessibility audit: who reaches which facilities, per mobility profile."))
@CITY_DIR
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=_("Folder to write the audit to (tables, maps, report.html); replaced whole."),
)
@click.option("--profiles", callback=names, metavar="A,B", help=_("Comma-separated profiles (default: all)."))
@click.option(
    "--categories", callback=names, metavar="A,B", help=_("Comma-separated facility categories (default: all).")
)
@click.option(
    "--population",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("ISTAT population by age (CSV: age, tot): residents and the shares over 65 and 80."),
)
@click.option(
    "--residents",
    type=Finite(min=0, min_open=True),
    help=_("Residents to spread when there is no --population table."),
)
@click.option(
    "--registry",
    "registries",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("A facility registry (CSV, GeoPackage, GeoJSON); repeat, each with its --registry-map."),
)
@click.option(
    "--registry-map",
    "registry_maps",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("The TOML mapping file of each --registry, in the same order (see data/registries/)."),
)
@click.option(
    "--areas",
    "areas_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("Neighbourhood polygons (GeoPackage, GeoJSON) to score (default: hexagons)."),
)
@click.option("--area-id", help=_("Column of --areas holding the area ids (default: row order)."))
@click.option("--hex-size", type=Finite(min=0, min_open=True), help=_("Hexagon size in metres."))
@click.option(
    "--tiles/--no-tiles",
    default=False,
    show_default=True,
    help=_("Add the OpenStreetMap background to the maps (needs internet to show)."),
)
def audit(
    city_dir: Path,
    output: Path,
    profiles: list[str] | None,
    categories: list[str] | None,
    population: Path | None,
    residents: float | None,
    registries: tuple[Path, ...],
    registry_maps: tuple[Path, ...],
    areas_file: Path | None,
    area_id: str | None,
    hex_size: float | None,
    tiles: bool,
) -> None:
    if output.exists() and (not output.is_dir() or (any(output.iterdir()) and not (output / "report.html").is_file())):
        raise click.BadParameter(
            _(
                "{path} exists and is not an earlier audit (no report.html): the audit replaces its folder whole; "
                "choose a new or empty folder"
            ).format(path=output),
            param_hint="--output",
        )
    if len(registries) != len(registry_maps):
        raise click.BadParameter(
            _(
                "{registries} --registry file(s) but {maps} --registry-map; give one mapping per "
                "registry, in the same order"
            ).format(registries=len(registries), maps=len(registry_maps)),
            param_hint="--registry-map",
        )
    areas = None
    if areas_file:
        try:
            areas = gpd.read_file(areas_file)
        except Exception as exc:  # GDAL reports unreadable files in many ways
            raise click.BadParameter(
                _("{file} cannot be read as polygons (GeoPackage, GeoJSON): {reason}").format(
                    file=areas_file.name, reason=" ".join(str(exc).split())[:200]
                ),
                param_hint="--areas",
            ) from None
        kinds = set(areas.geometry.geom_type.dropna()) if len(areas) else set()
        if not kinds or not kinds <= {"Polygon", "MultiPolygon"}:
            raise click.BadParameter(
                _("{file}: the areas must be polygons (neighbourhoods); this layer holds: {kinds}").format(
                    file=areas_file.name, kinds=", ".join(sorted(kinds)) or _("no geometry")
                ),
                param_hint="--areas",
            )
        if area_id and area_id not in areas.columns:
            raise click.BadParameter(
                _("{file} has no column {column}; it has: {columns}").format(
                    file=areas_file.name, column=repr(area_id), columns=", ".join(map(str, areas.columns))
                ),
                param_hint="--area-id",
            )
    city = City.load(city_dir)
    result = city.audit(
        profiles=profiles,
        categories=categories,
        population=population,
        residents=residents,
        registries=list(zip(registries, registry_maps)),
        areas=areas,
        area_id_column=area_id,
        hex_size_m=hex_size,
    )
    write_audit(result, output, lang=language(), tiles=tiles, network=city.network)
    for note in result.meta["notes"]:
        click.echo(_("note: {text}").format(text=plain(note)))
    first = result.meta["thresholds"][0]
    rows = result.reach[result.reach["threshold"] == first]
    click.echo(_("residents reaching the nearest facility within {limit} (walking in brackets):").format(limit=first))
    labels = {c: _(cat.label) for c, cat in all_categories().items()}
    for r in rows.itertuples():
        click.echo(
            f"  {labels.get(r.category, r.category):<36} {_(city.profile(r.profile).label):<40} "
            f"{percent(r.residents_share):>6} ({percent(r.walk_residents_share)})"
        )
    click.echo(
        _("{count} facility/profile pairs nobody can reach; audit written to {path}").format(
            count=number(len(result.unreachable)), path=output
        )
    )
