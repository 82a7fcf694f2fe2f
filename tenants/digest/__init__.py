"""The email digest: an organisation's figures mailed to its client users and extra addresses, monthly with
the published report and optionally weekly; pause, unsubscribe and a delivery log."""
