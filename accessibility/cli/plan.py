"""``accessibility plan``: rank the interventions and fund them within a budget."""

from __future__ import annotations

from pathlib import Path

import click

from accessibility.city import City
from accessibility.cli.main import CITY_DIR, main
from accessibility.files import write_text
from accessibility.outputs.export import write_csv, write_table, write_xlsx
from accessibility.outputs.maps import plan_map
from accessibility.outputs.plan_report import plan_report_html, plan_table
from accessibility.planning.interventions import load_cost_table

def _names(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@main.command()
@CITY_DIR
@click.option("--budget", required=True, type=click.FloatRange(min=0), help="Budget in euros.")
@click.option("--profiles", callback=_names, metavar="A,B", help="Profiles (default: all but walk).")
@click.option("--categories", callback=_names, metavar="A,B", help="Facility categories (default: all in the city).")
@click.option("--population", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="ISTAT population-by-age table (CSV): residents and age shares.")
@click.option("--residents", type=click.FloatRange(min=0, min_open=True), help="Residents in all (without --population).")
@click.option("--weight", type=click.Choice(["residents", "over65", "over80"]), default="residents", show_default=True,
              help="Count all residents or one age group (needs --population).")
@click.option("--threshold-m", type=click.FloatRange(min=0, min_open=True), help="Reach within this many metres (default 1000).")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), help="Reach within this many minutes at each profile's speed.")
@click.option("--costs", "costs_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The city's own cost table (same form as data/costs.toml).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Plan as CSV.")
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="Also as a spreadsheet.")
@click.option("--gpkg", type=click.Path(dir_okay=False, path_type=Path), help="Also as a GeoPackage for QGIS.")
@click.option("--map", "map_file", type=click.Path(dir_okay=False, path_type=Path), help="Map of the numbered interventions (HTML, offline).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Report for the council (HTML).")
@click.option("--lang", type=click.Choice(["it", "en"]), default="it", show_default=True, help="Language.")
def plan(city_dir: Path, budget: float, profiles, categories, population: Path | None, residents: float | None,
         weight: str, threshold_m: float | None, minutes: float | None, costs_file: Path | None, output: Path,
         xlsx: Path | None, gpkg: Path | None, map_file: Path | None, report: Path | None, lang: str) -> None:
    """Rank the interventions by the people they give access to, and fund them within a budget."""
    if population is None and residents is None:
        raise click.UsageError("give --population ISTAT.csv or --residents N")
    if threshold_m is not None and minutes is not None:
        raise click.UsageError("--threshold-m and --minutes exclude each other")
    city = City.load(city_dir)
    result = city.plan(budget, profiles=profiles, categories=categories, population=population, residents=residents,
                       weight=weight, threshold_m=threshold_m, threshold_min=minutes, costs=costs_file)
    cost_table = load_cost_table(costs_file)
    table = plan_table(result, lang, cost_table)
    plain_table = table.drop(columns="geometry")
    output.parent.mkdir(parents=True, exist_ok=True)
    write_csv(plain_table, output)
    click.echo(f"{len(table):,} interventions ranked, {int(table['within_budget'].sum()):,} funded "
               f"({table.loc[table['within_budget'], 'cost'].sum():,.0f} of {budget:,.0f} EUR): {output}")
    if xlsx:
        write_xlsx({"plan": plain_table}, xlsx)
        click.echo(f"spreadsheet: {xlsx}")
    if gpkg:
        write_table(table, gpkg, "gpkg", layer="plan")
        click.echo(f"GeoPackage: {gpkg}")
    if map_file:
        write_text(plan_map(table, lang, network=city.network).get_root().render(), map_file)
        click.echo(f"map: {map_file}")
    if report:
        write_text(plan_report_html(result, city.meta.get("name") or "", lang, cost_table), report)
        click.echo(f"report: {report}")


