"""Fixtures for unit tests of services on the fake unit of work (see harness.py)."""

from __future__ import annotations

import pytest

from unit.services.harness import Harness, make_harness


@pytest.fixture
def harness() -> Harness:
    """An office with its default notices and a demo impact assessment, face module on."""
    return make_harness()
