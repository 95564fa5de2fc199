"""Part 2 of the web application: accounts, the surveyors' pages, the Disability
Manager's office and the reports API, added to the app of :mod:`accessibility.web.app`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from jinja2 import Environment

from accessibility.web.auth import Office, install_auth
from accessibility.web.manager import install_manager
from accessibility.web.surveyor import install_surveyor

__all__ = ["install_office"]


def install_office(app: FastAPI, service: Callable[[], Any], env: Environment) -> Office:
    """Add logins, the surveyors' and the office's pages and the reports API to ``app``.

    Parameters
    ----------
    app
        The application of :func:`accessibility.web.app.create_app`.
    service
        Gives its running service (the city), once started.
    env
        The Jinja2 environment of its pages.

    Returns
    -------
    Office
    """
    office = Office(service, env)
    install_auth(app, office)
    install_surveyor(app, office)
    install_manager(app, office)
    return office
