"""Typed stash keys: all plugin state lives in config.stash, never on ad-hoc attributes."""

from __future__ import annotations

import pytest

from pytest_release.checklist.model import Checklist
from pytest_release.settings import Settings
from pytest_release.target import Target

SETTINGS_KEY = pytest.StashKey[Settings]()
CHECKLIST_KEY = pytest.StashKey[Checklist]()
TARGET_KEY = pytest.StashKey[Target]()
