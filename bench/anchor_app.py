"""The anchor for bench/load.py: a minimal Flask page that runs one query and renders a small template.

Bazaar's pages are measured as a ratio of this page's requests/s, run under the same gunicorn
settings on the same database, so the noise of a shared machine cancels out of the ratio.

    DATABASE_URL=… env/bin/gunicorn --no-control-socket --workers 4 "bench.anchor_app:create_app()"
"""

import os

from flask import Flask, abort, request
from sqlalchemy import create_engine, make_url, text

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ product.name }}</title></head>
<body><main><h1>{{ product.name }}</h1>
<p>{{ product.offer_count }} sellers, from ${{ product.min_price }}</p>
<p>{{ product.description }}</p></main></body></html>
"""

PRODUCT = text(
    """
    SELECT id, name, description, min_price, offer_count
    FROM products
    WHERE id = :id
    """
)


def create_app() -> Flask:
    """The one-page app: GET /?id=N shows product N."""
    app = Flask(__name__)
    url = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+psycopg2")
    engine = create_engine(url, pool_size=5, max_overflow=10)
    page = app.jinja_env.from_string(PAGE)  # compiled once, as Flask does for template files

    @app.get("/")
    def product_page():
        with engine.connect() as connection:
            product = connection.execute(PRODUCT, {"id": request.args.get("id", 1, type=int)}).mappings().first()
        if product is None:
            abort(404)
        return page.render(product=product)

    return app
