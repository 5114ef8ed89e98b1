"""Shared test fixtures. Keep additions small; boot fixtures live beside their tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from isofactory import make_iso


@pytest.fixture
def tiny_iso(tmp_path: Path) -> Path:
    """A small live ISO in the current livecd-creator layout."""
    return make_iso(tmp_path / "Fedora-Tiny-Live.iso")
