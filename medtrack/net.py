"""The client's address, for lockouts, rate limits and the access log."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """``REMOTE_ADDR``, or behind ``TRUSTED_PROXY_COUNT`` proxies (a load balancer
    is one) the address the outermost of them saw, read from ``X-Forwarded-For``.

    Each proxy appends the address it was reached from, so with N trusted
    proxies the client is the N-th entry from the right; anything further left
    was written by the client itself and is never trusted.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")
