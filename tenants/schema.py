"""Every context's models in one metadata: Alembic, the mapper registry and the test truncation read it."""
from tenants.accounts import models as accounts_models
from tenants.agency import models as agency_models
from tenants.community import models as community_models
from tenants.core import models as core_models
from tenants.core.base import Base
from tenants.digest import models as digest_models
from tenants.events import models as events_models
from tenants.goals import models as goals_models
from tenants.leaders import models as leaders_models
from tenants.metrics import models as metrics_models
from tenants.reports import models as reports_models
from tenants.scoring import models as scoring_models
from tenants.segments import models as segments_models

MODULES = (core_models, accounts_models, agency_models, community_models, scoring_models, metrics_models,
           segments_models, leaders_models, events_models, digest_models, goals_models, reports_models)
metadata = Base.metadata
