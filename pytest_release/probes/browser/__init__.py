"""Browser checks of the interactive examples (Playwright, sync API; no pytest here)."""
