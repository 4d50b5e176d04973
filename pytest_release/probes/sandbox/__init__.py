"""Sandbox isolation probes: small programs per language that each try one escape.

``run_sandbox_pack(PackPlan(base_url=...))`` returns a ``PackReport`` with one
``ProbeResult`` per probe and language (confined, escaped, inconclusive or skipped), each
with the runs behind it (code sent, answer, timing) as evidence.
"""

from __future__ import annotations

from pytest_release.probes.sandbox.model import PackReport, ProbeResult, RunRecord, Verdict
from pytest_release.probes.sandbox.pack import PackPlan, run_sandbox_pack

__all__ = ["PackPlan", "PackReport", "ProbeResult", "RunRecord", "Verdict", "run_sandbox_pack"]
