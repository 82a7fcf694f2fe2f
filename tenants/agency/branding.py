"""White label: an agency's logo, colour, mail sender name, report footer and report language, and each
organisation's override of any of them. `for_org` is what reports, share pages, PDFs and mails read: the
organisation's value, else the agency's, else Communa's.

The logo is a PNG or JPEG of at most LOGO_MAX_BYTES, kept in the database and served only at
`/brand/<logo_token>/logo.png`: the token is a 256-bit secret replaced on every upload, so a page anyone may see
(a report's share page) can show the logo without naming anything else of the agency."""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tenants.agency.models import Organisation, WhiteLabel
from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.db import system_scope
from tenants.core.errors import DomainError
from tenants.core.i18n import LANGUAGES
from tenants.core.ids import new_token

DEFAULT_COLOUR, DEFAULT_SENDER, DEFAULT_LANGUAGE = "#4f46e5", "Communa", "en"
LOGO_MAX_BYTES = 256 * 1024
LOGO_MAX_SIDE = 4000
FIELDS = ("colour", "sender_name", "footer", "language")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class BrandError(DomainError):
    """A white-label value refused, with the reason (a gettext msgid)."""


@dataclass(frozen=True)
class Brand:
    """What a report, share page, PDF or mail of one organisation shows (see for_org)."""
    logo_url: str | None
    colour: str
    sender_name: str
    footer: str
    language: str


DEFAULTS = Brand(logo_url=None, colour=DEFAULT_COLOUR, sender_name=DEFAULT_SENDER, footer="",
                 language=DEFAULT_LANGUAGE)


def logo_path(token: str) -> str:
    """The logo's address on this site (reports prefix PUBLIC_URL for mails and PDFs)."""
    return f"/brand/{token}/logo.png"


def _scope(org_id: int | None):
    """The agency's row, and the organisation's override when an organisation is named."""
    return WhiteLabel.org_id.is_(None) if org_id is None else (WhiteLabel.org_id.is_(None)
                                                                | (WhiteLabel.org_id == org_id))


def rows_for(session: Session, org_id: int | None) -> tuple[WhiteLabel | None, WhiteLabel | None]:
    """The organisation's override and the agency's own white-label rows (either may be None), in one query."""
    stmt = select(WhiteLabel).where(_scope(org_id))
    found = {b.org_id: b for b in session.scalars(stmt)}
    return (found.get(org_id) if org_id is not None else None), found.get(None)


def for_org(session: Session, org: Organisation | None) -> Brand:
    """The white label of `org` (None: the agency's): each field from the organisation's override, else the
    agency's, else Communa's default."""
    own, agency = rows_for(session, org.id if org is not None else None)

    def pick(name: str, default: str) -> str:
        for row in (own, agency):
            value = getattr(row, name) if row is not None else None
            if value:
                return value
        return default
    token = next((r.logo_token for r in (own, agency) if r is not None and r.logo_token), None)
    return Brand(logo_url=logo_path(token) if token else None, colour=pick("colour", DEFAULT_COLOUR),
                 sender_name=pick("sender_name", DEFAULT_SENDER), footer=pick("footer", ""),
                 language=pick("language", DEFAULT_LANGUAGE))


def row_of(session: Session, org_id: int | None) -> WhiteLabel | None:
    """The agency's row (org_id None) or the organisation's override, as stored (for the settings forms)."""
    return rows_for(session, org_id)[0 if org_id is not None else 1]


def _row(session: Session, org_id: int | None) -> WhiteLabel:
    row = row_of(session, org_id)
    if row is None:
        row = WhiteLabel(org_id=org_id)
        session.add(row)
    return row


def _clean(values: dict) -> dict[str, str | None]:
    """Each field checked: empty is "not set" (falls back); otherwise a BrandError names what is wrong."""
    out: dict[str, str | None] = {}
    colour = (values.get("colour") or "").strip()
    if colour and not COLOUR.match(colour):
        raise BrandError("The colour must look like #1a2b3c (a # and six hexadecimal digits).")
    out["colour"] = colour.lower() or None
    sender = " ".join((values.get("sender_name") or "").split())
    if len(sender) > 120:
        raise BrandError("The sender name is longer than %(n)s characters.", n=120)
    if any(c in sender for c in '<>"@'):
        raise BrandError("The sender name is a name only: no address and no <, > or quotes.")
    out["sender_name"] = sender or None
    footer = (values.get("footer") or "").strip().replace("\r\n", "\n")
    if len(footer) > 500:
        raise BrandError("The footer is longer than %(n)s characters.", n=500)
    if "\x00" in footer:
        raise BrandError("The footer contains characters that cannot be stored.")
    out["footer"] = footer or None
    language = (values.get("language") or "").strip()
    if language and language not in LANGUAGES:
        raise BrandError("Choose English or Russian for the reports.")
    out["language"] = language or None
    return out


def save(session: Session, org_id: int | None, values: dict, actor: Actor) -> WhiteLabel:
    """Save the agency's white label (org_id None) or an organisation's override; audited."""
    cleaned = _clean(values)
    row = _row(session, org_id)
    for name, value in cleaned.items():
        setattr(row, name, value)
    session.flush()
    audit.record(session, "branding_saved", actor, target=_target(session, org_id),
                 **{k: v for k, v in cleaned.items() if k != "footer"})
    return row


def image_type(data: bytes) -> str:
    """"image/png" or "image/jpeg" for a well-formed logo, else a BrandError (SVG and everything else are
    refused: only raster images are served)."""
    if not data:
        raise BrandError("Choose an image file.")
    if len(data) > LOGO_MAX_BYTES:
        raise BrandError("The logo is larger than %(kb)s kB.", kb=LOGO_MAX_BYTES // 1024)
    if data.startswith(PNG_SIGNATURE) and len(data) >= 33 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        if not (0 < width <= LOGO_MAX_SIDE and 0 < height <= LOGO_MAX_SIDE):
            raise BrandError("The logo must be at most %(px)s pixels on each side.", px=LOGO_MAX_SIDE)
        return "image/png"
    if data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return "image/jpeg"
    raise BrandError("The logo must be a PNG or JPEG image.")


def set_logo(session: Session, org_id: int | None, data: bytes, actor: Actor) -> WhiteLabel:
    """Store a new logo (checked by image_type) under a new token: the old address stops working."""
    kind = image_type(data)
    row = _row(session, org_id)
    row.logo, row.logo_type, row.logo_token = data, kind, new_token()
    session.flush()
    audit.record(session, "branding_logo_changed", actor, target=_target(session, org_id), size=len(data))
    return row


def remove_logo(session: Session, org_id: int | None, actor: Actor) -> None:
    row = row_of(session, org_id)
    if row is None or row.logo_token is None:
        return
    row.logo, row.logo_type, row.logo_token = None, None, None
    session.flush()
    audit.record(session, "branding_logo_changed", actor, target=_target(session, org_id), size=0)


def logo_of(session: Session, org_id: int | None) -> tuple[bytes, str] | None:
    """The logo the pages of the agency (org_id None) or of one organisation show, with its type."""
    own, agency = rows_for(session, org_id)
    for row in (own, agency):
        if row is not None and row.logo_token:
            return row.logo, row.logo_type
    return None


def logo_by_token(token: str) -> tuple[bytes, str] | None:
    """The logo a token names, whoever asks (a system look-up: the token is the only key), else None."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    with system_scope() as s:
        row = s.execute(select(WhiteLabel.logo, WhiteLabel.logo_type).where(WhiteLabel.logo_token == token)).first()
    return (row[0], row[1]) if row and row[0] else None


def sidebar(session: Session, org_id: int | None) -> tuple[str | None, str | None]:
    """The logo token and colour the app's sidebar shows: the organisation's override, else the agency's
    (one small query, the logo's bytes left out)."""
    stmt = select(WhiteLabel.org_id, WhiteLabel.logo_token, WhiteLabel.colour).where(_scope(org_id))
    rows = sorted(session.execute(stmt).all(), key=lambda r: r[0] is None)     # the override first
    token = next((r[1] for r in rows if r[1]), None)
    colour = next((r[2] for r in rows if r[2]), None)
    return token, colour


def _target(session: Session, org_id: int | None) -> str | None:
    return session.get(Organisation, org_id).slug if org_id is not None else None
