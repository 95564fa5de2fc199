"""``accessibility programme``: the PEBA programme over the years, and its regional register.

The budgets parser here is the programme's own (:func:`accessibility.planning.programme.parse_budgets`,
Italian amounts such as ``150.000`` accepted); ``plan --budget`` may share it later.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from accessibility.city import City
from accessibility.cli.main import CITY_DIR, command, main, names
from accessibility.errors import AccessibilityError
from accessibility.files import new_folder, write_text
from accessibility.i18n import _, language, money, number
from accessibility.outputs.export import write_csv, write_xlsx
from accessibility.outputs.programme import (
    csv_separator,
    for_csv,
    programme_report_html,
    programme_table,
    register_tables,
    years_table,
)
from accessibility.planning.interventions import load_cost_table
from accessibility.planning.lenses import load_lenses
from accessibility.planning.programme import parse_budgets
from accessibility.snapshots import save_programme
from accessibility.values import parse_date


def _budgets(ctx: click.Context, param: click.Parameter, value: str) -> dict[int, float]:
    try:
        return parse_budgets(value)
    except AccessibilityError as exc:
        raise click.BadParameter(str(exc)) from None


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError:
        raise click.BadParameter(_("{value} is not a date (write e.g. 27/11/2025)").format(value=repr(value))) from None


@command(main, help=_("The PEBA programme over the years: the ranked interventions given years under each budget."))
@CITY_DIR
@click.option(
    "--budgets",
    required=True,
    callback=_budgets,
    metavar="YEAR=EUROS,...",
    help=_("Budget of each year, e.g. 2026=150.000,2027=200.000 (years one after the other)."),
)
@click.option(
    "--population",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("ISTAT population-by-age table (CSV): residents and age shares."),
)
@click.option(
    "--residents", type=click.FloatRange(min=0, min_open=True), help=_("Residents in all (without --population).")
)
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), help=_("Programme as CSV.")
)
@click.option(
    "--carry-over/--no-carry-over",
    default=True,
    show_default=True,
    help=_("Whether the money a year does not spend passes to the next."),
)
@click.option(
    "--roadworks",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("Scheduled roadworks (GeoJSON, GeoPackage, CSV with WKT): their streets' barriers move to their year."),
)
@click.option("--roadworks-crs", help=_("EPSG code of the WKT of a roadworks CSV (default WGS84)."))
@click.option("--lens", default="default", show_default=True, help=_("The criterion of the ranking (see --lenses)."))
@click.option(
    "--lenses",
    "lenses_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("The city's own lenses (same form as data/lenses.toml)."),
)
@click.option("--profiles", callback=names, metavar="A,B", help=_("Profiles (default: all but walk)."))
@click.option("--categories", callback=names, metavar="A,B", help=_("Facility categories (default: all in the city)."))
@click.option(
    "--threshold-m",
    type=click.FloatRange(min=0, min_open=True),
    help=_("Reach within this many metres (default 1000)."),
)
@click.option(
    "--costs",
    "costs_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=_("The city's own cost table (same form as data/costs.toml)."),
)
@click.option(
    "--xlsx", type=click.Path(dir_okay=False, path_type=Path), help=_("Also as a spreadsheet (programme and years).")
)
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help=_("Report for the council (HTML)."))
@click.option(
    "--register-xlsx",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("The PEBA in the shape of the Lombardy regional register (LR 6/1989 art. 8-bis), as XLSX."),
)
@click.option(
    "--register-csv",
    type=click.Path(file_okay=False, path_type=Path),
    help=_("The same register as a folder of CSV tables."),
)
@click.option("--act-number", help=_("Number of the council's act adopting the PEBA (for the register)."))
@click.option("--act-date", callback=_date, help=_("Date of that act (for the register)."))
@click.option("--updated", callback=_date, help=_("Date of the last update of the PEBA (default: today)."))
@click.option(
    "--adopt",
    is_flag=True,
    help=_("Keep this programme in the workspace as the adopted one: the yearly report measures progress against it."),
)
def programme(
    city_dir: Path,
    budgets: dict[int, float],
    population: Path | None,
    residents: float | None,
    output: Path,
    carry_over: bool,
    roadworks: Path | None,
    roadworks_crs: str | None,
    lens: str,
    lenses_file: Path | None,
    profiles: list[str] | None,
    categories: list[str] | None,
    threshold_m: float | None,
    costs_file: Path | None,
    xlsx: Path | None,
    report: Path | None,
    register_xlsx: Path | None,
    register_csv: Path | None,
    act_number: str | None,
    act_date: dt.date | None,
    updated: dt.date | None,
    adopt: bool,
) -> None:
    if population is None and residents is None:
        raise click.UsageError(_("give --population ISTAT.csv or --residents N"))
    if (register_xlsx or register_csv) and not (act_number and act_date):
        raise click.UsageError(_("the register needs the adopting act: give --act-number and --act-date"))
    if lens not in load_lenses(lenses_file):
        raise click.BadParameter(
            _("unknown lens {name}; choose one of: {names}").format(
                name=repr(lens), names=", ".join(load_lenses(lenses_file))
            ),
            param_hint="--lens",
        )
    lang = language()
    city = City.load(city_dir)
    result = city.programme(
        budgets,
        profiles=profiles,
        categories=categories,
        population=population,
        residents=residents,
        lens=lens,
        lenses=lenses_file,
        carry_over=carry_over,
        roadworks=roadworks,
        roadworks_crs=int(roadworks_crs) if roadworks_crs and roadworks_crs.isdigit() else roadworks_crs,
        threshold_m=threshold_m,
        costs=costs_file,
    )
    cost_table = load_cost_table(costs_file)
    name = city.meta.get("name") or ""
    table = programme_table(result, lang, cost_table)
    years = years_table(result, lang)
    write_csv(for_csv(table, lang), output, sep=csv_separator(lang))
    funded = result.funded
    click.echo(
        _("{funded} interventions in {years} years, {spent} of {budget} ({roadworks} during roadworks): {path}").format(
            funded=number(len(funded)),
            years=number(len(budgets)),
            spent=money(funded["programme_cost"].sum()),
            budget=money(sum(budgets.values())),
            roadworks=number(int((funded["status"] == "roadworks").sum())),
            path=output,
        )
    )
    for y in result.years.itertuples():
        click.echo(
            "  "
            + _("{year}: {count} interventions, {spent} of {available}, {people} people gaining access").format(
                year=y.year,
                count=number(y.interventions),
                spent=money(y.spent),
                available=money(y.available),
                people=number(y.people_total),
            )
        )
    if xlsx:
        write_xlsx({_("programme"): table, _("years"): years}, xlsx)
        click.echo(_("spreadsheet: {path}").format(path=xlsx))
    if report:
        write_text(programme_report_html(result, name, lang, cost_table), report)
        click.echo(_("report: {path}").format(path=report))
    if register_xlsx or register_csv:
        assert act_number is not None and act_date is not None
        sheets = register_tables(result, name, act_number, act_date, updated, lang, cost_table)
        if register_xlsx:
            write_xlsx(sheets, register_xlsx)
            click.echo(_("regional register (XLSX): {path}").format(path=register_xlsx))
        if register_csv:
            with new_folder(register_csv) as tmp:
                for sheet, frame in sheets.items():
                    write_csv(for_csv(frame, lang), tmp / f"{sheet}.csv", sep=csv_separator(lang))
            click.echo(_("regional register (CSV): {path}").format(path=register_csv))
    if adopt:
        where = save_programme(city_dir, result, act_number=act_number, act_date=act_date)
        click.echo(_("adopted programme kept in the workspace: {path}").format(path=where))
