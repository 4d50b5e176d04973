"""Unauthorized access: protected paths must refuse, however the request is dressed up.

For every protected path the probe sends, without valid credentials:

* the plain request, a request with wrong Basic credentials and one with a made-up
  Bearer token (each must get 401/403, or a redirect to a login page);
* path variants that front ends and applications disagree about: case changes, a
  trailing slash or dot, ``;``, ``..;/``, double slashes, ``/./``, ``/x/..``, ``%2e``,
  ``%2f``, a percent-encoded first letter, encoded whitespace;
* header tricks: ``X-Original-URL``/``X-Rewrite-URL`` on ``/``, client-IP headers
  claiming 127.0.0.1, method-override headers, and HEAD instead of GET.

A variant counts as *granted* when it answers 2xx with content that is neither the
catch-all answer for a random path nor the home page (HEAD and method overrides: 2xx
while a random path does not). The variant list follows the OWASP WSTG-ATHZ-02 test
("Testing for Bypassing Authorization Schema") and the well-known 403-bypass lists.
Only GET and HEAD are sent; nothing is changed on the target.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pytest_release.probes.rawhttp import RawAnswer, RawClient

_SPOOF_IP = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    # Compare with "/" instead of the path (X-Original-URL and friends are sent to "/").
    against_root: bool = False
    # Judge on status alone (HEAD has no body; overrides may turn GET into HEAD).
    status_only: bool = False


@dataclass(frozen=True, slots=True)
class Attempt:
    variant: str
    request: str
    status: int | None
    granted: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PathReport:
    """What one protected path did with every variant."""

    path: str
    attempts: tuple[Attempt, ...]

    @property
    def plain(self) -> Attempt:
        return self.attempts[0]

    @property
    def exists(self) -> bool:
        """False when the plain request answered 404 (nothing there to protect)."""
        return self.plain.status != 404

    def granted(self) -> list[Attempt]:
        return [a for a in self.attempts if a.granted]


@dataclass(frozen=True, slots=True)
class AccessReport:
    paths: tuple[PathReport, ...]
    catch_all: bool

    @property
    def passed(self) -> bool:
        return not any(p.granted() for p in self.paths)

    @property
    def answered(self) -> int:
        return sum(a.status is not None for p in self.paths for a in p.attempts)

    def problems(self) -> list[str]:
        """One line per protected path that let a request through, saying how to fix it."""
        lines = []
        for report in self.paths:
            granted = report.granted()
            if not granted:
                continue
            if granted[0] is report.plain:
                lines.append(
                    f"{report.path} answers {report.plain.status} without credentials: put it "
                    "behind authentication (401/403 for anyone not logged in)"
                )
                continue
            tricks = "; ".join(f"{a.variant} ({a.request} -> {a.status})" for a in granted)
            lines.append(
                f"{report.path} refuses the plain request but lets these through: {tricks}. "
                "Enforce the check in the application on the normalised path (not only in the "
                "proxy), ignore X-Original-URL/X-Rewrite-URL and client-IP headers from "
                "untrusted clients, and protect every method including HEAD"
            )
        return lines

    def evidence(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "catch_all_answers_200": self.catch_all,
            "paths": {
                p.path: [
                    {
                        "variant": a.variant,
                        "request": a.request,
                        "status": a.status,
                        "granted": a.granted,
                        "error": a.error,
                    }
                    for a in p.attempts
                ]
                for p in self.paths
            },
        }


def _encode_first(path: str) -> str:
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment:
            segments[i] = f"%{ord(segment[0]):02x}" + segment[1:]
            break
    return "/".join(segments)


def _capitalised(path: str) -> str:
    head, _, last = path.rstrip("/").rpartition("/")
    return f"{head}/{last[:1].upper()}{last[1:]}"


def variants(path: str) -> list[Variant]:
    """Every request the probe sends for one protected path; the plain GET comes first."""
    stem = path.rstrip("/") or "/"
    wrong_basic = base64.b64encode(f"admin:wrong-{secrets.token_hex(8)}".encode()).decode()
    bearer = secrets.token_urlsafe(24)
    spoof = tuple(
        (name, _SPOOF_IP)
        for name in (
            "X-Forwarded-For",
            "X-Real-IP",
            "X-Client-IP",
            "X-Originating-IP",
            "X-Custom-IP-Authorization",
            "True-Client-IP",
        )
    )
    override = tuple(
        (name, "HEAD") for name in ("X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override")
    )
    found = [
        Variant("no credentials", "GET", path),
        Variant(
            "wrong Basic credentials", "GET", path, (("Authorization", f"Basic {wrong_basic}"),)
        ),
        Variant("made-up Bearer token", "GET", path, (("Authorization", f"Bearer {bearer}"),)),
        Variant("HEAD instead of GET", "HEAD", path, status_only=True),
        Variant("method-override headers", "GET", path, override, status_only=True),
        Variant("client-IP headers claiming 127.0.0.1", "GET", path, spoof),
        Variant("upper case", "GET", stem.upper()),
        Variant("capitalised", "GET", _capitalised(stem)),
        Variant("trailing slash", "GET", stem + "/"),
        Variant("trailing dot", "GET", stem + "."),
        Variant("trailing /.", "GET", stem + "/."),
        Variant("trailing ;", "GET", stem + ";"),
        Variant("trailing ..;/", "GET", stem + "..;/"),
        Variant("encoded space", "GET", stem + "%20"),
        Variant("encoded tab", "GET", stem + "%09"),
        Variant("double slash", "GET", "/" + stem),
        Variant("dot segment", "GET", "/." + stem),
        Variant("parent segment", "GET", "/pytest-release/.." + stem),
        Variant("encoded dot segment", "GET", "/%2e" + stem),
        Variant("encoded slash", "GET", "/%2f" + stem.lstrip("/")),
        Variant("percent-encoded letter", "GET", _encode_first(stem)),
        Variant("X-Original-URL", "GET", "/", (("X-Original-URL", path),), against_root=True),
        Variant("X-Rewrite-URL", "GET", "/", (("X-Rewrite-URL", path),), against_root=True),
    ]
    unique: dict[tuple[str, str, tuple[tuple[str, str], ...]], Variant] = {}
    for variant in found:
        unique.setdefault((variant.method, variant.path, variant.headers), variant)
    return list(unique.values())


def _same_content(answer: RawAnswer, other: RawAnswer | None) -> bool:
    if other is None or not other.ok:
        return False
    if answer.body == other.body:
        return True
    longer = max(len(answer.body), len(other.body)) or 1
    return abs(len(answer.body) - len(other.body)) / longer < 0.02


def _granted(
    variant: Variant,
    answer: RawAnswer,
    catch_all: RawAnswer,
    catch_all_head: RawAnswer,
    root: RawAnswer,
) -> bool:
    if not answer.ok:
        return False
    if variant.status_only:
        return not catch_all_head.ok
    if not answer.body.strip():
        return False
    if variant.against_root:
        return not _same_content(answer, root)
    return not (_same_content(answer, catch_all) or _same_content(answer, root))


def probe_access(client: RawClient, protected_paths: Iterable[str]) -> AccessReport:
    """Try every variant on every protected path (see the module docstring)."""
    random_path = f"/pytest-release-{secrets.token_hex(6)}"
    catch_all = client.request("GET", random_path)
    catch_all_head = client.request("HEAD", random_path)
    root = client.request("GET", "/")
    reports = []
    for path in dict.fromkeys(protected_paths):
        attempts = []
        for variant in variants(path):
            answer = client.request(variant.method, variant.path, dict(variant.headers))
            headers = "".join(f" [{k}: {v}]" for k, v in variant.headers if k != "Authorization")
            attempts.append(
                Attempt(
                    variant.name,
                    f"{variant.method} {variant.path}{headers}",
                    answer.status,
                    _granted(variant, answer, catch_all, catch_all_head, root),
                    answer.error,
                )
            )
        reports.append(PathReport(path, tuple(attempts)))
    return AccessReport(tuple(reports), catch_all.ok)
