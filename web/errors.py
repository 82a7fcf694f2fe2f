"""Error pages, and JSON errors under /api/. Anything outside the user's scope is a plain 404 (no existence
leak). Every HTTP error, whoever raised it (routing, a converter, `web.params`, a view, an unhandled exception
as 500), is answered here: the API's in JSON, whichever part of the app raised them. An outage (no worker
reachable, a database connection cut) is a 503 that says to retry."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from tenants.agency.jobs import JobsUnavailable
from tenants.core.db import db

from .labels import JOBS_UNAVAILABLE

log = logging.getLogger("communa.web")
RETRY_AFTER = "30"

API_PREFIX = "/api/"
# What the API says for an error raised without a description of its own.
API_MESSAGES = {400: "invalid request", 401: "missing or invalid API key", 403: "the API key lacks the scope",
                404: "not found", 405: "method not allowed", 413: "request body too large",
                429: "rate limit exceeded; slow down and retry", 500: "internal error; it has been logged"}


def _page(code: int) -> tuple[str, str]:
    titles = {
        400: (_("Bad request"), _("The address has a value this page cannot use. Check the link and try again.")),
        404: (_("Page not found"), _("This page does not exist, or you do not have access to it.")),
        413: (_("File too large"), _("The file is larger than the upload limit.")),
        429: (_("Too many attempts"), _("Please wait a few minutes and try again.")),
    }
    return titles.get(code) or (_("Something went wrong"), _("The error has been logged. Please try again."))


def _api_message(e: HTTPException) -> str:
    """A 400 says what was wrong (`web.params` and the views describe it); the rest say what the code means."""
    if e.code == 400 and e.description and e.description != type(e).description:
        return e.description
    return API_MESSAGES.get(e.code or 500, "request failed")


def register(app: Flask) -> None:
    def render(code: int, title: str, message: str):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return render(400, _("The form has expired"), _("Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        if e.code is None or e.code < 400:
            return e
        if request.path.startswith(API_PREFIX):
            response = jsonify({"error": _api_message(e)})
            response.status_code = e.code
            return response
        return render(e.code, *_page(e.code))

    @app.errorhandler(JobsUnavailable)
    def jobs_unavailable(_e):
        db.rollback()           # refused before its commit: nothing of the action that needed the job is kept
        if request.path.startswith(API_PREFIX):
            return _unavailable_json("background work is unavailable; nothing was started, retry shortly")
        body, code = render(503, _("Background work is unavailable"), str(JOBS_UNAVAILABLE))
        return body, code, {"Retry-After": RETRY_AFTER}

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        if not exc.connection_invalidated:
            raise exc            # a bug: the 500 handler answers
        log.warning("database connection lost during %s %s", request.method, request.path)
        db.rollback()
        if request.path.startswith(API_PREFIX):
            return _unavailable_json("the database connection was interrupted; nothing was saved, retry")
        body, code = render(503, _("The connection was interrupted"),
                            _("Nothing of this request was saved. Please try again."))
        return body, code, {"Retry-After": "1"}


def _unavailable_json(message: str):
    response = jsonify({"error": message})
    response.status_code = 503
    response.headers["Retry-After"] = RETRY_AFTER
    return response
