"""htmx helpers: one template serves the page and its fragments (named blocks)."""
from __future__ import annotations

import json

from flask import Response, make_response, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def page(template: str, block: str, status: int = 200, trigger: dict | str | None = None, **context) -> Response:
    """The full page, or only `block` for an htmx request."""
    body = render_block(template, block, **context) if is_htmx() else render_template(template, **context)
    response = make_response(body, status)
    if trigger:
        response.headers["HX-Trigger"] = trigger if isinstance(trigger, str) else json.dumps(trigger)
    return response


def redirect_htmx(url: str) -> Response:
    """Send the browser to `url`: a plain redirect, or HX-Redirect for htmx requests."""
    from flask import redirect
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url)
