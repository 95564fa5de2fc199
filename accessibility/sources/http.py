"""HTTP for downloads: fail fast when offline, and a disk cache of answers (reading only).

Every network step first checks, within ``settings.connect_timeout_s``, that the server
can be reached at all, so an offline machine gets an :class:`OfflineError` in seconds,
never a long hang. Answers are cached under ``settings.cache_dir``; a cached request
needs no network.
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from accessibility import settings
from accessibility.errors import OfflineError
from accessibility.files import write_bytes
from accessibility.i18n import _

log = logging.getLogger(__name__)

__all__ = ["cache_file", "check_reachable", "never_connected", "read_cache", "reason", "write_cache"]


def check_reachable(url: str, service: str, hint: str) -> None:
    """Raise :class:`OfflineError` unless a TCP connection to ``url``'s host succeeds.

    Name resolution and connection each take at most ``settings.connect_timeout_s``.
    When requests would go through a proxy (``HTTPS_PROXY`` ...), the proxy is checked.
    """
    timeout = float(settings.connect_timeout_s)
    start = time.monotonic()
    try:
        proxy = requests.utils.select_proxy(url, requests.utils.get_environ_proxies(url))
        target = urlsplit(proxy or url)
        host = target.hostname
        if target.scheme not in ("http", "https") or not host:
            raise OSError(_("{url} is not an http(s) URL").format(url=repr(proxy or url)))
        port = target.port or (443 if target.scheme == "https" else 80)
        log.info("checking that %s is reachable at %s:%d%s", service, host, port, " (proxy)" if proxy else "")
        infos = _resolve(host, port, timeout)
        _connect_any(infos, timeout)
    except (OSError, ValueError) as exc:
        raise OfflineError(
            _("Cannot reach {service} at {url}: {reason}. {hint}").format(
                service=service, url=url, reason=reason(exc), hint=hint
            )
        ) from None
    log.info("%s is reachable (%.2f s)", service, time.monotonic() - start)


def _resolve(host: str, port: int, timeout: float) -> list[tuple[Any, ...]]:
    """``getaddrinfo`` with a time limit (it has none of its own)."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result["error"] = exc

    thread = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(
            _("looking up the name {host} took more than {seconds} s").format(host=repr(host), seconds=f"{timeout:g}")
        )
    if "error" in result:
        exc = result["error"]
        if isinstance(exc, socket.gaierror):
            raise OSError(
                _("the name {host} cannot be resolved ({reason})").format(host=repr(host), reason=exc.strerror or exc)
            )
        raise exc
    return result["infos"]


def _connect_any(infos: list[tuple[Any, ...]], timeout: float) -> None:
    last: OSError = OSError("no address")
    deadline = time.monotonic() + timeout
    for family, kind, proto, _name, address in infos:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(left)
                sock.connect(address)
                return
        except TimeoutError:
            last = TimeoutError(
                _("no answer from {host} port {port} within {seconds} s").format(
                    host=address[0], port=address[1], seconds=f"{timeout:g}"
                )
            )
        except OSError as exc:
            last = OSError(f"{exc.strerror or exc} ({address[0]} port {address[1]})")
    raise last


def never_connected(exc: requests.ConnectionError) -> bool:
    """True when requests failed before a connection existed (refused, DNS, timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    inner = exc.args[0] if exc.args else None
    reason = getattr(inner, "reason", inner)  # MaxRetryError wraps the real cause
    return isinstance(
        reason,
        (
            urllib3.exceptions.NewConnectionError,
            urllib3.exceptions.ConnectTimeoutError,
            urllib3.exceptions.NameResolutionError,
        ),
    )


def reason(exc: BaseException) -> str:
    """The innermost useful message of a (requests/urllib3) exception chain."""
    text = str(exc)
    inner = exc
    while inner.__cause__ is not None or (inner.__context__ is not None and not inner.__suppress_context__):
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
        if isinstance(inner, OSError) and str(inner):
            text = str(inner)
    return text


# --- cache ---------------------------------------------------------------------------------


def cache_file(kind: str, key: str, suffix: str) -> Path:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return Path(settings.cache_dir) / kind / f"{digest}{suffix}"


def read_cache(path: Path) -> Any:
    """The cached JSON at ``path``, or None when absent or unreadable."""
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable cache file %s (%s)", path, exc)
        return None


def write_cache(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically; a cache that cannot be written must not
    lose the download, so a failure is only logged."""
    try:
        write_bytes(content, path)
    except OSError as exc:
        log.warning("could not write cache file %s (%s)", path, exc)
