"""What each worker would do for its first visitors is done when the app starts: the templates are
compiled and the time-zone database is read."""

from app import create_app, forms


def test_templates_and_time_zones_are_ready_before_the_first_request(database_url):
    forms.time_zone_names.cache_clear()
    started = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x"})
    try:
        names = started.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".svg")))
        compiled = {key[1] for key in started.jinja_env.cache}  # Jinja keys its cache by (loader, name)
        assert len(names) > 50 and set(names) <= compiled
        assert forms.time_zone_names.cache_info().currsize == 1
    finally:
        started.extensions["bazaar_db"].engine.dispose()
