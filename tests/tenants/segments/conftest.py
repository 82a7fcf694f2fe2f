"""The rule engine's hand-made organisation (tests/support/segments.py): members with known answers."""
from __future__ import annotations

import pytest

from tests.support.segments import NOW, World, build_world

__all__ = ["NOW", "World", "world"]


@pytest.fixture
def world() -> World:
    return build_world()
