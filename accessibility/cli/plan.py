"""``accessibility plan``: rank the interventions and fund them within a budget."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from accessibility.city import City
from accessibility.cli.audit import warn
from accessibility.cli.cityoptions import areas_options, check_registries, read_areas, registry_options
from accessibility.cli.main import CITY_DIR, Finite, command, main, names, plain
from accessibility.cli.mapoptions import tile_layer, tiles_options
from accessibility.cli.progress import TerminalProgress
from accessibility.files import write_text
from accessibility.i18n import N_, _, language, money, number
from accessibility.outputs.export import attribution, write_csv, write_table, write_xlsx
from accessibility.outputs.maps import plan_map
from accessibility.outputs.plan_report import plan_people_table, plan_report_html, plan_sheets, plan_table
from accessibility.outputs.report import sources_of
from accessibility.planning.interventions import load_cost_table
from accessibility.values import parse_euros

__all__ = ["Euros", "plan"]


class Euros(click.ParamType):
    """A click parameter of euros written as :func:`parse_euros` reads them."""

    name = "euros"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float) and math.isfinite(value) and value >= 0:
            return float(value)
        try:
            return parse_euros(str(value))
        except ValueError:
            try:
                number = float(str(value))
            except ValueError:
                number = 0.0
            if not math.isfinite(number):  # nan, inf, 1e999: say so, as every number option does
                self.fail(_("{value} is not a finite number").format(value=repr(plain(value))), param, ctx)
            self.fail(
                _(
                    "cannot read {value} as euros; write 150000, 150.000, 150.000,00 or 150k "
                    "(150,000 is ambiguous: write 150.000)"
                ).format(value=repr(plain(value))),
                param,
                ctx,
            )


@command(main, help=_("Rank the interventions by the people they give access to, and fund them within a budget."))
@CITY_DIR
@click.option(
    "--budget",
    required=True,
    type=Euros(),
    help=_("Budget in euros: 150000, 150.000, 150.000,00 or 150k."),
)
@click.option("--profiles", callback=names, metavar="A,B", help=_("Profiles (default: all but walk)."))
@click.option("--categories", callback=names, metavar="A,B", help=_("Facility categories (default: all in the city)."))
@click.option(
    "--population",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("ISTAT population-by-age table (CSV): residents and age shares."),
)
@click.option("--residents", type=Finite(min=0, min_open=True), help=_("Residents in all (without --population)."))
@click.option(
    "--weight",
    type=click.Choice(["residents", "over65", "over80"]),
    default="residents",
    show_default=True,
    help=_("Count all residents or one age group (needs --population)."),
)
@click.option(
    "--threshold-m",
    type=Finite(min=0, min_open=True),
    help=_("Reach within this many metres (default 1000)."),
)
@click.option(
    "--minutes",
    type=Finite(min=0, min_open=True),
    help=_("Reach within this many minutes at each profile's speed."),
)
@click.option(
    "--costs",
    "costs_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("The city's own cost table (same form as data/costs.toml)."),
)
@registry_options
@areas_options(N_("Neighbourhood polygons (GeoPackage, GeoJSON): each intervention is placed in its neighbourhood."))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Plan as CSV (for Italian: ';' between fields, decimal comma; for English: ',' and '.')."),
)
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help=_("Also as a spreadsheet."))
@click.option("--gpkg", type=click.Path(dir_okay=False, path_type=Path), help=_("Also as a GeoPackage for QGIS."))
@click.option(
    "--map",
    "map_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Map of the numbered interventions (HTML, offline)."),
)
@tiles_options
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help=_("Report for the council (HTML)."))
def plan(
    city_dir: Path,
    budget: float,
    profiles: list[str] | None,
    categories: list[str] | None,
    population: Path | None,
    residents: float | None,
    weight: str,
    threshold_m: float | None,
    minutes: float | None,
    costs_file: Path | None,
    registries: tuple[Path, ...],
    registry_maps: tuple[Path, ...],
    areas_file: Path | None,
    area_id: str | None,
    output: Path,
    xlsx: Path | None,
    gpkg: Path | None,
    map_file: Path | None,
    tiles_url: str | None,
    tiles_attribution: str | None,
    report: Path | None,
) -> None:
    if population is None and residents is None:
        raise click.UsageError(_("give --population ISTAT.csv or --residents N"))
    if threshold_m is not None and minutes is not None:
        raise click.UsageError(_("--threshold-m and --minutes exclude each other"))
    pairs = check_registries(registries, registry_maps)
    areas = read_areas(areas_file, area_id)
    tiles = tile_layer(tiles_url, tiles_attribution)
    lang = language()
    with TerminalProgress() as progress:
        progress.stage(N_("Loading the workspace"))
        city = City.load(city_dir)
        result = city.plan(
            budget,
            profiles=profiles,
            categories=categories,
            population=population,
            residents=residents,
            weight=weight,
            threshold_m=threshold_m,
            threshold_min=minutes,
            costs=costs_file,
            registries=pairs,
            areas=areas,
            area_id_column=area_id,
            progress=progress,
        )
        progress.stage(N_("Writing the plan"))
        cost_table = load_cost_table(costs_file)
        table = plan_table(result, lang, cost_table)
        write_csv(plan_people_table(result, lang, cost_table), output)
        sources = attribution(
            sources_of({"population_source": result.population_source, "registries": result.registries})
        )
        if xlsx:
            write_xlsx(plan_sheets(result, lang, cost_table), xlsx, sources=sources)
        if gpkg:
            write_table(table, gpkg, "gpkg", layer="plan", sources=sources)
        if map_file:
            plan_map(table, lang, tiles=tiles, network=city.network, basemap=city.basemap).save(
                map_file, share_basemap=False
            )
        if report:
            write_text(plan_report_html(result, city.meta.get("name") or "", lang, cost_table), report)
    warn(result.warnings)
    for note in result.notes:
        click.echo(_("note: {text}").format(text=plain(note)))
    click.echo(
        _("{ranked} interventions ranked, {funded} funded ({spent} of {budget}): {path}").format(
            ranked=number(len(table)),
            funded=number(int(table["within_budget"].sum())),
            spent=money(table.loc[table["within_budget"], "cost"].sum()),
            budget=money(budget),
            path=output,
        )
    )
    for path, what in (
        (xlsx, N_("spreadsheet: {path}")),
        (gpkg, N_("GeoPackage: {path}")),
        (map_file, N_("map: {path}")),
        (report, N_("report: {path}")),
    ):
        if path:
            click.echo(_(what).format(path=path))
