"""Accounts of the web application: surveyors, the Disability Manager's office, admins.

Files only: this module reads and writes the account tables of the workspace's survey
store (``surveys.gpkg``, see :mod:`accessibility.surveys.store`), so that a report, its
review and the account that made them live in one file and one backup. The tables are
its own, created and migrated here (``account_meta`` keeps their schema version); the
survey tables are created first through :class:`~accessibility.surveys.store.SurveyStore`
so the file stays a survey store.

``accounts``         name, role, Argon2 password hash, SHA-256 of the API token,
                     disabled, wrong passwords in a row, locked until, session epoch
``account_history``  every change: when, which account, by whom, what
``account_meta``     ``schema_version`` and the key that signs session cookies

Passwords are hashed with Argon2id (``argon2-cffi``); an API token is 32 random bytes,
shown once, stored as its SHA-256 (it is random, so a fast hash is enough and lets a
request find its account). After ``settings.login_max_failures`` wrong passwords in a row
an account is locked for ``settings.login_lock_s`` seconds. Disabling an account or
changing its password ends its sessions (the session epoch changes).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accessibility import settings
from accessibility.errors import AccountError, LoginError, SurveyStoreError
from accessibility.i18n import N_, _
from accessibility.surveys.store import SurveyStore, now_text

__all__ = ["ROLES", "ROLE_LABELS", "TOKEN_PREFIX", "Account", "AccountStore"]

#: Roles, from the least to the most trusted: what each may do is the web app's business.
ROLES = ("surveyor", "manager", "admin")
#: The roles as people read them (translated where shown).
ROLE_LABELS = {"surveyor": N_("surveyor"), "manager": N_("Disability Manager's office"), "admin": N_("administrator")}
#: API tokens start with this, so a leaked one is recognisable in logs and scanners.
TOKEN_PREFIX = "acc_"
#: Version of the account tables; :meth:`AccountStore._migrate` brings older ones up to it.
SCHEMA_VERSION = 1

_HASHER = PasswordHasher()
#: Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))

_MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE COLLATE NOCASE, "
        "role TEXT NOT NULL, password_hash TEXT NOT NULL, token_hash TEXT UNIQUE, disabled INTEGER NOT NULL "
        "DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, locked_until DATETIME, epoch INTEGER NOT NULL DEFAULT 0, "
        "created_at DATETIME NOT NULL, created_by TEXT NOT NULL, updated_at DATETIME NOT NULL)",
        "CREATE TABLE account_history (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL, "
        "account TEXT NOT NULL, by TEXT NOT NULL, action TEXT NOT NULL)",
        "CREATE TABLE account_meta (key TEXT PRIMARY KEY, value TEXT)",
    ],
}


@dataclass(frozen=True)
class Account:
    """One account as the web app needs it (never its password or token hash)."""

    id: int
    name: str
    role: str
    disabled: bool
    epoch: int
    created_at: str
    locked_until: str | None

    @property
    def role_label(self) -> str:
        """The role in the language in use."""
        return _(ROLE_LABELS[self.role])

    def can(self, *roles: str) -> bool:
        """Whether the account holds one of ``roles`` (an admin holds every role)."""
        return not self.disabled and (self.role in roles or self.role == "admin")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountStore:
    """The accounts of one workspace (tables made on first write).

    Parameters
    ----------
    path
        The survey store file (``<workspace>/surveys.gpkg``).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def of_workspace(cls, folder: str | Path) -> AccountStore:
        """The account store of a workspace folder."""
        return cls(Path(folder) / settings.survey_store_name)

    # --- connection and schema ---------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=settings.survey_lock_timeout_s, isolation_level=None)
        con.row_factory = sqlite3.Row
        return con

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction holding the file's write lock, the tables made or migrated."""
        if not self.path.parent.is_dir():
            raise AccountError(_("{path}: the workspace folder does not exist").format(path=self.path.parent))
        if not self._has_tables():
            with SurveyStore(self.path).transaction():  # the survey tables first: the file stays a survey store
                pass
        con = self._connect()
        try:
            try:
                con.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise SurveyStoreError(
                    _("{path}: the survey store stayed busy for {seconds} s ({reason}); try again").format(
                        path=self.path, seconds=f"{settings.survey_lock_timeout_s:g}", reason=exc
                    )
                ) from None
            try:
                self._migrate(con)
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def _has_tables(self) -> bool:
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return False
        con = self._connect()
        try:
            return con.execute("SELECT 1 FROM sqlite_master WHERE name='account_meta'").fetchone() is not None
        except sqlite3.DatabaseError:
            return False
        finally:
            con.close()

    def _migrate(self, con: sqlite3.Connection) -> None:
        has = con.execute("SELECT 1 FROM sqlite_master WHERE name='account_meta'").fetchone()
        version = 0
        if has:
            row = con.execute("SELECT value FROM account_meta WHERE key='schema_version'").fetchone()
            version = int(row["value"]) if row else 0
        if version > SCHEMA_VERSION:
            raise SurveyStoreError(
                _("{path}: account tables of version {version}, this program reads {expected}").format(
                    path=self.path, version=version, expected=SCHEMA_VERSION
                )
            )
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for sql in _MIGRATIONS[step]:
                con.execute(sql)
            con.execute("INSERT OR REPLACE INTO account_meta (key, value) VALUES ('schema_version', ?)", (str(step),))

    def _read(self) -> sqlite3.Connection | None:
        """A reading connection, or ``None`` when there are no account tables yet."""
        if not self._has_tables():
            return None
        return self._connect()

    # --- accounts ------------------------------------------------------------------------

    @staticmethod
    def _account(row: sqlite3.Row) -> Account:
        return Account(
            int(row["id"]),
            row["name"],
            row["role"],
            bool(row["disabled"]),
            int(row["epoch"]),
            row["created_at"],
            row["locked_until"],
        )

    def add(self, name: str, role: str, password: str, *, by: str) -> Account:
        """Create an account.

        Parameters
        ----------
        name
            The login name (1-64 characters: letters, digits, ``.-_@``); unique, case aside.
        role
            One of :data:`ROLES`.
        password
            At least ``settings.password_min_chars`` characters.
        by
            Who creates it (kept in the history).

        Returns
        -------
        Account

        Raises
        ------
        AccountError
            A bad name, role or password, or the name is taken.
        """
        name = _check_name(name)
        _check_role(role)
        digest = _HASHER.hash(_check_password(password))
        at = now_text()
        with self._write() as con:
            if con.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise AccountError(_("an account named {name} already exists").format(name=name))
            con.execute(
                "INSERT INTO accounts (name, role, password_hash, created_at, created_by, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, role, digest, at, by, at),
            )
            _history(con, name, by, f"add {role}")
            return self._account(con.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone())

    def get(self, name: str) -> Account:
        """The account named ``name``.

        Raises
        ------
        AccountError
            No such account.
        """
        con = self._read()
        row = None
        if con is not None:
            try:
                row = con.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
            finally:
                con.close()
        if row is None:
            raise AccountError(_("no account named {name}").format(name=name))
        return self._account(row)

    def by_id(self, account_id: int) -> Account | None:
        """The account with this id, or ``None``."""
        con = self._read()
        if con is None:
            return None
        try:
            row = con.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone()
        finally:
            con.close()
        return None if row is None else self._account(row)

    def all(self) -> list[Account]:
        """Every account, by name."""
        con = self._read()
        if con is None:
            return []
        try:
            return [self._account(r) for r in con.execute("SELECT * FROM accounts ORDER BY name")]
        finally:
            con.close()

    def disable(self, name: str, *, by: str, disabled: bool = True) -> Account:
        """Disable (or enable again) an account; its sessions and API token stop working."""
        with self._write() as con:
            row = _row(con, name)
            con.execute(
                "UPDATE accounts SET disabled = ?, epoch = epoch + 1, updated_at = ? WHERE id = ?",
                (int(disabled), now_text(), row["id"]),
            )
            _history(con, row["name"], by, "disable" if disabled else "enable")
            return self._account(con.execute("SELECT * FROM accounts WHERE id = ?", (row["id"],)).fetchone())

    def set_password(self, name: str, password: str, *, by: str) -> Account:
        """Change an account's password (and unlock it); its other sessions end."""
        digest = _HASHER.hash(_check_password(password))
        with self._write() as con:
            row = _row(con, name)
            con.execute(
                "UPDATE accounts SET password_hash = ?, failures = 0, locked_until = NULL, epoch = epoch + 1, "
                "updated_at = ? WHERE id = ?",
                (digest, now_text(), row["id"]),
            )
            _history(con, row["name"], by, "password")
            return self._account(con.execute("SELECT * FROM accounts WHERE id = ?", (row["id"],)).fetchone())

    def new_token(self, name: str, *, by: str) -> str:
        """A new API token for the account (the old one stops working); shown once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._write() as con:
            row = _row(con, name)
            con.execute(
                "UPDATE accounts SET token_hash = ?, updated_at = ? WHERE id = ?",
                (_token_digest(token), now_text(), row["id"]),
            )
            _history(con, row["name"], by, "token")
        return token

    def by_token(self, token: str) -> Account | None:
        """The enabled account whose API token this is, or ``None``."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        con = self._read()
        if con is None:
            return None
        try:
            row = con.execute("SELECT * FROM accounts WHERE token_hash = ?", (_token_digest(token),)).fetchone()
        finally:
            con.close()
        if row is None or row["disabled"]:
            return None
        return self._account(row)

    # --- login -----------------------------------------------------------------------------

    def login(self, name: str, password: str, now: dt.datetime | None = None) -> Account:
        """Check a name and password.

        A wrong password counts against the account; after ``settings.login_max_failures``
        in a row it is locked for ``settings.login_lock_s`` seconds, even for the right
        password. The same message for an unknown name and a wrong password.

        Raises
        ------
        LoginError
            Wrong name or password, account disabled or locked.
        """
        now = now or _utcnow()
        wrong = _refused("wrong", _("wrong name or password"))
        con = self._read()
        row = None
        if con is not None:
            try:
                row = con.execute("SELECT * FROM accounts WHERE name = ?", (name[:200],)).fetchone()
            finally:
                con.close()
        if row is None:
            with contextlib.suppress(VerificationError, InvalidHashError):
                _HASHER.verify(_DUMMY_HASH, password)
            raise wrong
        if row["locked_until"] and dt.datetime.fromisoformat(row["locked_until"].replace("Z", "+00:00")) > now:
            raise _refused("locked", _("too many wrong passwords: this account is locked for a while; try again later"))
        try:
            _HASHER.verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            self._failed(int(row["id"]), now)
            raise wrong from None
        if row["disabled"]:
            raise _refused("disabled", _("this account is disabled: ask the administrator"))
        if row["failures"] or row["locked_until"] or _HASHER.check_needs_rehash(row["password_hash"]):
            with self._write() as wcon:
                wcon.execute(
                    "UPDATE accounts SET failures = 0, locked_until = NULL, password_hash = ? WHERE id = ?",
                    (
                        _HASHER.hash(password)
                        if _HASHER.check_needs_rehash(row["password_hash"])
                        else row["password_hash"],
                        row["id"],
                    ),
                )
        return self._account(row)

    def _failed(self, account_id: int, now: dt.datetime) -> None:
        with self._write() as con:
            row = con.execute("SELECT name, failures FROM accounts WHERE id = ?", (account_id,)).fetchone()
            failures = int(row["failures"]) + 1
            locked = None
            if failures >= settings.login_max_failures:
                until = now + dt.timedelta(seconds=settings.login_lock_s)
                locked = until.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
                failures = 0
                _history(con, row["name"], "-", "locked")
            con.execute(
                "UPDATE accounts SET failures = ?, locked_until = COALESCE(?, locked_until) WHERE id = ?",
                (failures, locked, account_id),
            )

    def history(self, name: str | None = None) -> list[dict[str, str]]:
        """Every change of the accounts (of one if given), oldest first."""
        con = self._read()
        if con is None:
            return []
        try:
            sql = "SELECT at, account, by, action FROM account_history"
            rows = con.execute(
                sql + " WHERE account = ? ORDER BY id" if name else sql + " ORDER BY id", (name,) if name else ()
            )
            return [dict(r) for r in rows]
        finally:
            con.close()

    def secret(self) -> str:
        """The key that signs session cookies: made once, kept in the store, so every
        worker process and a restarted server accept the same sessions."""
        con = self._read()
        if con is not None:
            try:
                row = con.execute("SELECT value FROM account_meta WHERE key = 'session_key'").fetchone()
            finally:
                con.close()
            if row is not None:
                return str(row["value"])
        with self._write() as wcon:
            row = wcon.execute("SELECT value FROM account_meta WHERE key = 'session_key'").fetchone()
            if row is not None:
                return str(row["value"])
            key = secrets.token_urlsafe(48)
            wcon.execute("INSERT INTO account_meta (key, value) VALUES ('session_key', ?)", (key,))
            return key


def _refused(reason: str, message: str) -> LoginError:
    """A :class:`LoginError` with its ``reason`` (``wrong``, ``locked``, ``disabled``) for callers."""
    error = LoginError(message)
    error.reason = reason  # type: ignore[attr-defined]
    return error


def _row(con: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = con.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise AccountError(_("no account named {name}").format(name=name))
    return row


def _history(con: sqlite3.Connection, account: str, by: str, action: str) -> None:
    con.execute(
        "INSERT INTO account_history (at, account, by, action) VALUES (?, ?, ?, ?)", (now_text(), account, by, action)
    )


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@")


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 64 or not set(name) <= _NAME_CHARS:
        raise AccountError(
            _("{name}: an account name has 1 to 64 letters, digits or . - _ @ (no spaces)").format(name=repr(name[:70]))
        )
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(_("unknown role {role}; roles: {choices}").format(role=repr(role), choices=", ".join(ROLES)))


def _check_password(password: str) -> str:
    if len(password or "") < settings.password_min_chars:
        raise AccountError(
            _("the password must have at least {count} characters").format(count=settings.password_min_chars)
        )
    if len(password) > 1024:
        raise AccountError(_("the password is too long (at most 1024 characters)"))
    return password
