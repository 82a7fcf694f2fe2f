"""White label: the agency's branding (owners and admins), an organisation's override (on its settings page),
the logo (to the agency's people, and by its secret token to anyone, for share pages), the app's brand colour."""
from __future__ import annotations

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from tenants.agency import branding
from tenants.agency.branding import BrandError
from tenants.core.db import db

from ..htmx import page
from ..labels import domain_message
from ..tenancy import actor, agency_view, org_view
from . import bp

LOGO_FIELD = "logo"


def _error(exc: BrandError) -> str:
    return domain_message(exc.template, exc.params)


def _agency_page(status: int = 200, **context) -> Response:
    return page("branding/agency.html", "content", status=status, row=branding.row_of(db, None),
                defaults=branding.DEFAULTS, **context)


@bp.route("/<agency_slug>/branding", methods=["GET", "POST"])
@agency_view("owner", "admin")
def agency():
    if request.method == "GET":
        return _agency_page()
    try:
        branding.save(db, None, request.form, actor())
    except BrandError as exc:
        db.rollback()
        return _agency_page(422, error=_error(exc))
    db.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("branding.agency", agency_slug=g.agency.slug))


def _upload() -> bytes:
    f = request.files.get(LOGO_FIELD)
    return f.read(branding.LOGO_MAX_BYTES + 1) if f is not None else b""


@bp.route("/<agency_slug>/branding/logo", methods=["POST"])
@agency_view("owner", "admin")
def agency_logo_upload():
    try:
        branding.set_logo(db, None, _upload(), actor())
    except BrandError as exc:
        db.rollback()
        return _agency_page(422, logo_error=_error(exc))
    db.commit()
    flash(_("Logo saved."), "success")
    return redirect(url_for("branding.agency", agency_slug=g.agency.slug))


@bp.route("/<agency_slug>/branding/logo/remove", methods=["POST"])
@agency_view("owner", "admin")
def agency_logo_remove():
    branding.remove_logo(db, None, actor())
    db.commit()
    flash(_("Logo removed."), "success")
    return redirect(url_for("branding.agency", agency_slug=g.agency.slug))


def _image(found: tuple[bytes, str] | None) -> Response:
    if found is None:
        abort(404)
    data, kind = found
    return Response(data, mimetype=kind, headers={"Content-Disposition": "inline",
                                                  "Content-Security-Policy": "default-src 'none'"})


@bp.route("/<agency_slug>/branding/logo.png")
@agency_view()
def agency_logo():
    """The agency's logo, to its own people (the app's sidebar)."""
    return _image(branding.logo_of(db, None))


@bp.route("/<agency_slug>/branding/theme.css")
@agency_view()
def theme():
    """The agency's colour for the app (a stylesheet: the CSP allows no inline style)."""
    _token, colour = branding.sidebar(db, None)
    css = "" if colour is None else (
        f":root {{ --brand: {colour}; }}\n"
        ".sidebar .brand-mark { background: var(--brand); }\n"
        ".sidebar .nav-link.active { box-shadow: inset 3px 0 0 var(--brand); }\n")
    return Response(css, mimetype="text/css")


@bp.route("/brand/<token>/logo.png")
def public_logo(token: str):
    """A logo by its secret token, for pages anyone may open (a report's share page, a PDF, a mail)."""
    response = _image(branding.logo_by_token(token))
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


# --- an organisation's override, on its settings page ----------------------------------------------------------

def _org_settings(status: int, **context) -> Response:
    return page("org/settings.html", "content", status=status, **context)


def _back() -> Response:
    return redirect(url_for("org.settings", agency_slug=g.agency.slug, org_slug=g.org.slug) + "#branding")


@bp.route("/<agency_slug>/<org_slug>/settings/branding", methods=["POST"])
@org_view(admin=True)
def org_override():
    try:
        branding.save(db, g.org.id, request.form, actor())
    except BrandError as exc:
        db.rollback()
        return _org_settings(422, brand_error=_error(exc))
    db.commit()
    flash(_("Saved."), "success")
    return _back()


@bp.route("/<agency_slug>/<org_slug>/settings/branding/logo", methods=["POST"])
@org_view(admin=True)
def org_logo_upload():
    try:
        branding.set_logo(db, g.org.id, _upload(), actor())
    except BrandError as exc:
        db.rollback()
        return _org_settings(422, brand_logo_error=_error(exc))
    db.commit()
    flash(_("Logo saved."), "success")
    return _back()


@bp.route("/<agency_slug>/<org_slug>/settings/branding/logo/remove", methods=["POST"])
@org_view(admin=True)
def org_logo_remove():
    branding.remove_logo(db, g.org.id, actor())
    db.commit()
    flash(_("Logo removed."), "success")
    return _back()


@bp.app_context_processor
def _sidebar_brand() -> dict:
    """`sidebar_brand()` for the app layout: the agency's logo token and colour, read once per page."""
    def sidebar_brand() -> tuple[str | None, str | None]:
        if g.get("agency") is None:
            return None, None
        if "sidebar_brand" not in g:
            g.sidebar_brand = branding.sidebar(db, None)
        return g.sidebar_brand
    def org_white_label() -> tuple:
        """The organisation's override as stored, and the agency's white label its empty fields fall back to."""
        return branding.row_of(db, g.org.id), branding.for_org(db, None)
    return {"sidebar_brand": sidebar_brand, "org_white_label": org_white_label,
            "brand_languages": branding.LANGUAGES, "logo_max_kb": branding.LOGO_MAX_BYTES // 1024}
