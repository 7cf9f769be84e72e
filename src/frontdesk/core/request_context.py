"""Who is calling from where: client IP (proxy-aware), user agent, request id."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request

from frontdesk.core.config import Settings
from frontdesk.core.logging import request_id_var

MAX_USER_AGENT = 512


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None
    user_agent: str | None
    request_id: str | None


@lru_cache(maxsize=16)
def _networks(
    proxies: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _trusted(address: str, settings: Settings) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.trusted_proxies)))


def client_ip(request: Request, settings: Settings) -> str | None:
    """The socket's peer, unless it is a trusted proxy: then the nearest untrusted hop
    of ``X-Forwarded-For`` (read right to left, so a client cannot forge its way in)."""
    peer = request.client.host if request.client else None
    if peer is None or not settings.trusted_proxies or not _trusted(peer, settings):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, settings):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


def request_meta(request: Request) -> RequestMeta:
    settings: Settings = request.app.state.settings
    agent = request.headers.get("user-agent")
    return RequestMeta(
        ip=client_ip(request, settings),
        user_agent=agent[:MAX_USER_AGENT] if agent else None,
        request_id=request_id_var.get(),
    )


async def _meta(request: Request) -> RequestMeta:
    # async: a plain ``def`` dependency would cost a thread-pool hop per request.
    return request_meta(request)


Meta = Annotated[RequestMeta, Depends(_meta)]
