"""Root conftest: the checklist suites live in suites/, the plugin's own tests in tests/.

`pytest -m <phase>` from the repository root runs the suites (testpaths); `make test`
runs tests/ with the release plugin switched off for the outer session.
"""

from __future__ import annotations

collect_ignore = ["reports", "benchmarks", "scripts"]
