"""Performance probes: budgets, page load, latency, load (Locust), resources, leaks, CPU.

Pure functions and small value objects; the suites in ``suites/postdeploy/performance``
and ``suites/deploy`` call them and judge the results against the configured budgets.
"""
