"""``accessibility user``: the accounts of the web application (surveyors, the office, admins)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import IO

import click

from accessibility import workspace
from accessibility.accounts import ROLES, AccountStore
from accessibility.cli.main import CITY_DIR, command, main, plain
from accessibility.i18n import _, number


@main.group(help=_("Accounts of the web application: add, list, disable, change password."))
def user() -> None:
    pass


def _store(city_dir: Path) -> AccountStore:
    workspace.read_meta(city_dir)
    return AccountStore.of_workspace(city_dir)


def _operator() -> str:
    """Who runs the command, for the history (the system user)."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli:" + str(os.getuid()) if hasattr(os, "getuid") else "cli"


PASSWORD_FILE = click.option(
    "--password-file",
    type=click.File("r", encoding="utf-8"),
    help=_("Read the password from the first line of this file ('-': standard input) instead of asking for it."),
)


def _password(source: IO[str] | None) -> str:
    if source is not None:
        line = source.readline()
        return line.rstrip("\r\n")
    return str(click.prompt(_("Password"), hide_input=True, confirmation_prompt=_("Repeat the password")))


@command(user, "add", help=_("Add an account NAME with a ROLE (password typed twice, or --password-file)."))
@click.argument("name")
@CITY_DIR
@click.option("--role", required=True, type=click.Choice(ROLES), help=_("surveyor, manager (the office) or admin."))
@PASSWORD_FILE
def user_add(name: str, city_dir: Path, role: str, password_file: IO[str] | None) -> None:
    store = _store(city_dir)
    account = store.add(name, role, _password(password_file), by=_operator())
    click.echo(_("account {name} added with role {role}").format(name=plain(account.name), role=account.role_label))


@command(user, "list", help=_("List the accounts of the workspace."))
@CITY_DIR
def user_list(city_dir: Path) -> None:
    accounts = _store(city_dir).all()
    click.echo(f"{_('name'):<24} {_('role'):<10} {_('state'):<10} {_('created')}")
    for a in accounts:
        state = _("disabled") if a.disabled else _("active")
        click.echo(f"{plain(a.name, 24):<24} {a.role:<10} {state:<10} {a.created_at[:10]}")
    click.echo(_("{count} accounts").format(count=number(len(accounts))))


@command(user, "disable", help=_("Disable the account NAME: it can no longer log in; its sessions end."))
@click.argument("name")
@CITY_DIR
@click.option("--enable", is_flag=True, help=_("Enable the account again instead."))
def user_disable(name: str, city_dir: Path, enable: bool) -> None:
    account = _store(city_dir).disable(name, by=_operator(), disabled=not enable)
    message = _("account {name} enabled") if enable else _("account {name} disabled")
    click.echo(message.format(name=plain(account.name)))


@command(user, "password", help=_("Set a new password for the account NAME (and unlock it); its sessions end."))
@click.argument("name")
@CITY_DIR
@PASSWORD_FILE
def user_password(name: str, city_dir: Path, password_file: IO[str] | None) -> None:
    store = _store(city_dir)
    store.get(name)  # unknown: said before asking for a password
    account = store.set_password(name, _password(password_file), by=_operator())
    click.echo(_("password of {name} changed").format(name=plain(account.name)))


@command(user, "token", help=_("Make a new API token for the account NAME (for scripts); the old one stops working."))
@click.argument("name")
@CITY_DIR
def user_token(name: str, city_dir: Path) -> None:
    token = _store(city_dir).new_token(name, by=_operator())
    click.echo(_("API token of {name} (shown once: keep it secret):").format(name=plain(name)))
    click.echo(token)
