"""The influence network: a page with the picture, and the graph it draws (JSON)."""
from __future__ import annotations

from flask import g, jsonify, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tenants.core.base import utcnow
from tenants.core.db import db
from tenants.leaders import leaders
from tenants.leaders import network as graph
from tenants.scoring import STAGES

from ..htmx import page
from ..labels import stage_label
from ..tenancy import org_view
from . import bp


def _leader_ids() -> set[int]:
    """The organisation's active opinion leaders, marked in the picture."""
    return leaders.member_ids(db, g.org.id)


@bp.route("/network")
@org_view(write=True)
def network():
    return page("leaders/network.html", "main", stages=[(code, stage_label(code)) for code in STAGES],
                top=graph.TOP)


@bp.route("/network.json")
@org_view(write=True)
def network_data():
    net = graph.network(db, g.org.id, utcnow(), _leader_ids())
    public = {n.id: n.public_id for n in net.nodes}
    nodes = [{"id": n.public_id, "label": n.label or "—", "stage": n.stage, "stage_label": stage_label(n.stage),
              "influence": round(n.influence, 1), "influence_raw": round(n.influence_raw, 2), "leader": n.leader,
              "url": url_for("members.show", agency_slug=g.agency.slug, org_slug=g.org.slug, member_id=n.public_id)}
             for n in net.nodes]
    edges = [{"source": public[e.source], "target": public[e.target], "weight": e.weight} for e in net.edges]
    summary = (ngettext("%(num)s member", "%(num)s members", len(nodes)) + " · "
               + ngettext("%(num)s connection", "%(num)s connections", len(edges)))
    return jsonify({"nodes": nodes, "edges": edges,
                    "text": {"summary": summary, "empty": _("No replies, reactions or mentions among members in "
                                                             "the last 90 days yet.")}})
