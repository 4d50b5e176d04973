"""Review evidence in git history: every change since the last release tag was reviewed.

A commit counts as reviewed when it came in through a merge whose message matches the
configured patterns (a merged pull/merge request), or when it carries a review trailer
(``Reviewed-by:``, ``Approved-by:``). What git cannot show (squash merges without trailers,
reviews in a tool) needs an attestation; the suite says so instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_release.config_table import Table
from pytest_release.settings import ConfigError

DEFAULT_MERGE_PATTERNS = (
    r"^Merge pull request #\d+",  # GitHub
    r"(?m)^See merge request \S+!\d+",  # GitLab
    r"^Merged PR \d+",  # Azure DevOps
)
DEFAULT_TRAILERS = ("Reviewed-by", "Approved-by")
_SEP, _END = "\x1f", "\x1e"


@dataclass(frozen=True, slots=True)
class ReviewConfig:
    """``[tool.pytest_release.predeploy.review]``."""

    repository: Path
    tag_pattern: str = "v*"
    evidence: tuple[str, ...] = ("merge", "trailer")
    trailers: tuple[str, ...] = DEFAULT_TRAILERS
    merge_patterns: tuple[str, ...] = DEFAULT_MERGE_PATTERNS
    max_commits: int = 1000
    on_missing: str = "attest"  # or "fail": unreviewed commits fail the item


def review_config(table: Table) -> ReviewConfig:
    evidence = table.texts("evidence", ("merge", "trailer"))
    for kind in evidence:
        if kind not in ("merge", "trailer"):
            raise ConfigError(f"{table.name} evidence: {kind!r} is not 'merge' or 'trailer'")
    patterns = table.texts("merge_patterns", DEFAULT_MERGE_PATTERNS)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"{table.name} merge_patterns: {pattern!r} is no regex: {exc}"
            ) from None
    return ReviewConfig(
        repository=table.path("repository") or table.rootpath,
        tag_pattern=table.text("tag_pattern", "v*"),
        evidence=evidence,
        trailers=table.texts("trailers", DEFAULT_TRAILERS),
        merge_patterns=patterns,
        max_commits=table.integer("max_commits", 1000, minimum=1),
        on_missing=table.choice("on_missing", "attest", ("attest", "fail")),
    )


class GitError(RuntimeError):
    """git could not answer (not a repository, git missing, ...)."""


def git(repository: Path, *args: str) -> str:
    """Run one git command and return its output; raise GitError with git's own message."""
    try:
        done = subprocess.run(  # nosec B603 B607 - fixed git arguments, no shell
            ["git", "-C", str(repository), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} took longer than 60 s") from exc
    if done.returncode != 0:
        raise GitError(done.stderr.strip() or f"git {args[0]} exited {done.returncode}")
    return done.stdout


def commit_time(repository: Path, revision: str = "HEAD") -> dt.datetime | None:
    """The committer time of a revision, or None outside a git checkout."""
    try:
        return dt.datetime.fromisoformat(
            git(repository, "log", "-1", "--format=%cI", revision).strip()
        )
    except (GitError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    author: str
    subject: str
    evidence: str | None  # how it was reviewed, None when git shows nothing


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """The commits since the last release tag and which of them show a review."""

    since: str | None  # the tag, None when there is none (whole history)
    head: str
    commits: tuple[Commit, ...]
    truncated: bool = False

    @property
    def unreviewed(self) -> tuple[Commit, ...]:
        return tuple(c for c in self.commits if c.evidence is None)

    def evidence(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "head": self.head,
            "commits": len(self.commits),
            "reviewed": len(self.commits) - len(self.unreviewed),
            "truncated": self.truncated,
            "unreviewed": [f"{c.sha[:12]} {c.author}: {c.subject}" for c in self.unreviewed[:50]],
            "reviewed_by": {c.sha[:12]: c.evidence for c in self.commits if c.evidence},
        }


def _log(
    repository: Path, revisions: Sequence[str], max_commits: int
) -> list[tuple[str, str, str, list[str], str]]:
    fmt = _SEP.join(("%H", "%an", "%s", "%P", "%B")) + _END
    out = git(repository, "log", f"--max-count={max_commits}", f"--format={fmt}", *revisions, "--")
    entries = []
    for record in out.split(_END):
        parts = record.strip("\n").split(_SEP)
        if len(parts) == 5:
            sha, author, subject, parents, body = parts
            entries.append((sha, author, subject, parents.split(), body))
    return entries


def last_tag(repository: Path, pattern: str) -> str | None:
    """The newest tag reachable from HEAD that matches the pattern, or None."""
    try:
        return (
            git(
                repository, "describe", "--tags", "--abbrev=0", f"--match={pattern}", "HEAD"
            ).strip()
            or None
        )
    except GitError as exc:
        if (
            "No names found" in str(exc)
            or "No tags can describe" in str(exc)
            or "cannot describe" in str(exc)
        ):
            return None
        raise


def check_review(config: ReviewConfig) -> ReviewResult:
    """Classify every non-merge commit since the last release tag."""
    head = git(config.repository, "rev-parse", "HEAD").strip()
    tag = last_tag(config.repository, config.tag_pattern)
    revisions = [f"{tag}..HEAD"] if tag else ["HEAD"]
    entries = _log(config.repository, revisions, config.max_commits)
    merge_res = [re.compile(p) for p in config.merge_patterns]
    trailer_re = (
        re.compile(r"(?mi)^(" + "|".join(re.escape(t) for t in config.trailers) + r"):\s*(\S.*)$")
        if config.trailers
        else None
    )
    via_merge: dict[str, str] = {}
    if "merge" in config.evidence:
        for sha, _author, subject, parents, body in entries:
            message = f"{subject}\n{body}"
            if len(parents) > 1 and any(r.search(message) for r in merge_res):
                merged = git(config.repository, "rev-list", "--no-merges", f"{parents[0]}..{sha}")
                for commit in merged.split():
                    via_merge.setdefault(commit, f"merged by {sha[:12]} ({subject[:80]})")
    commits: list[Commit] = []
    for sha, author, subject, parents, body in entries:
        if len(parents) > 1:
            continue  # merges carry no change of their own to review
        evidence = via_merge.get(sha)
        if evidence is None and trailer_re is not None and "trailer" in config.evidence:
            match = trailer_re.search(body)
            if match:
                evidence = f"{match.group(1)}: {match.group(2).strip()}"
        commits.append(Commit(sha, author, subject, evidence))
    return ReviewResult(tag, head, tuple(commits), truncated=len(entries) >= config.max_commits)
