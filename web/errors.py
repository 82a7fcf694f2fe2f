"""Error pages. Anything outside the user's scope is a plain 404 (no existence leak)."""
from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


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

    @app.errorhandler(500)
    def server_error(_e):
        return render(500, _("Something went wrong"), _("The error has been logged. Please try again."))
