"""Work each worker would otherwise do for its first visitors, done once when the app starts."""

from flask import Flask

from app import forms, templating


def init_app(app: Flask) -> None:
    """Compile the templates and read the time-zone database (606 files, ~30 ms of CPU: the first
    /account, insights or analytics page of each worker paid it), after the blueprints are registered."""
    templating.precompile(app)
    forms.time_zone_names()
