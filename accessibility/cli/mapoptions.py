"""The map options the commands that draw maps share (``--tiles URL``, its attribution)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from accessibility.errors import InputError
from accessibility.i18n import _
from accessibility.outputs.maps import OSM_TILES, TileLayer

__all__ = ["tile_layer", "tiles_options"]

F = TypeVar("F", bound=Callable[..., Any])


def tiles_options(f: F) -> F:
    """Add ``--tiles URL`` and ``--tiles-attribution TEXT`` to a command."""
    f = click.option(
        "--tiles-attribution",
        metavar="TEXT",
        help=_("Who to credit for the --tiles layer, shown on the map (default: OpenStreetMap contributors)."),
    )(f)
    f = click.option(
        "--tiles",
        "tiles_url",
        metavar="URL",
        help=_(
            "Also draw an online tile layer under the base map: a URL with {z}/{x}/{y}, or 'osm' for "
            "OpenStreetMap's. The map then asks that server for images; without it, it asks none."
        ),
    )(f)
    return f


def tile_layer(url: str | None, attribution: str | None) -> TileLayer | None:
    """The tile layer of ``--tiles`` (``None`` without it).

    Raises
    ------
    click.BadParameter
        Not a tile URL.
    """
    if not url:
        return None
    if url == "osm":
        return OSM_TILES if not attribution else TileLayer(OSM_TILES.url, attribution)
    try:
        return TileLayer.parse(url, attribution)
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--tiles") from None
