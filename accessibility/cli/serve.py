"""``accessibility serve``: the city's web application (citizen's page and HTTP API)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from accessibility import workspace
from accessibility.cli.main import CITY_DIR, command, main
from accessibility.i18n import _

if TYPE_CHECKING:
    from fastapi import FastAPI

#: Where uvicorn's worker processes find the workspace (they import the app factory).
ENV_CITY = "ACCESSIBILITY_WEB_CITY"
ENV_TILES = "ACCESSIBILITY_WEB_TILES"
ENV_TILES_ATTRIBUTION = "ACCESSIBILITY_WEB_TILES_ATTRIBUTION"


def app_from_environment() -> FastAPI:
    """The app of the workspace named by the environment (uvicorn's factory for workers)."""
    from accessibility.web.app import create_app

    return create_app(
        os.environ[ENV_CITY],
        tiles_url=os.environ.get(ENV_TILES) or None,
        tiles_attribution=os.environ.get(ENV_TILES_ATTRIBUTION) or None,
    )


@command(main, help=_("Start the city's web application: route planner page and HTTP API."))
@CITY_DIR
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help=_("Port to listen on."))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help=_("Processes answering requests (each loads the city and compiles its routers)."),
)
@click.option(
    "--tiles",
    "tiles_url",
    metavar="URL",
    help=_("An online tile layer under the city's layers (e.g. https://tile.example.org/{z}/{x}/{y}.png)."),
)
@click.option("--tiles-attribution", metavar="TEXT", help=_("Attribution of the tile layer."))
def serve(
    city_dir: Path, host: str, port: int, workers: int, tiles_url: str | None, tiles_attribution: str | None
) -> None:
    import uvicorn

    workspace.read_meta(city_dir)  # a clear error now, not in a worker
    os.environ[ENV_CITY] = str(city_dir.resolve())
    os.environ[ENV_TILES] = tiles_url or ""
    os.environ[ENV_TILES_ATTRIBUTION] = tiles_attribution or ""
    click.echo(
        _("Serving {name} on http://{host}:{port}/ (API documentation: /api/docs); Ctrl+C stops it").format(
            name=city_dir.name, host=host, port=port
        )
    )
    uvicorn.run(
        "accessibility.cli.serve:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
