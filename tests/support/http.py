"""Talking to the app as a browser would: the CSRF token from a page, signing in, posting a form."""
from __future__ import annotations

import re

PASSWORD = "correct-horse-battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"|'
                     r'"X-CSRFToken": "([^"]+)"')


def csrf_of(client, path: str = "/login") -> str:
    """The CSRF token of `client`'s session, read from a page as a browser would."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return next(g for g in match.groups() if g)


def login(client, email: str, password: str = PASSWORD):
    token = csrf_of(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post(client, path: str, data: dict | None = None, htmx: bool = False, **kwargs):
    """POST with the session's CSRF token, as the page's form (or htmx, as a header) would send it."""
    token = csrf_of(client, "/account/")
    headers = kwargs.pop("headers", {})
    data = dict(data or {})
    if htmx:
        headers.update({"HX-Request": "true", "X-CSRFToken": token})
    else:
        data["csrf_token"] = token
    return client.post(path, data=data, headers=headers, **kwargs)
