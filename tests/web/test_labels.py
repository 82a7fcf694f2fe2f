"""Every list of codes lives once in the domain; the web layer only labels it. A code without a label (or a
label for a code the domain does not know) means the two lists drifted."""
from __future__ import annotations

import pytest

from tenants.accounts.models import ROLES
from tenants.agency import jobs
from tenants.community.models import ACTIVITY_TYPES, CHANNELS
from tenants.core import audit
from tenants.goals.catalogue import TEMPLATES
from tenants.goals.models import CATEGORIES, OUTCOMES, STATUSES
from tenants.scoring import STAGES
from web import labels


@pytest.mark.parametrize(("codes", "labelled"), [
    (ROLES, labels.ROLES), (audit.ACTIONS, labels.ACTIONS), (jobs.KINDS, labels.JOBS), (STAGES, labels.STAGES),
    (CHANNELS, labels.CHANNELS), (ACTIVITY_TYPES, labels.ACTIVITY), (jobs.FAILURE_CODES, labels.JOB_FAILURES),
    (CATEGORIES, labels.GOAL_CATEGORIES),
    (STATUSES, labels.GOAL_STATUSES), (OUTCOMES, labels.GOAL_OUTCOMES), (TEMPLATES, labels.GOAL_TEMPLATES),
], ids=["roles", "audit actions", "job kinds", "stages", "channels", "activity types", "job failures",
        "goal categories", "goal statuses", "goal outcomes", "goal templates"])
def test_every_domain_code_has_a_label_and_no_label_is_stale(codes, labelled):
    assert set(codes) == set(labelled)


def test_an_unknown_audit_action_is_refused():
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(None, "no_such_action", audit.Actor())
