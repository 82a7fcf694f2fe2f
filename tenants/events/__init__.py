"""Events of an organisation: the events and their series, registrations with capacity and waitlist, check-in,
post-event surveys, and what each event did to its attendees' loyalty."""
