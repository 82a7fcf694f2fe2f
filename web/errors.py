"""Error pages. Anything outside the user's scope is a plain 404 (no existence leak). The API answers in JSON
whatever went wrong; an outage (no worker reachable, a database connection cut) is a 503 that says to retry."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError

from tenants.agency.jobs import JobsUnavailable
from tenants.core.db import db

from .labels import JOBS_UNAVAILABLE

log = logging.getLogger("communa.web")
RETRY_AFTER = "30"


def register(app: Flask) -> None:
    def render(code: int, title: str, message: str):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(404)
    def not_found(_e):
        return render(404, _("Page not found"), _("This page does not exist, or you do not have access to it."))

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return render(400, _("The form has expired"), _("Reload the page and try again."))

    @app.errorhandler(429)
    def too_many(_e):
        return render(429, _("Too many attempts"), _("Please wait a few minutes and try again."))

    @app.errorhandler(413)
    def too_large(_e):
        return render(413, _("File too large"), _("The file is larger than the upload limit."))

    @app.errorhandler(JobsUnavailable)
    def jobs_unavailable(_e):
        db.rollback()           # refused before its commit: nothing of the action that needed the job is kept
        if request.blueprint == "api":
            return _unavailable_json("background work is unavailable; nothing was started, retry shortly")
        body, code = render(503, _("Background work is unavailable"), str(JOBS_UNAVAILABLE))
        return body, code, {"Retry-After": RETRY_AFTER}

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if not exc.connection_invalidated:
            raise exc            # a bug: the 500 handler answers
        log.warning("database connection lost during %s %s", request.method, request.path)
        db.rollback()
        if request.blueprint == "api":
            return _unavailable_json("the database connection was interrupted; nothing was saved, retry")
        body, code = render(503, _("The connection was interrupted"),
                            _("Nothing of this request was saved. Please try again."))
        return body, code, {"Retry-After": "1"}

    @app.errorhandler(500)
    def server_error(_e):
        if request.blueprint == "api":
            response = jsonify({"error": "internal error; it has been logged"})
            response.status_code = 500
            return response
        return render(500, _("Something went wrong"), _("The error has been logged. Please try again."))


def _unavailable_json(message: str):
    response = jsonify({"error": message})
    response.status_code = 503
    response.headers["Retry-After"] = RETRY_AFTER
    return response
