"""/metrics for Prometheus (app/metrics.py): for the monitoring system, not the public.

Prometheus scrapes each app server at its own address (each has its own numbers), never through
the load balancer. So, without METRICS_TOKEN, a scrape must come from a loopback or private
address AND not through a proxy: HAProxy adds X-Forwarded-For, and without that test every
visitor of the site would look like 127.0.0.1 (HAProxy refuses /metrics too, db/cluster.py).
With METRICS_TOKEN set (BAZAAR_METRICS_TOKEN), only `Authorization: Bearer <token>` opens it, from
anywhere: for monitoring on a network shared with others.

The answer is never stored by a cache, never served from the guest page cache (no for_guests) and
never sets a session cookie (it does not touch the session).
"""

import hmac
import ipaddress

from flask import Blueprint, Response, current_app, request

from app import metrics

bp = Blueprint("metrics", __name__)

PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
)
PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def is_private(address: str | None) -> bool:
    """A loopback or private (RFC 1918, IPv6 unique local) address, IPv4-mapped ones included."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed in network for network in PRIVATE_NETWORKS)


def may_read_metrics() -> bool:
    """The bearer of METRICS_TOKEN when one is set; else a private address, not through a proxy."""
    token = current_app.config["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if any(header in request.headers for header in PROXY_HEADERS):
        return False
    return is_private(request.remote_addr)


@bp.get("/metrics")
def show_metrics():
    """The metrics in Prometheus's text format."""
    if may_read_metrics():
        body, content_type = metrics.exposition()
        response = Response(body, content_type=content_type)
    else:
        response = Response("Metrics are for the monitoring system only.\n", 403, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response
