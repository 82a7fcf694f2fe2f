"""Segments: saved sets of an organisation's members, dynamic (a rule over the field registry, compiled to
one SQL query) or static (a list), with daily snapshots. See rules.py for the rule language."""
