"""Helpers for URLs that come from the user."""

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Return `target` if it is a path on this site, else None.

    Rejects absolute URLs, scheme-relative ones (//evil.example) and backslash tricks
    that some browsers read as a host.
    """
    if not target or len(target) > 2000:
        return None
    target = target.strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in target):
        return None
    return target
