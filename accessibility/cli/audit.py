"""``accessibility audit``: who reaches which facilities, per profile."""

from __future__ import annotations

from pathlib import Path

import click

from accessibility.analysis.audit import DATA_GAPS
from accessibility.city import City
from accessibility.cli.cityoptions import areas_options, check_registries, read_areas, registry_options
from accessibility.cli.main import CITY_DIR, Finite, command, main, names, plain
from accessibility.cli.mapoptions import tile_layer, tiles_options
from accessibility.cli.progress import TerminalProgress
from accessibility.i18n import N_, _, language, number, percent
from accessibility.model.facilities import categories as all_categories
from accessibility.outputs.export import write_audit
from accessibility.outputs.report import limit_label

__all__ = ["audit", "warn"]


def warn(messages: list[object]) -> None:
    """Warnings on standard error, one line each, marked so they are not missed."""
    for message in messages:
        click.secho(_("warning: {text}").format(text=plain(message)), err=True, fg="yellow", bold=True)


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
@registry_options
@areas_options(N_("Neighbourhood polygons (GeoPackage, GeoJSON) to score (default: hexagons)."))
@click.option("--hex-size", type=Finite(min=0, min_open=True), help=_("Hexagon size in metres."))
@click.option(
    "--snapshot/--no-snapshot",
    default=True,
    show_default=True,
    help=_("Keep the audit as today's dated snapshot in the workspace (for the yearly report)."),
)
@tiles_options
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
    snapshot: bool,
    tiles_url: str | None,
    tiles_attribution: str | None,
) -> None:
    if output.exists() and (not output.is_dir() or (any(output.iterdir()) and not (output / "report.html").is_file())):
        raise click.BadParameter(
            _(
                "{path} exists and is not an earlier audit (no report.html): the audit replaces its folder whole; "
                "choose a new or empty folder"
            ).format(path=output),
            param_hint="--output",
        )
    pairs = check_registries(registries, registry_maps)
    tiles = tile_layer(tiles_url, tiles_attribution)
    areas = read_areas(areas_file, area_id)
    with TerminalProgress() as progress:
        progress.stage(N_("Loading the workspace"))
        city = City.load(city_dir)
        result = city.audit(
            profiles=profiles,
            categories=categories,
            population=population,
            residents=residents,
            registries=pairs,
            areas=areas,
            area_id_column=area_id,
            hex_size_m=hex_size,
            progress=progress,
        )
        progress.stage(N_("Writing tables, maps and the report"))
        write_audit(result, output, lang=language(), tiles=tiles, network=city.network, basemap=city.basemap)
        if snapshot:
            progress.stage(N_("Keeping a dated snapshot in the workspace"))
            kept = city.keep_snapshot(result)
    warn(result.meta["warnings"])
    if snapshot:
        click.echo(_("snapshot kept: {path}").format(path=kept))
    for note in result.meta["notes"]:
        click.echo(_("note: {text}").format(text=plain(note)))
    first = result.meta["thresholds"][0]
    rows = result.reach[result.reach["threshold"] == first]
    click.echo(
        _("residents reaching the nearest facility within {limit} (walking in brackets):").format(
            limit=limit_label(first)
        )
    )
    labels = {c: _(cat.label) for c, cat in all_categories().items()}
    for r in rows.itertuples():
        click.echo(
            f"  {labels.get(r.category, r.category):<36} {_(city.profile(r.profile).label):<40} "
            f"{percent(r.residents_share):>6} ({percent(r.walk_residents_share)})"
        )
    gaps = int(result.unreachable["reason"].isin(DATA_GAPS).sum()) if len(result.unreachable) else 0
    click.echo(
        _(
            "{count} facility/profile pairs nobody can reach: {barred} because of barriers or the facility's "
            "own tag, {gaps} because of gaps in the map data"
        ).format(
            count=number(len(result.unreachable)), barred=number(len(result.unreachable) - gaps), gaps=number(gaps)
        )
    )
    click.echo(_("audit written to {path}").format(path=output))
