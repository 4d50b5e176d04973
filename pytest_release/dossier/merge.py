"""The runs of one release merged: latest run per phase, latest status per item, one verdict.

The release verdict (documented for readers in the dossier itself, see ``VERDICT_RULES``):

1. Each phase counts with its **latest** run (by start time); earlier runs of the same phase
   are superseded (a re-run after a fix) and stay visible in the timeline.
2. A ``rollback`` run means the release was rolled back: **ROLLBACK**, whatever it found.
3. Otherwise the most severe verdict among the phases' latest runs wins:
   ROLLBACK > NO-GO > INCONCLUSIVE > GO; the reasons of every phase not GO are listed.
4. A required phase (default: predeploy, smoke, postdeploy) with no run makes the release
   **INCONCLUSIVE** unless something worse already holds. A run without ``-m`` (phase
   ``all``) stands for every phase but rollback; ``-m "predeploy or smoke"`` for both.
5. Otherwise **GO**. Expired waivers, differing commits or checklists are warnings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from pytest_release.dossier.runs import (
    OK_STATUSES,
    PHASE_ORDER,
    DossierError,
    ItemState,
    Run,
)

DEFAULT_REQUIRED_PHASES = ("predeploy", "smoke", "postdeploy")
SEVERITY_OF_VERDICT = {"GO": 0, "INCONCLUSIVE": 1, "NO-GO": 2, "ROLLBACK": 3}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
VERDICT_RULES = (
    "Each phase counts with its latest run; earlier runs of a phase are superseded.",
    "A rollback run means the release was rolled back: ROLLBACK.",
    "Otherwise the most severe verdict of the phases' latest runs: "
    "ROLLBACK > NO-GO > INCONCLUSIVE > GO.",
    "A required phase with no run makes the release INCONCLUSIVE.",
    "Otherwise GO; expired waivers, differing commits or checklists are warnings.",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """A reason for (or a warning about) the release verdict."""

    rule: str
    detail: str
    phase: str | None = None
    checklist: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Judgement:
    """Where an item was judged: the run (index into Release.runs) and what it said."""

    run: int
    phase: str
    at: str
    status: str


@dataclass(frozen=True, slots=True)
class ItemSummary:
    """One checklist item across the release."""

    item: ItemState  # as the judging run (or, if none, the latest run) listed it
    status: str  # the latest judgement's status, or "not-run"
    judged: Judgement | None
    last_ok: Judgement | None
    by_phase: Mapping[str, str]  # phase -> status in that phase's latest run (judged only)


@dataclass(frozen=True, slots=True)
class Release:
    """The merged runs of one release."""

    version: str | None
    runs: tuple[Run, ...]  # chronological
    latest: Mapping[str, int]  # phase -> index of its latest run
    items: tuple[ItemSummary, ...]
    verdict: str
    reasons: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    required_phases: tuple[str, ...]

    @property
    def latest_runs(self) -> tuple[Run, ...]:
        """The runs that count, in schedule order."""
        return tuple(self.runs[i] for _, i in sorted(self.latest.items(), key=_phase_rank))


def check_one_release(runs: Sequence[Run]) -> None:
    """Refuse runs of different releases or against different targets."""
    versions = {r.release_version for r in runs}
    if len(versions) > 1:
        listing = "\n  ".join(f"{r.path}: release {r.release_version or '(none)'}" for r in runs)
        raise DossierError(
            "refusing to merge runs of different releases:\n  "
            f"{listing}\ngive the runs of one release only (each run records "
            "--release-version; a run without one cannot join a versioned release)"
        )
    targets: dict[str, Run] = {}
    for run in runs:
        key = target_key(run.target_url)
        if key is not None:
            targets.setdefault(key, run)
    if len(targets) > 1:
        listing = "\n  ".join(f"{r.path}: target {r.target_url}" for r in targets.values())
        raise DossierError(
            "refusing to merge runs against different targets:\n  "
            f"{listing}\na dossier covers one deployment; give the runs against one target"
        )


def target_key(url: str | None) -> str | None:
    """What makes two target URLs the same deployment.

    Scheme, host and port; on loopback the port is ignored, because the bundled reference
    deployment starts on a free port in every run.
    """
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in LOOPBACK_HOSTS:
        return f"{parts.scheme}://loopback"
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{host}:{parts.port or default}"


def covered_phases(phase: str) -> frozenset[str]:
    """The phases a run stands for: ``all`` (no -m) every phase but rollback, ``a+b`` both."""
    if phase == "all":
        return frozenset(PHASE_ORDER) - {"rollback"}
    return frozenset(phase.split("+"))


def merge(runs: Iterable[Run], required_phases: Sequence[str] = DEFAULT_REQUIRED_PHASES) -> Release:
    """Merge the runs of one release (call ``check_one_release`` first to refuse mixtures)."""
    ordered = tuple(sorted(runs, key=lambda r: r.order))
    if not ordered:
        raise DossierError("no runs to merge: give at least one results.json")
    latest: dict[str, int] = {}
    for index, run in enumerate(ordered):
        latest[run.phase] = index
    items = _items(ordered, latest)
    verdict, reasons = _verdict(ordered, latest, required_phases)
    return Release(
        version=ordered[0].release_version,
        runs=ordered,
        latest=latest,
        items=items,
        verdict=verdict,
        reasons=reasons,
        warnings=_warnings(ordered, latest),
        required_phases=tuple(required_phases),
    )


def _phase_rank(entry: tuple[str, int]) -> tuple[int, int]:
    phase = entry[0]
    rank = PHASE_ORDER.index(phase) if phase in PHASE_ORDER else len(PHASE_ORDER)
    return (rank, entry[1])


def _items(runs: Sequence[Run], latest: Mapping[str, int]) -> tuple[ItemSummary, ...]:
    order: dict[str, ItemState] = {}
    for run in reversed(runs):  # the newest checklist decides the order, older ids follow
        for item in run.items:
            order.setdefault(item.id, item)
    judged: dict[str, Judgement] = {}
    last_ok: dict[str, Judgement] = {}
    listed: dict[str, ItemState] = {}
    for index, run in enumerate(runs):
        for item in run.items:
            if not item.judged:
                continue
            judgement = Judgement(index, run.phase, run.finished, item.status)
            judged[item.id] = judgement
            listed[item.id] = item
            if item.status in OK_STATUSES:
                last_ok[item.id] = judgement
    by_phase: dict[str, dict[str, str]] = {}
    for phase, index in latest.items():
        for item in runs[index].items:
            if item.judged:
                by_phase.setdefault(item.id, {})[phase] = item.status
    return tuple(
        ItemSummary(
            item=listed.get(item_id, item),
            status=judged[item_id].status if item_id in judged else "not-run",
            judged=judged.get(item_id),
            last_ok=last_ok.get(item_id),
            by_phase=by_phase.get(item_id, {}),
        )
        for item_id, item in order.items()
    )


def _verdict(
    runs: Sequence[Run], latest: Mapping[str, int], required: Sequence[str]
) -> tuple[str, tuple[Finding, ...]]:
    if "rollback" in latest:
        run = runs[latest["rollback"]]
        return "ROLLBACK", (
            Finding(
                "release-rolled-back",
                f"the release was rolled back: the rollback re-verification of {run.started} "
                f"ended {run.verdict}",
                "rollback",
            ),
            *_reasons_of(runs, latest, {"ROLLBACK", "NO-GO", "INCONCLUSIVE"}),
        )
    worst = max((runs[i].verdict for i in latest.values()), key=SEVERITY_OF_VERDICT.__getitem__)
    reasons = list(_reasons_of(runs, latest, {"ROLLBACK", "NO-GO", "INCONCLUSIVE"}))
    covered = {c for phase in latest for c in covered_phases(phase)}
    missing = [p for p in required if p not in covered]
    if missing and SEVERITY_OF_VERDICT[worst] <= SEVERITY_OF_VERDICT["INCONCLUSIVE"]:
        worst = "INCONCLUSIVE"
        reasons.extend(
            Finding(
                "phase-not-run",
                f"no {phase} run for this release: run `pytest -m {phase} "
                "--release-version ...` and add its results.json",
                phase,
            )
            for phase in missing
        )
    return worst, tuple(reasons)


def _reasons_of(
    runs: Sequence[Run], latest: Mapping[str, int], verdicts: set[str]
) -> Iterable[Finding]:
    for phase, index in sorted(latest.items(), key=_phase_rank):
        run = runs[index]
        if run.verdict not in verdicts:
            continue
        if not run.reasons:
            yield Finding("phase-verdict", f"the {phase} run ended {run.verdict}", phase)
        for reason in run.reasons:
            yield Finding(
                str(reason.get("rule", "")),
                f"{phase}: {reason.get('detail', '')}",
                phase,
                tuple(str(c) for c in reason.get("checklist", ())),
            )


def _warnings(runs: Sequence[Run], latest: Mapping[str, int]) -> tuple[Finding, ...]:
    found: list[Finding] = []
    current = [runs[i] for i in sorted(latest.values())]
    for run in current:
        for waiver in run.waivers:
            if waiver.get("expired"):
                found.append(
                    Finding(
                        "waiver-expired",
                        f"the waiver of {waiver.get('checklist')} expired on "
                        f"{waiver.get('expires')}; it no longer counts",
                        run.phase,
                        (str(waiver.get("checklist")),),
                    )
                )
    for index, run in enumerate(runs):
        if latest.get(run.phase) != index and run.verdict != "GO":
            found.append(
                Finding(
                    "superseded-run",
                    f"an earlier {run.phase} run ({run.started}) ended {run.verdict}; a later "
                    "run of the phase replaces it",
                    run.phase,
                )
            )
    commits = sorted({r.commit for r in runs if r.commit})
    if len(commits) > 1:
        found.append(
            Finding(
                "commits-differ",
                f"the runs were made from different commits of the test code: {', '.join(commits)}",
            )
        )
    checklists = {frozenset(i.id for i in r.items) for r in runs}
    if len(checklists) > 1:
        found.append(
            Finding(
                "checklists-differ",
                "the runs used different checklists; items missing from a run show its gaps",
            )
        )
    return tuple({(f.rule, f.detail): f for f in found}.values())
