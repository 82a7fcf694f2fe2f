"""CSV cells are safe to open in a spreadsheet: nothing a member, a user or a client address wrote runs as a
formula, in ASCII or full-width."""
from __future__ import annotations

import pytest

from tenants.core import audit
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.core.spreadsheet import safe_cell
from tests.support import factories


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "＝1+1", "＋1", "－1", "＠x"])
def test_a_leading_formula_character_is_quoted(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["Anna", "1.2.3.4", "", None, "a=b"])
def test_other_cells_are_unchanged(value):
    assert safe_cell(value) == ("" if value is None else value)


def test_the_audit_export_quotes_every_free_text_column_the_ip_included():
    a = factories.agency("Acme", "o@acme.test")
    with tenant_scope(a.id), job_session() as s:
        audit.record(s, "login_failed", Actor(None, "＝cmd@acme.test", "=HYPERLINK(\"http://x\")"), target="+t")
    with tenant_scope(a.id), job_session() as s:
        content = audit.export_csv(s, "login_failed", lambda *_: None).decode("utf-8-sig")
    row = content.splitlines()[1]
    assert "'＝cmd@acme.test" in row and "'+t" in row and "'=HYPERLINK" in row
