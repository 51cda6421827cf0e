"""Shared fixtures: every test gets its own data folder; Qt runs offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("JEWELERDESK_DATA_DIR", None)

from jewelerdesk.paths import DataPaths  # noqa: E402
from jewelerdesk.services.shop import Shop  # noqa: E402

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_paths(tmp_path: Path) -> DataPaths:
    return DataPaths(tmp_path / "shop")


@pytest.fixture
def shop(data_paths: DataPaths):
    """An empty, migrated shop (no identity yet)."""
    s = Shop.open(data_paths)
    yield s
    s.close()


@pytest.fixture
def demo_shop(data_paths: DataPaths):
    """The default 30-piece demo shop."""
    from jewelerdesk.services.demo import build_demo

    s = Shop.open(data_paths)
    build_demo(s)
    yield s
    s.close()
