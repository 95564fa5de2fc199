"""``accessibility sheet``: barrier sheets (schede) for a PEBA annex, HTML and PDF."""

from __future__ import annotations

from pathlib import Path

import click

from accessibility.city import City
from accessibility.cli.main import CITY_DIR, Finite, command, main, names
from accessibility.files import write_bytes, write_text
from accessibility.i18n import _, language, number
from accessibility.outputs.sheets import barrier_sheets_html, barrier_sheets_pdf
from accessibility.planning.ranking import Plan


@command(
    main,
    help=_(
        "Barrier sheets for the PEBA: the sheet of each BARRIER code given (HTML), or with --budget "
        "those of a plan's interventions in one printable document (HTML or PDF)."
    ),
)
@click.argument("barriers", nargs=-1)
@CITY_DIR
@click.option(
    "--budget",
    type=Finite(min=0),
    help=_("Make the plan with this budget (euros) and write the sheets of its interventions."),
)
@click.option("--residents", type=Finite(min=0, min_open=True), help=_("Residents in all, for the plan."))
@click.option("--profiles", callback=names, metavar="A,B", help=_("Profiles (default: all but walk)."))
@click.option("--categories", callback=names, metavar="A,B", help=_("Facility categories, for the plan."))
@click.option("--all", "every", is_flag=True, help=_("Every intervention of the plan, not only the funded ones."))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("File to write: .html or .pdf."),
)
def sheet(
    barriers: tuple[str, ...],
    city_dir: Path,
    budget: float | None,
    residents: float | None,
    profiles: list[str] | None,
    categories: list[str] | None,
    every: bool,
    output: Path,
) -> None:
    suffix = output.suffix.lower()
    if suffix not in {".html", ".htm", ".pdf"}:
        raise click.BadParameter(
            _("{name}: write the sheets as .html or .pdf").format(name=output.name), param_hint="--output"
        )
    if not barriers and budget is None:
        raise click.UsageError(_("give a BARRIER code, or --budget for the sheets of a plan"))
    if budget is not None and residents is None:
        raise click.UsageError(_("give --residents N with --budget"))
    city = City.load(city_dir)
    plan: Plan | None = None
    if budget is not None:
        plan = city.plan(budget, residents=residents, profiles=profiles, categories=categories)
        ids = list(barriers) or [
            str(b) for b in (plan.table if every else plan.table[plan.table["within_budget"]])["barrier_id"]
        ]
    else:
        ids = list(barriers)
    sheets = city.sheets(ids, plan=plan, profiles=profiles)
    name = str(city.meta.get("name") or "")
    if suffix == ".pdf":
        write_bytes(barrier_sheets_pdf(sheets, language(), city=name, photo=city.photo), output)
    else:
        write_text(barrier_sheets_html(sheets, language(), city=name, photo=city.photo), output)
    click.echo(_("{count} barrier sheets written to {path}").format(count=number(len(sheets)), path=output))
