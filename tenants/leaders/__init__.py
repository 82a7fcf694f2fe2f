"""Opinion leaders: the members an organisation works with deliberately, their status pipeline and history,
touchpoints and their impact, suggested candidates and quiet-leader alerts."""
