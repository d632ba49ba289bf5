"""Who is really on the other end of a request: forwarded headers count only from trusted proxies.

`X-Forwarded-For` and `X-Forwarded-Proto` are plain request headers that anyone can send; believed
from everyone, they let one machine pose as endless addresses (and walk past the login lockout).
They are read only when the peer itself is listed in `EARSHOT_TRUSTED_PROXIES`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

from earshot.config import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted if entry.strip())


def is_trusted_proxy(address: str, settings: Settings) -> bool:
    """True when `address` is one of the configured reverse proxies."""
    networks = _networks(tuple(settings.trusted_proxies))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _peer(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "unknown"


def client_address(connection: HTTPConnection, settings: Settings) -> str:
    """The client's address: the peer's, or, behind trusted proxies, the nearest untrusted hop.

    Walks `X-Forwarded-For` from the right (the entries our own proxies appended) and stops at the
    first address that is not a trusted proxy: anything left of it was written by the client.
    """
    address = _peer(connection)
    if not is_trusted_proxy(address, settings):
        return address
    forwarded = ",".join(connection.headers.getlist("x-forwarded-for"))
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        address = hop
        if not is_trusted_proxy(hop, settings):
            break
    return address


def came_over_https(connection: HTTPConnection, settings: Settings) -> bool:
    """Whether the client's request reached us (or our trusted proxy) over HTTPS."""
    if connection.url.scheme in ("https", "wss"):
        return True
    if not is_trusted_proxy(_peer(connection), settings):
        return False
    proto = connection.headers.get("x-forwarded-proto", "")
    return proto.split(",")[0].strip().lower() in ("https", "wss")
