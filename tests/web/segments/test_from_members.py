"""The members list's filter saved as a segment: the link opens the builder with the same rule, whose count is
the list's; and a leader's status is a field of the rule."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

from tenants.community.models import Member
from tenants.core.audit import Actor
from tenants.core.context import tenant_scope
from tenants.core.db import job_session
from tenants.leaders import leaders
from tenants.segments import service
from tests.support.http import login


def test_members_filter_opens_the_builder_with_its_rule(client, world):
    login(client, "o@acme.test")
    page = client.get("/acme/coffee/members/?channel=vk&stage=loyal").get_data(as_text=True)
    href = html.unescape(re.search(r'href="([^"]+)" data-testid="save-as-segment"|data-testid="save-as-segment" '
                                   r'href="([^"]+)"', page).group(2))
    rules = parse_qs(urlparse(href).query)["rules"][0]
    assert client.get(href).status_code == 200
    import json
    tree = json.loads(rules)
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        assert world.names(service.member_ids(s, service.rule_statement(s, world.org.id, tree))) == {"bob"}
    count = client.get("/acme/coffee/members/count?channel=vk&stage=loyal", headers={"HX-Request": "true"}).text
    assert "1 member" in count


def test_leader_status_is_a_rule_field(world):
    with tenant_scope(world.agency.id, world.org.id), job_session() as s:
        leaders.add(s, s.get(Member, world.ids["ann"]), "active", Actor(email="t"))
        leaders.add(s, s.get(Member, world.ids["cat"]), "invited", Actor(email="t"))
        s.commit()
        def names(rule):
            return world.names(service.member_ids(s, service.rule_statement(s, world.org.id, rule)))
        assert names({"field": "leader", "op": "eq", "value": "active"}) == {"ann"}
        assert names({"field": "leader", "op": "in", "value": ["active", "invited"]}) == {"ann", "cat"}
        assert names({"field": "leader", "op": "ne", "value": "active"}) == {"bob", "cat", "dan", "eve"}
