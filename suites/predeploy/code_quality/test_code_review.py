"""Code has been reviewed: every commit since the last release tag shows a review in git.

Review evidence: a merge of a pull/merge request (``merge_patterns``) or a review trailer
(``Reviewed-by:``, ``Approved-by:``). When git cannot show it, an attestation in the
attestations file decides (the item becomes "manual"); without one the item is
INCONCLUSIVE, or fails with ``on_missing = "fail"``.
"""

from __future__ import annotations

import pytest

from pytest_release.evidence import EvidenceRecorder
from pytest_release.outcomes import inconclusive
from pytest_release.predeploy_settings import area_config, attestation_for
from pytest_release.probes.git_review import GitError, check_review, review_config

ITEM = "pre.code-quality.code-reviewed"


@pytest.mark.checklist(ITEM)
def test_code_reviewed(request: pytest.FixtureRequest, evidence: EvidenceRecorder) -> None:
    config = area_config(request.config, "review", review_config)
    try:
        result = check_review(config)
    except GitError as exc:
        inconclusive(f"cannot read git history in {config.repository}: {exc}")
    evidence.attach("review", result.evidence(), "json")
    since = (
        f"since {result.since}"
        if result.since
        else f"in the whole history (no tag matches {config.tag_pattern!r})"
    )
    missing = result.unreviewed
    if not result.commits:
        inconclusive(f"no commits {since}: nothing to review, or the tag is on HEAD")
    if not missing:
        return
    sample = "; ".join(f"{c.sha[:10]} {c.subject[:60]}" for c in missing[:3])
    what = (
        f"{len(missing)} of {len(result.commits)} commits {since} show no review "
        f"(no merged pull request, no {'/'.join(config.trailers)} trailer), e.g. {sample}"
    )
    if config.on_missing == "fail":
        pytest.fail(f"{what}: get them reviewed before deploying", pytrace=False)
    attested = attestation_for(request.config, ITEM)
    if attested is not None:
        pytest.skip(f"{what}; the review is attested by {attested.by} at {attested.at}")
    inconclusive(
        f"{what}: if they were reviewed elsewhere, attest it ([[attestation]] item = {ITEM!r} "
        "in the --attestations file); otherwise review them before deploying"
    )
