"""The report pages' world (tests/support/reports.py)."""
from __future__ import annotations

import pytest

from tests.support import reports


@pytest.fixture
def world():
    return reports.world()
