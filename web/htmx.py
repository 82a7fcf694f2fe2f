"""htmx: one template serves the page and its fragments (named blocks, rendered by jinja2-fragments).

htmx-flask reads the request's HX- headers (`request.htmx`: is it htmx, boosted, which element it swaps) and
writes the response's (`make_response(trigger=, redirect=, push_url=, …)`). A fragment is chosen one way
everywhere: `page()` renders the whole page for a plain, boosted or history-restoring request, and for any
other htmx request the block named by the element it swaps (HX-Target, that element's id) when the view offers
it, else the view's own block."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Response, render_template
from flask import redirect as http_redirect
from htmx_flask import make_response, request
from jinja2_fragments.flask import render_block

# The request headers that decide between the page and a fragment, and which fragment: every response says so.
VARY = "HX-Request, HX-Boosted, HX-History-Restore-Request, HX-Target"

# htmx-flask 0.1.0 validates HX-Reswap against a list that runs two of these together ("beforebegin"
# "afterbegin" is one string there), so those two are set directly.
_RESWAP_UNLISTED = ("beforebegin", "afterbegin")


def wants_fragment() -> bool:
    """An htmx request that swaps part of a page. Boosted navigation and htmx's history restore (a back button
    with nothing cached) replace the whole page, so they get the whole page."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def swaps(target: str) -> bool:
    """Whether this htmx request swaps the element with id `target`."""
    return wants_fragment() and request.htmx.target == target


def respond(body: str | bytes = "", status: int = 200, *, trigger: dict | str | None = None,
            redirect: str | None = None, push_url: str | None = None, reswap: str | None = None,
            retarget: str | None = None) -> Response:
    """A response with htmx's response headers (HX-Trigger, HX-Redirect, HX-Push-Url, HX-Reswap, …)."""
    unlisted = reswap in _RESWAP_UNLISTED
    response = make_response(body, status, trigger=trigger, redirect=redirect, push_url=push_url,
                             reswap=None if unlisted else reswap, retarget=retarget)
    if unlisted:
        response.headers["HX-Reswap"] = reswap
    return response


def page(template: str, block: str, status: int = 200, *, fragments: Iterable[str] | Mapping[str, str] = (),
         trigger: dict | str | None = None, **context) -> Response:
    """The full page, or for an htmx request one block: the one `fragments` names for the element the request
    swaps (a list of blocks whose element ids are their names, or {element id: block}), else `block`."""
    if wants_fragment():
        named = fragments if isinstance(fragments, Mapping) else {name: name for name in fragments}
        body = render_block(template, named.get(request.htmx.target or "", block), **context)
    else:
        body = render_template(template, **context)
    return respond(body, status, trigger=trigger)


def fragment(template: str, block: str, status: int = 200, *, trigger: dict | str | None = None,
             **context) -> Response:
    """Only `block`, whoever asks: for URLs that exist to be loaded into a page (a count, a status line)."""
    return respond(render_block(template, block, **context), status, trigger=trigger)


def redirect(url: str) -> Response:
    """Send the browser to `url`: HX-Redirect for an htmx request (htmx follows a plain redirect inside the
    swap), a plain redirect otherwise."""
    if wants_fragment():
        return respond("", 204, redirect=url)
    return http_redirect(url)
