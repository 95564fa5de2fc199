"""Accounts of the web application: Argon2 hashes, roles, lockout, tokens, the
``accessibility user`` commands; the account tables share the survey store's file
without disturbing it."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from accessibility import settings
from accessibility.accounts import AccountStore
from accessibility.cli import main
from accessibility.errors import AccountError, LoginError
from accessibility.surveys.store import SurveyStore
from survey_fixtures import grid_workspace

PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path / settings.survey_store_name)


def test_add_login_and_hash_is_argon2(store: AccountStore) -> None:
    account = store.add("rilevatore.1", "surveyor", PASSWORD, by="test")
    assert account.role == "surveyor" and not account.disabled
    assert store.login("rilevatore.1", PASSWORD).id == account.id
    assert store.login("RILEVATORE.1", PASSWORD).id == account.id  # names compare case aside
    with sqlite3.connect(store.path) as con:
        (digest,) = con.execute("SELECT password_hash FROM accounts").fetchone()
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    # the file is still a survey store that takes reports and reviews
    assert SurveyStore(store.path).exists()
    assert len(SurveyStore(store.path).reports()) == 0


def test_bad_names_roles_passwords_and_duplicates(store: AccountStore) -> None:
    store.add("anna", "manager", PASSWORD, by="test")
    for name, role, password in [
        ("anna", "surveyor", PASSWORD),
        ("ANNA", "surveyor", PASSWORD),
        ("with space", "surveyor", PASSWORD),
        ("<script>", "surveyor", PASSWORD),
        ("", "surveyor", PASSWORD),
        ("bruno", "boss", PASSWORD),
        ("bruno", "surveyor", "short"),
    ]:
        with pytest.raises(AccountError):
            store.add(name, role, password, by="test")
    assert [a.name for a in store.all()] == ["anna"]


def test_wrong_passwords_lock_then_unlock_after_the_delay(store: AccountStore) -> None:
    store.add("carla", "surveyor", PASSWORD, by="test")
    now = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
    for _ in range(settings.login_max_failures):
        with pytest.raises(LoginError, match="wrong name or password"):
            store.login("carla", "wrong password!", now)
    with pytest.raises(LoginError, match="locked"):
        store.login("carla", PASSWORD, now + dt.timedelta(seconds=1))
    later = now + dt.timedelta(seconds=settings.login_lock_s + 1)
    assert store.login("carla", PASSWORD, later).name == "carla"
    assert "locked" in [h["action"] for h in store.history("carla")]
    with pytest.raises(LoginError, match="wrong name or password"):
        store.login("nobody", PASSWORD, now)  # the same message for an unknown name


def test_disable_and_password_end_sessions_and_tokens(store: AccountStore) -> None:
    first = store.add("dario", "surveyor", PASSWORD, by="test")
    token = store.new_token("dario", by="test")
    assert token.startswith("acc_") and store.by_token(token).id == first.id
    with sqlite3.connect(store.path) as con:
        (stored,) = con.execute("SELECT token_hash FROM accounts").fetchone()
    assert token not in stored
    disabled = store.disable("dario", by="admin")
    assert disabled.disabled and disabled.epoch > first.epoch
    with pytest.raises(LoginError, match="disabled"):
        store.login("dario", PASSWORD)
    assert store.by_token(token) is None
    store.disable("dario", by="admin", disabled=False)
    changed = store.set_password("dario", "another long password", by="admin")
    assert changed.epoch > disabled.epoch
    with pytest.raises(LoginError):
        store.login("dario", PASSWORD)
    assert store.login("dario", "another long password").name == "dario"
    assert [h["action"] for h in store.history("dario")] == ["add surveyor", "token", "disable", "enable", "password"]
    assert store.by_token(token.replace("acc_", "acc_x")) is None


def test_secret_is_made_once(store: AccountStore) -> None:
    key = store.secret()
    assert len(key) > 40 and AccountStore(store.path).secret() == key


def test_user_commands(tmp_path: Path) -> None:
    _city, _files = grid_workspace(tmp_path)
    ws = str(tmp_path / "ws")
    runner = CliRunner()
    out = runner.invoke(
        main, ["user", "add", "elena", "--role", "manager", "--city", ws], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert out.exit_code == 0, out.output
    assert "elena" in out.output
    mismatch = runner.invoke(
        main, ["user", "add", "franco", "--role", "surveyor", "--city", ws], input=f"{PASSWORD}\nother one!!\n"
    )
    assert mismatch.exit_code != 0
    stdin = runner.invoke(
        main, ["user", "add", "franco", "--role", "surveyor", "--city", ws, "--password-file", "-"], input=PASSWORD
    )
    assert stdin.exit_code == 0, stdin.output
    (tmp_path / "pw.txt").write_text("a password from a file\n")
    changed = runner.invoke(
        main, ["user", "password", "franco", "--city", ws, "--password-file", str(tmp_path / "pw.txt")]
    )
    assert changed.exit_code == 0, changed.output
    assert AccountStore.of_workspace(ws).login("franco", "a password from a file").role == "surveyor"
    listed = runner.invoke(main, ["user", "list", "--city", ws, "--lang", "it"])
    assert "elena" in listed.output and "franco" in listed.output and "2 account" in listed.output
    off = runner.invoke(main, ["user", "disable", "franco", "--city", ws])
    assert off.exit_code == 0 and "disabled" in off.output
    unknown = runner.invoke(main, ["user", "disable", "nobody", "--city", ws])
    assert unknown.exit_code == 1 and "no account named nobody" in unknown.output
    short = runner.invoke(
        main, ["user", "add", "g", "--role", "surveyor", "--city", ws, "--password-file", "-"], input="x"
    )
    assert short.exit_code == 1 and "at least" in short.output and "Traceback" not in short.output
