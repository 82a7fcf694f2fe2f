"""The `communa` command: Flask's CLI for the app plus Communa's own commands, one module per area."""
from __future__ import annotations

from flask.cli import FlaskGroup

from . import agency, imports, reports, scoring, system


def _create_app():
    # web/__init__.py imports this package (for register()), so web is imported here, when the CLI starts.
    from tenants.core.config import ConfigError
    from web import create_app
    try:
        return create_app()
    except ConfigError as exc:
        raise SystemExit(f"communa: not starting: {exc}") from None


cli = FlaskGroup(create_app=_create_app, help="Communa: community-management dashboard for agencies.")


def main() -> None:
    cli(prog_name="communa")


def register(app) -> None:
    for command in (system.db_group, system.seed_demo, system.worker, system.scheduler, agency.create_agency,
                    agency.create_org, agency.api_key_group, imports.import_group, scoring.metrics_group,
                    reports.report_group):
        app.cli.add_command(command)
