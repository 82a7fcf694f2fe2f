import pytest

from tests.support import factories
from tests.support.http import login


@pytest.fixture
def org(client):
    """Agency Acme with the organisation Coffee, its owner logged in on `client`."""
    a = factories.agency("Acme", "o@acme.test")
    factories.org(a, "Coffee")
    login(client, "o@acme.test")
    return a
