"""``accessibility facilities``: every facility with its sheet (CSV, XLSX, GeoPackage)."""

from __future__ import annotations

from pathlib import Path

import click

from accessibility.analysis.usable import TABLE_PROFILES, sheet_table
from accessibility.city import City
from accessibility.cli.main import CITY_DIR, command, main
from accessibility.i18n import _, language, number
from accessibility.outputs.facilities import FORMATS, write_facilities

__all__ = ["facilities"]


@command(
    main,
    help=_(
        "Export every facility with its sheet (entrances, toilet, changing room, lift, parking ...) and "
        "whether it is usable per profile: CSV, XLSX or GeoPackage, by the file's suffix."
    ),
)
@CITY_DIR
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("The file to write: .csv, .xlsx or .gpkg."),
)
def facilities(city_dir: Path, output: Path) -> None:
    if output.suffix.lower() not in FORMATS:
        raise click.BadParameter(_("give a file ending in .csv, .xlsx or .gpkg"), param_hint="-o/--output")
    city = City.load(city_dir)
    table = sheet_table(city.facilities, [city.profile(p) for p in TABLE_PROFILES if p in city.profiles])
    write_facilities(table, output, language())
    click.echo(_("{count} facilities with their sheets: {path}").format(count=number(len(table)), path=output))
