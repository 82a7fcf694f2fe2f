"""Client loyalty reports: frozen monthly (or custom) snapshots of an organisation's KPIs and story, their
workflow (draft → approved → published), versions and share links."""
