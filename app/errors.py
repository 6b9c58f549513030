"""Friendly error pages. A form error is rendered by its view; these cover the rest."""

from flask import Flask, current_app, flash, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from app import db, problems

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Check what you entered and try again."),
    403: ("Forbidden", "You do not have access to this page."),
    404: ("Page not found", "There is nothing here. The link may be old or mistyped."),
    405: ("Method not allowed", "This page cannot be used that way."),
    413: ("Too large", "What you sent is larger than we accept."),
    429: ("Too many requests", "Please wait a little and try again."),
    500: ("Something went wrong", "We could not finish that request. Nothing was charged; please try again."),
    503: ("Busy right now", "Many people changed the same items at this moment. Nothing was saved or charged."),
}
BUSY_FLASH = "Nothing was changed: please try again in a moment."
FOREIGN_KEY_VIOLATION = "23503"
REMOVED_MEANWHILE = "Something this change refers to was removed a moment ago. Nothing was saved: reload and try again."


def render_error(status: int, detail: str | None = None):
    title, message = MESSAGES.get(status, (f"Error {status}", "That did not work."))
    return render_template("errors/error.html", status=status, title=title, message=detail or message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, "This form has expired or was not sent from this site. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if problems.is_api_request():
            return problems.from_http_exception(error)
        # Show a description only when the code gave one; Werkzeug's defaults read poorly.
        custom = error.description != type(error).description
        return render_error(error.code, error.description if custom else None)

    @app.errorhandler(db.Busy)
    def busy(error: db.Busy):
        return _busy_page()

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        # A writer without db.retry_on_conflict that lost a deadlock: the same page, not a 500.
        if db.is_retryable(error):
            return _busy_page()
        # A replica that went away in the middle of a read: the same request again, on the primary.
        if db.get_db().fall_back_to_primary(error):
            return current_app.dispatch_request()
        # A row this write refers to went after the form checked it (a category merged away in the
        # same moment, say): the transaction was rolled back, so say so, not 500.
        if getattr(error.orig, "pgcode", None) == FOREIGN_KEY_VIOLATION:
            constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
            current_app.logger.warning("a write referred to a row removed meanwhile: %s", constraint)
            if problems.is_api_request():
                return problems.problem_response(409, REMOVED_MEANWHILE)
            return render_error(409, REMOVED_MEANWHILE)
        raise error

    @app.errorhandler(500)
    def server_error(error):
        if problems.is_api_request():
            return problems.problem_response(500, "The request could not be finished. Nothing was changed.")
        return render_error(500)


def _busy_page():
    """503 with a flash: the transaction was rolled back, so trying again is safe."""
    if problems.is_api_request():
        return problems.problem_response(503, "Busy: nothing was changed. Try again.", headers={"Retry-After": "1"})
    flash(BUSY_FLASH, "warning")
    body, status = render_error(503)
    return body, status, {"Retry-After": "1"}
