"""A ticket's QR code (segno): a PNG for mail, inline SVG for the ticket page. It encodes the ticket itself, the
code the door's scanner and manual entry look up (`registrations.by_ticket`)."""
from __future__ import annotations

import base64
import io

import segno

ERROR_LEVEL = "m"        # 15% of the code may be damaged or covered and it still reads


def code(ticket: str) -> segno.QRCode:
    return segno.make_qr(ticket, error=ERROR_LEVEL, boost_error=False)


def png(ticket: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    code(ticket).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def png_base64(ticket: str) -> str:
    return base64.b64encode(png(ticket)).decode("ascii")


def svg(ticket: str) -> str:
    """An <svg> element that scales with its box (no width or height of its own; no style attribute)."""
    return code(ticket).svg_inline(scale=1, border=4, omitsize=True, dark="#111", light="#fff")
