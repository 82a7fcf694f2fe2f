from __future__ import annotations

import pytest

from tests.support import factories


@pytest.fixture
def two_agencies():
    a = factories.agency("Alpha", "a@alpha.test")
    b = factories.agency("Beta", "b@beta.test")
    a1 = factories.org(a, "Alpha One")
    b1 = factories.org(b, "Beta One")
    return a, b, a1, b1
