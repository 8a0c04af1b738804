"""Where a fetch may connect: public addresses only, unless the user named the host.

A feed entry or a redirect must not send briefing into the network it runs in
(loopback, private, link-local addresses). The check has to hold at connect time: a
host is resolved once per connection and the socket goes to exactly the address that
was checked, so a DNS answer that changes between the check and the connect (DNS
rebinding) cannot get past it. Which hosts the user named is the `Fetcher`'s to know;
this module resolves, classifies addresses and opens the checked sockets.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpcore
import httpx

__all__ = [
    "GuardedBackend",
    "GuardedTransport",
    "Resolver",
    "address_kind",
    "is_public_address",
    "system_resolver",
]

Resolver = Callable[[str, int], Sequence[str]]
"""A host and port -> the IP addresses to try, in order (`system_resolver` asks the OS)."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system gives for `host`, in its order, each once."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `address` is on the public internet (not loopback, private, link-local, ...).

    IPv4-mapped IPv6 addresses count as not public whatever they map to, and a 6to4 or
    Teredo address only when the IPv4 address inside it is public too.
    """
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return False
        inside = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if inside is not None and not is_public_address(inside):
            return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_unspecified or address.is_link_local
    )


def address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """What kind of non-public address `address` is, for the line that says it was refused."""
    for kind in ("loopback", "link-local", "multicast", "unspecified", "private", "reserved"):
        if getattr(address, f"is_{kind.replace('-', '_')}"):
            return kind
    return "non-public"


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sockets, opened only to addresses `addresses` resolved and checked.

    The TLS handshake still names the host (httpcore passes it as server_hostname), and
    the request its Host header: only where the socket goes is decided here.
    """

    def __init__(self, addresses: Callable[[str, int], list[str]], sockets: httpcore.NetworkBackend) -> None:
        self._addresses = addresses
        self._sockets = sockets

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self._addresses(host, port)[:_ADDRESSES_TRIED]:
            try:
                return self._sockets.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("briefing does not fetch over Unix sockets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (its exception mapping, its streaming) over `GuardedBackend`.

    httpx 0.28 has no public way to give its connection pool a network backend
    (encode/httpx#3749), so the pool it builds is replaced by one built with httpcore's
    public API and the same defaults.
    """

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        super().__init__()
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's defaults
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


_ADDRESSES_TRIED = 3
