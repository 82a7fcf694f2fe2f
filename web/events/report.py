"""An event's report: counts, first-timers, returned within 90 days, the survey, stages before the event, the
effect on loyalty and the turnout forecast. Clients read it for their organisation; another's event is 404."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, g, url_for
from flask_babel import gettext as _

from tenants import scoring
from tenants.core.db import db
from tenants.events import effect, events, forecast
from tenants.events import report as event_report
from tenants.events.effect import MIN_GROUP

from ..htmx import page
from ..labels import stage_label
from ..tenancy import org_view
from . import bp


@bp.route("/<event_id>/report")
@org_view()
def report(event_id: str):
    event = events.by_public_id(db, g.org.id, event_id)
    if event is None:
        abort(404)
    found = event_report.of_event(db, event)
    horizons = effect.of_event(db, event) if found.ended else []
    stages = [*scoring.STAGES, "new"]
    return page("events/report.html", "content", event=event, report=found, horizons=horizons,
                forecast=forecast.of_event(db, event), min_group=MIN_GROUP,
                local_start=event.starts_at.astimezone(ZoneInfo(event.timezone)),
                back=_event_page(event.public_id),
                stage_names=[stage_label(s) if s != "new" else _("new at this event") for s in stages],
                stage_counts=[found.stages.get(s, 0) for s in stages])


def _event_page(public_id: str) -> str:
    return url_for("events.show", agency_slug=g.agency.slug, org_slug=g.org.slug, event_id=public_id)
