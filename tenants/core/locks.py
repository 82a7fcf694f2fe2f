"""Keys of the PostgreSQL advisory locks, one list so no two kinds of work share a key. Each is taken with the
organisation's id as the second key (`pg_advisory_xact_lock(KEY, org_id)`) and held until the transaction ends."""
SCORING = 7301          # one scoring run per organisation at a time
MEMBER_CREATION = 7302  # one ingest batch at a time creates an organisation's new members
JOB_REQUEST = 7303      # two requests for the same job kind: the second finds the first's run
