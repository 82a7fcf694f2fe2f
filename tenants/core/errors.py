"""Errors a person can act on, in any language."""
from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """A refusal or failure the reader can understand: `template` is a gettext msgid (English), `params` fill
    its `%(name)s` placeholders. `str(exc)` is the English sentence (logs, the API, CSV downloads); a page
    shows `gettext(template, **params)`, and a failed job keeps both for its page (tenants.agency.jobs.fail)."""

    def __init__(self, template: str, **params: Any) -> None:
        self.template, self.params = template, params
        super().__init__(template % params if params else template)
