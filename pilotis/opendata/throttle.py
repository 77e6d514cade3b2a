"""Rate limiting of the public open-data API: a token bucket per client kept in Django's cache
(in-process by default, Redis or Memcached in production, shared by every worker).

The rate is `settings.OPENDATA_API_RATE` when set (e.g. "600/m", "20/s", "10000/h"; "off" or
None to disable), DEFAULT_RATE otherwise. A client may burst up to the whole allowance, then is
refilled continuously. The client is the request's address (REMOTE_ADDR): behind a reverse
proxy, have the server rewrite it from X-Forwarded-For (waitress' `trusted_proxy`), otherwise
every client shares the proxy's bucket.

Concurrent requests of one client may both take the same token (read, then write): the limit
is approximate by a request or two under contention, never by more."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

DEFAULT_RATE = "600/m"
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
KEY_PREFIX = "pilotis:opendata-api:bucket:"


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds, when refused


def parse_rate(text: str | None) -> Rate | None:
    """ "600/m" → 600 requests a minute; None, "", "0" or "off": no limit."""
    if text is None or str(text).strip().lower() in ("", "0", "off", "none"):
        return None
    count, _, unit = str(text).strip().partition("/")
    unit = unit.strip().lower() or "s"
    seconds = PERIODS.get(unit[0]) if unit[0].isalpha() else None
    if seconds is None:  # "100/10s"
        digits = unit.rstrip("smhd") or "1"
        seconds = int(digits) * PERIODS.get(unit[-1], 1)
    return Rate(max(1, int(count)), max(1, seconds))


def current_rate() -> Rate | None:
    return parse_rate(getattr(settings, "OPENDATA_API_RATE", DEFAULT_RATE))


def client_id(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    return hashlib.sha256(address.encode()).hexdigest()[:24]


def take(request: HttpRequest, rate: Rate | None = None) -> Decision:
    """Take one token from the client's bucket."""
    rate = rate or current_rate()
    if rate is None:
        return Decision(True, 0, 0, 0)
    key = KEY_PREFIX + client_id(request)
    now = time.time()
    state = cache.get(key)
    tokens, since = (float(rate.requests), now) if state is None else state
    tokens = min(float(rate.requests), tokens + (now - since) * rate.per_second)
    allowed = tokens >= 1
    if allowed:
        tokens -= 1
    cache.set(key, (tokens, now), timeout=rate.seconds * 2)
    retry = 0 if allowed else max(1, math.ceil((1 - tokens) / rate.per_second))
    return Decision(allowed, rate.requests, int(tokens), retry)
