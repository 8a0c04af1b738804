"""The model endpoint: which server, which key, and the one `openai.OpenAI` client that talks to it.

Everything that knows about credentials and base URLs lives here, apart from the code
that shapes requests (`briefing.extract.model.backend`), so that a key is read in one place and
can be kept out of every message, exception and log line.

The client is built with the openai SDK's own retries turned off: transport retries
(429, 5xx, timeouts, dropped connections) are done in exactly one layer,
`briefing.extract.model.backend`, which counts every HTTP attempt and bounds them per article.
Two retrying layers would multiply attempts without either one knowing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import openai

from briefing.errors import UserError
from briefing.settings import read_environment

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "KEYLESS_PLACEHOLDER",
    "OPENAI_BASE_URL",
    "check_base_url",
    "display_host",
    "display_url",
    "endpoint_configured",
    "is_openai_endpoint",
    "make_client",
]

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = 60.0
KEYLESS_PLACEHOLDER = "no-key"
"""Sent as the key to local servers that need none; the openai SDK refuses an empty key."""


def endpoint_configured(
    base_url: str | None = None, api_key: str | None = None, *, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether a model endpoint is configured, by argument or by OPENAI_BASE_URL / OPENAI_API_KEY.

    The CLI uses this to decide between the model and the offline extractive backend, so
    a machine without a key or a server never tries the network.
    """
    return bool(
        (base_url or "").strip()
        or (api_key or "").strip()
        or read_environment("OPENAI_BASE_URL", environ)
        or read_environment("OPENAI_API_KEY", environ)
    )


def is_openai_endpoint(base_url: str | None) -> bool:
    """Whether `base_url` is OpenAI's own API (None means the SDK default, which is)."""
    if base_url is None:
        return True
    host = (urlsplit(str(base_url)).hostname or "").lower()
    return host == "api.openai.com" or host.endswith(".api.openai.com")


def display_url(base_url: str | object) -> str:
    """`base_url` without user info, query or fragment: safe to show in a message."""
    parts = urlsplit(str(base_url))
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path.rstrip('/')}" if parts.scheme else str(base_url).split("?")[0]


def display_host(base_url: str | object) -> str:
    """The host and port of `base_url` (no scheme, user info or path): the endpoint's name in one line."""
    parts = urlsplit(str(base_url))
    host = parts.hostname or str(base_url)
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"{host}:{parts.port}" if parts.port is not None else host


def check_base_url(
    base_url: str | None, *, environ: Mapping[str, str] | None = None, where: str = "--base-url"
) -> None:
    """Refuse a base URL (given, or from OPENAI_BASE_URL) that is not an http(s) URL with a host.

    Without this, `localhost:8080` would be read as the scheme "localhost" and fail only
    when the first request is sent, once per article.

    Raises:
        UserError: The URL has no http:// or https:// scheme or no host; the message
            names where it came from (`where` for a URL given) and never shows user info.
    """
    given = (base_url or "").strip()
    url = given or read_environment("OPENAI_BASE_URL", environ)
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return
    where = where if given else "OPENAI_BASE_URL"
    shown = _USER_INFO.sub(r"\1", url.split("?")[0])
    hint = f"http://{shown}" if "://" not in shown else "http://127.0.0.1:8080/v1"
    raise UserError(f"{where} {shown!r} is not an http:// or https:// URL with a host (e.g. {hint!r})")


_USER_INFO = re.compile(r"^([a-z][a-z0-9+.-]*://)?[^/@]*@", re.IGNORECASE)


def make_client(
    *,
    base_url: str | None,
    api_key: str | None,
    timeout: float = DEFAULT_TIMEOUT_S,
    environ: Mapping[str, str] | None = None,
) -> openai.OpenAI:
    """Build the openai client for the configured endpoint, with the SDK's retries off.

    Arguments win over OPENAI_BASE_URL / OPENAI_API_KEY. A non-OpenAI base URL without a
    key (a local llama.cpp, vLLM or Ollama server) gets `KEYLESS_PLACEHOLDER` as its key.

    Args:
        base_url: The OpenAI-compatible base URL, e.g. "http://127.0.0.1:8080/v1".
        api_key: The key; never shown in any message.
        timeout: Seconds allowed for each HTTP call (connect, read, write, pool).
        environ: Where to read the variables; the process environment when None (tests pass a dict).

    Raises:
        UserError: No endpoint is configured, the base URL is not an http(s) URL, or
            OpenAI's API is selected without a key.
    """
    check_base_url(base_url, environ=environ)
    url = (base_url or "").strip() or read_environment("OPENAI_BASE_URL", environ)
    key = (api_key or "").strip() or read_environment("OPENAI_API_KEY", environ)
    if url is None and key is None:
        raise UserError(
            "no model endpoint configured: set OPENAI_API_KEY, "
            "or --base-url / OPENAI_BASE_URL for a local server"
        )
    if key is None:
        if is_openai_endpoint(url):
            raise UserError(f"{display_url(url or OPENAI_BASE_URL)} needs an API key: set OPENAI_API_KEY")
        key = KEYLESS_PLACEHOLDER
    if timeout <= 0:
        raise UserError(f"the model timeout must be positive, got {timeout}")
    return openai.OpenAI(api_key=key, base_url=url or OPENAI_BASE_URL, timeout=timeout, max_retries=0)
