"""Event jobs: the follow-up of an organisation's ended events (survey mails to attendees, host and speaker
activities), requested hourly by the scheduler."""
from __future__ import annotations

import logging

from tenants.agency import jobs
from tenants.core.db import job_session
from tenants.events import survey

from ..registry import job
from ..runner import JobContext

log = logging.getLogger("communa.workers")


@job(jobs.EVENT_SURVEY)
def event_survey(ctx: JobContext) -> dict:
    """Each event in its own transaction, its row locked: a run killed halfway leaves the events it finished
    done and the rest to the next run; nothing is sent twice."""
    with job_session() as s:
        ids = survey.due_events(s, ctx.org_id)
    events, mailed, content = 0, 0, 0
    for n, event_id in enumerate(ids, 1):
        with job_session() as s:
            done = survey.follow_up(s, event_id)
        if done is not None:
            events, mailed, content = events + 1, mailed + done["mailed"], content + done["content"]
        ctx.progress(int(100 * n / len(ids)))
    log.info("job %s: %s events followed up, %s survey mails", ctx.run_id, events, mailed)
    return {"events": events, "mailed": mailed, "content": content}
