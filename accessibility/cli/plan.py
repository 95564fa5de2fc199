"""``accessibility plan``: rank the interventions and fund them within a budget."""

from __future__ import annotations

from pathlib import Path

import click

from accessibility.city import City
from accessibility.cli.main import CITY_DIR, Finite, command, main, names
from accessibility.files import write_text
from accessibility.i18n import _, language, money, number
from accessibility.outputs.export import write_csv, write_table, write_xlsx
from accessibility.outputs.maps import plan_map
from accessibility.outputs.plan_report import plan_report_html, plan_table
from accessibility.planning.interventions import load_cost_table


@command(main, help=_("Rank the interventions by the people they give access to, and fund them within a budget."))
@CITY_DIR
@click.option("--budget", required=True, type=Finite(min=0), help=_("Budget in euros."))
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
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=_("Plan as CSV."))
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help=_("Also as a spreadsheet."))
@click.option("--gpkg", type=click.Path(dir_okay=False, path_type=Path), help=_("Also as a GeoPackage for QGIS."))
@click.option(
    "--map",
    "map_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Map of the numbered interventions (HTML, offline)."),
)
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
    output: Path,
    xlsx: Path | None,
    gpkg: Path | None,
    map_file: Path | None,
    report: Path | None,
) -> None:
    if population is None and residents is None:
        raise click.UsageError(_("give --population ISTAT.csv or --residents N"))
    if threshold_m is not None and minutes is not None:
        raise click.UsageError(_("--threshold-m and --minutes exclude each other"))
    lang = language()
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
    )
    cost_table = load_cost_table(costs_file)
    table = plan_table(result, lang, cost_table)
    plain_table = table.drop(columns="geometry")
    write_csv(plain_table, output)
    click.echo(
        _("{ranked} interventions ranked, {funded} funded ({spent} of {budget}): {path}").format(
            ranked=number(len(table)),
            funded=number(int(table["within_budget"].sum())),
            spent=money(table.loc[table["within_budget"], "cost"].sum()),
            budget=money(budget),
            path=output,
        )
    )
    if xlsx:
        write_xlsx({"plan": plain_table}, xlsx)
        click.echo(_("spreadsheet: {path}").format(path=xlsx))
    if gpkg:
        write_table(table, gpkg, "gpkg", layer="plan")
        click.echo(_("GeoPackage: {path}").format(path=gpkg))
    if map_file:
        write_text(plan_map(table, lang, network=city.network).get_root().render(), map_file)
        click.echo(_("map: {path}").format(path=map_file))
    if report:
        write_text(plan_report_html(result, city.meta.get("name") or "", lang, cost_table), report)
        click.echo(_("report: {path}").format(path=report))
