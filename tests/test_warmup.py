"""Templates are compiled when the app starts, not by the first visitor of each page on each worker."""

from app import create_app


def test_every_template_is_compiled_before_the_first_request(database_url):
    started = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x"})
    try:
        names = started.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".svg")))
        compiled = {key[1] for key in started.jinja_env.cache}  # Jinja keys its cache by (loader, name)
        assert len(names) > 50 and set(names) <= compiled
    finally:
        started.extensions["bazaar_db"].engine.dispose()
