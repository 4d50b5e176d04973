"""pytest-release: your deployment checklist, executable and signed."""

from __future__ import annotations

__version__ = "0.1.0"
