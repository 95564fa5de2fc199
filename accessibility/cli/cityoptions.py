"""The options ``audit`` and ``plan`` share about the city's own data, and their checks:
facility registries with their column mappings (``--registry``/``--registry-map``) and
neighbourhood polygons (``--areas``/``--area-id``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import geopandas as gpd

from accessibility.errors import brief
from accessibility.i18n import _

__all__ = ["areas_options", "check_registries", "read_areas", "registry_options"]

F = TypeVar("F", bound=Callable[..., Any])


def registry_options(f: F) -> F:
    """Add ``--registry FILE`` and ``--registry-map MAP.toml`` (both repeatable) to a command."""
    f = click.option(
        "--registry-map",
        "registry_maps",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=_("The TOML mapping file of each --registry, in the same order (see data/registries/)."),
    )(f)
    f = click.option(
        "--registry",
        "registries",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=_("A facility registry (CSV, GeoPackage, GeoJSON); repeat, each with its --registry-map."),
    )(f)
    return f


def areas_options(areas_help: str) -> Callable[[F], F]:
    """Add ``--areas FILE`` (described by ``areas_help``, a catalogue message) and
    ``--area-id COLUMN`` to a command."""

    def decorate(f: F) -> F:
        f = click.option("--area-id", help=_("Column of --areas holding the area ids (default: row order)."))(f)
        f = click.option(
            "--areas",
            "areas_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help=_(areas_help),
        )(f)
        return f

    return decorate


def check_registries(registries: tuple[Path, ...], registry_maps: tuple[Path, ...]) -> list[tuple[Path, Path]]:
    """The ``(registry, mapping)`` pairs of the command line; a usage error when the
    counts differ."""
    if len(registries) != len(registry_maps):
        raise click.BadParameter(
            _(
                "{registries} --registry file(s) but {maps} --registry-map; give one mapping per "
                "registry, in the same order"
            ).format(registries=len(registries), maps=len(registry_maps)),
            param_hint="--registry-map",
        )
    return list(zip(registries, registry_maps))


def read_areas(areas_file: Path | None, area_id: str | None) -> gpd.GeoDataFrame | None:
    """The ``--areas`` polygons, checking ``--area-id`` names one of their columns."""
    if areas_file is None:
        return None
    try:
        areas = gpd.read_file(areas_file)
    except Exception as exc:  # GDAL reports unreadable files in many ways
        raise click.BadParameter(
            _("{file} cannot be read as polygons (GeoPackage, GeoJSON): {reason}").format(
                file=areas_file.name, reason=brief(exc)
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
    return areas
