"""HTTP caching and compression (issue 21).

Static files are served by WhiteNoise under names that carry a hash of their content
(`css/app.3f2a1b9c0d4e.css`), with a year of `Cache-Control: immutable` and a gzipped copy made
once when the app starts; `url_for('static', …)` gives the hashed name, so a changed file gets a
new URL and browsers never use a stale one. The unhashed names still work (fonts that CSS files
name relatively), with WhiteNoise's short default lifetime and an ETag.

Dynamic responses (HTML, JSON, CSV, SVG) are gzipped when the client accepts it, except those that
carry the session's CSRF token: compressing a secret next to text the visitor typed (a search) lets
an attacker who can watch response sizes guess the secret (BREACH). The guest page cache stores
its pages gzipped already (app/page_cache.py).
"""

import gzip
import hashlib
import os
import re
import tempfile
from pathlib import Path

from flask import Flask, Request, Response, current_app, g, request
from whitenoise import WhiteNoise

HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"  # a year
COMPRESSIBLE_FILES = {".css", ".js", ".svg", ".json", ".txt", ".map"}
COMPRESSIBLE_TYPES = {"text/html", "application/json", "text/csv", "image/svg+xml", "text/plain"}
MIN_COMPRESS_BYTES = 1024  # below this gzip's header and the CPU cost more than they save
GZIP_LEVEL = 6


def build_static(source: Path, target: Path) -> dict[str, str]:
    """Copy each static file into `target` under its content-hashed name, with a .gz beside it
    when that is smaller; return {name: hashed name}. A file already built is left alone."""
    manifest = {}
    for path in sorted(source.rglob("*")):
        if not path.is_file() or not path.suffix:
            continue  # LICENSE files: never linked
        data = path.read_bytes()
        relative = path.relative_to(source)
        hashed = relative.with_name(f"{relative.stem}.{hashlib.sha256(data).hexdigest()[:12]}{relative.suffix}")
        manifest[relative.as_posix()] = hashed.as_posix()
        destination = target / hashed
        if destination.exists():
            continue
        _write_atomically(destination, data)
        if path.suffix in COMPRESSIBLE_FILES:
            compressed = gzip.compress(data, 9, mtime=0)
            if len(compressed) < len(data):
                _write_atomically(destination.with_name(destination.name + ".gz"), compressed)
    return manifest


def _write_atomically(destination: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so workers starting together never read half a file."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".building-")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    os.replace(temporary, destination)


def _static_headers(headers, path: str, url: str) -> None:
    """A year of caching for hashed names (WhiteNoise's own 'forever' is ten years)."""
    headers["X-Content-Type-Options"] = "nosniff"
    if HASHED_NAME.search(url):
        headers["Cache-Control"] = IMMUTABLE


def accepts_gzip(visitor_request: Request | None = None) -> bool:
    return "gzip" in (visitor_request or request).headers.get("Accept-Encoding", "").lower()


def compress(response: Response) -> Response:
    """Gzip a dynamic response for a client that takes it, unless it carries a CSRF token (BREACH)."""
    if response.mimetype not in COMPRESSIBLE_TYPES or response.direct_passthrough or response.is_streamed:
        return response
    response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or "Content-Encoding" in response.headers
        or response.headers.get("ETag")  # conditional responses keep one body per ETag
        or not accepts_gzip()
        or current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g
    ):
        return response
    data = response.get_data()
    if len(data) < MIN_COMPRESS_BYTES:
        return response
    response.set_data(gzip.compress(data, GZIP_LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    """Serve static files through WhiteNoise under hashed names, and gzip dynamic responses."""
    source = Path(app.static_folder)
    built = Path(app.instance_path) / "static"
    manifest = build_static(source, built)

    def hashed_static_name(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])

    app.url_defaults(hashed_static_name)
    static = WhiteNoise(app.wsgi_app, add_headers_function=_static_headers)
    static.add_files(str(source), prefix="static/")
    static.add_files(str(built), prefix="static/")
    app.wsgi_app = static
    app.after_request(compress)
