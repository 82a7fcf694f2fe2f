"""A signed-in session named by its browser and system ("Chrome 131 on Windows", "Mobile Safari 17 on iOS 17.5,
iPhone"), read from the User-Agent header it signed in with by ua-parser (uap-core's rules)."""
from __future__ import annotations

import functools

from flask_babel import gettext as _
from ua_parser import parse


def _version(major: str | None, minor: str | None = None) -> str:
    return ".".join(v for v in (major, minor) if v)


@functools.lru_cache(maxsize=256)
def _named(user_agent: str) -> tuple[str, str, str]:
    found = parse(user_agent)
    ua, system, device = found.user_agent, found.os, found.device
    browser = f"{ua.family} {_version(ua.major)}".strip() if ua and ua.family != "Other" else ""
    os_name = f"{system.family} {_version(system.major, system.minor)}".strip() \
        if system and system.family != "Other" else ""
    model = device.model if device and device.family not in ("Other", "Spider") and device.model else ""
    return browser, os_name, model


def device_name(user_agent: str | None) -> str:
    """The browser and system of a session, in words; the header's first word (the product) when the rules know
    neither."""
    if not user_agent or not user_agent.strip():
        return _("Unknown browser")
    browser, system, model = _named(user_agent)
    if browser and system:
        name = _("%(browser)s on %(system)s", browser=browser, system=system)
    else:
        name = browser or system or user_agent.split()[0][:60]
    return f"{name}, {model}" if model and model not in name else name
