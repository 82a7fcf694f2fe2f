"""The domain: models, tenant context and scoping, services. Imports nothing from web/ or workers/."""
