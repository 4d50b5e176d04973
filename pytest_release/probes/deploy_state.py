"""What the live deployment says about itself after the deploy steps.

Each function answers one "Deployment" checklist line: the version that is live, the
migrations, when the services started, the frontend assets, the dependencies against the
lock file, the configuration file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from pytest_release.probes.findings import CheckResult, Finding, FindingStatus

OK, PROBLEM, UNCHECKED = FindingStatus.OK, FindingStatus.PROBLEM, FindingStatus.NOT_CHECKED
_ASSET = re.compile(r"<(script|link)\b([^>]*)>", re.I)
_ATTR = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')


def _subject(client: httpx.Client) -> str:
    return str(client.base_url).rstrip("/")


def read_json(client: httpx.Client, path: str) -> dict[str, Any] | str:
    """The JSON object at ``path`` (any status), or a one-line reason why there is none."""
    try:
        response = client.get(path)
        data = response.json()
    except httpx.HTTPError as exc:
        return f"{path} did not answer ({type(exc).__name__})"
    except ValueError:
        return f"{path} answered {response.status_code} without JSON"
    return data if isinstance(data, dict) else f"{path} answered JSON that is not an object"


def check_version(client: httpx.Client, expected: str | None, what: str = "release") -> CheckResult:
    """/version reports ``expected``."""
    data = read_json(client, "/version")
    if isinstance(data, str):
        finding = Finding("/version", PROBLEM, f"{data}: publish the live version at /version")
    elif expected is None:
        finding = Finding(
            "/version",
            UNCHECKED,
            f"live version {data.get('version')!r}, but no release to compare with: "
            "pass --release-version V",
        )
    elif str(data.get("version")) != expected:
        finding = Finding(
            "/version",
            PROBLEM,
            f"live version is {data.get('version')!r} (commit {data.get('commit')!r}), "
            f"not the {what} {expected!r}: the deployment did not replace the running code",
        )
    else:
        finding = Finding("/version", OK, f"{expected} (commit {data.get('commit')})")
    return CheckResult(f"{what} version live", _subject(client), (finding,))


def check_migrations_health(client: httpx.Client) -> CheckResult:
    """The migration state the application reports in /healthz (checks.migrations)."""
    data = read_json(client, "/healthz")
    if isinstance(data, str):
        finding = Finding("migrations", UNCHECKED, data)
    else:
        check = (data.get("checks") or {}).get("migrations")
        if not isinstance(check, dict):
            finding = Finding(
                "migrations",
                UNCHECKED,
                "/healthz reports no migration state: configure database_url and "
                "migrations_dir, or migrations_command",
            )
        elif check.get("ok"):
            finding = Finding("migrations", OK, f"at head {check.get('head')}")
        else:
            finding = Finding(
                "migrations",
                PROBLEM,
                f"database at {check.get('current')}, scripts at head {check.get('head')}: "
                "run the migrations (`alembic upgrade head`) before going live",
            )
    return CheckResult("migrations at head", _subject(client), (finding,))


def check_migrations_alembic(database_url: str, migrations_dir: Path) -> CheckResult:
    """The database's Alembic revision against the scripts' head(s)."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    heads = set(ScriptDirectory.from_config(config).get_heads())
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    if current == heads:
        finding = Finding("alembic", OK, f"database at head {sorted(heads)}")
    else:
        finding = Finding(
            "alembic",
            PROBLEM,
            f"database at {sorted(current) or 'no revision'}, scripts at head {sorted(heads)}: "
            "run `alembic upgrade head`",
        )
    return CheckResult("migrations at head", database_url.split("://")[0], (finding,))


def check_command(command: Sequence[str], what: str, timeout: float = 120.0) -> CheckResult:
    """A configured command exits 0 (its output is the evidence)."""
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        finding = Finding(" ".join(command), PROBLEM, f"could not run it: {exc}")
    else:
        tail = (done.stdout + done.stderr).strip()[-400:]
        status = OK if done.returncode == 0 else PROBLEM
        finding = Finding(" ".join(command), status, f"exit {done.returncode}: {tail}")
    return CheckResult(what, command[0] if command else "command", (finding,))


def check_restarted(client: httpx.Client, deploy_started: datetime | None) -> CheckResult:
    """The service started after the deployment began (/healthz uptime_s or started)."""
    data = read_json(client, "/healthz")
    if isinstance(data, str):
        return CheckResult(
            "services restarted", _subject(client), (Finding("/healthz", UNCHECKED, data),)
        )
    uptime = data.get("uptime_s")
    if not isinstance(uptime, int | float):
        finding = Finding("uptime", UNCHECKED, "/healthz reports no uptime_s: cannot tell")
    else:
        started = datetime.now(UTC) - timedelta(seconds=float(uptime))
        if deploy_started is None:
            finding = Finding(
                "uptime",
                UNCHECKED,
                f"service up since {started:%Y-%m-%d %H:%M:%S} UTC, but the deployment start is "
                "unknown: set [tool.pytest_release.deploy] started_at or "
                "PYTEST_RELEASE_DEPLOY_STARTED",
            )
        elif started + timedelta(seconds=2) < deploy_started:
            finding = Finding(
                "uptime",
                PROBLEM,
                f"service up since {started:%Y-%m-%d %H:%M:%S} UTC, before the deployment "
                f"started ({deploy_started:%Y-%m-%d %H:%M:%S %Z}): it still runs the old code; "
                "restart it",
            )
        else:
            finding = Finding(
                "uptime", OK, f"restarted at {started:%H:%M:%S} UTC, after the deploy began"
            )
    return CheckResult("services restarted", _subject(client), (finding,))


def referenced_assets(html: str, base: str) -> list[tuple[str, str | None]]:
    """Same-origin script/stylesheet URLs of a page, with their integrity attribute if any."""
    assets: list[tuple[str, str | None]] = []
    origin = urlsplit(base).netloc
    for tag, attrs_text in _ASSET.findall(html):
        attrs = dict(_ATTR.findall(attrs_text))
        if tag.lower() == "link" and "stylesheet" not in attrs.get("rel", ""):
            continue
        ref = attrs.get("src") if tag.lower() == "script" else attrs.get("href")
        if not ref:
            continue
        url = urljoin(base, ref)
        if urlsplit(url).netloc == origin:
            assets.append((url, attrs.get("integrity")))
    return assets


def _sri_ok(body: bytes, integrity: str) -> bool:
    for token in integrity.split():
        algo, _, value = token.partition("-")
        if algo in ("sha256", "sha384", "sha512"):
            digest = base64.b64encode(hashlib.new(algo, body).digest()).decode()
            if digest == value:
                return True
    return False


def check_assets(
    client: httpx.Client, pages: Sequence[str], manifest: Mapping[str, str] | None = None
) -> CheckResult:
    """Every asset the pages reference answers 200 and matches its integrity/manifest hash."""
    findings: list[Finding] = []
    seen: set[str] = set()
    for page in pages:
        try:
            response = client.get(page)
        except httpx.HTTPError as exc:
            findings.append(Finding(page, UNCHECKED, f"did not answer ({type(exc).__name__})"))
            continue
        for url, integrity in referenced_assets(response.text, str(response.url)):
            if url in seen:
                continue
            seen.add(url)
            path = urlsplit(url).path
            try:
                asset = client.get(url)
            except httpx.HTTPError as exc:
                findings.append(Finding(path, PROBLEM, f"did not answer ({type(exc).__name__})"))
                continue
            if asset.status_code != 200 or not asset.content:
                findings.append(
                    Finding(
                        path,
                        PROBLEM,
                        f"referenced by {page} but answers {asset.status_code} "
                        f"({len(asset.content)} bytes): the frontend build is incomplete",
                    )
                )
            elif integrity and not _sri_ok(asset.content, integrity):
                findings.append(
                    Finding(
                        path, PROBLEM, "content does not match its integrity attribute: rebuild"
                    )
                )
            elif (
                manifest
                and path in manifest
                and (hashlib.sha256(asset.content).hexdigest() != manifest[path])
            ):
                findings.append(
                    Finding(path, PROBLEM, "content differs from the asset manifest's sha256")
                )
            else:
                findings.append(Finding(path, OK, f"200, {len(asset.content)} bytes"))
    if not seen:
        findings.append(
            Finding("assets", UNCHECKED, f"no same-origin scripts or stylesheets on {list(pages)}")
        )
    return CheckResult("frontend assets", _subject(client), tuple(findings))


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    """Pinned versions from a lock file: uv.lock / poetry.lock (TOML) or requirements (==)."""
    text = path.read_text(encoding="utf-8")
    pins: dict[str, str] = {}
    try:
        data = tomllib.loads(text) if path.suffix == ".lock" else {}
    except tomllib.TOMLDecodeError:
        data = {}  # a requirements-style file that happens to be called *.lock
    if data:
        for package in data.get("package", []):
            if "name" in package and "version" in package:
                pins[_normalize(package["name"])] = str(package["version"])
        return pins
    for line in text.splitlines():
        match = re.match(r"^\s*([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#\\]+)", line)
        if match:
            pins[_normalize(match.group(1))] = match.group(2)
    return pins


def installed_versions(python: str | None = None) -> dict[str, str]:
    """Distribution versions in the deployment's Python environment."""
    script = (
        "import json, importlib.metadata as m; "
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    done = subprocess.run(
        [python or sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    raw: dict[str, str] = json.loads(done.stdout)
    return {_normalize(k): v for k, v in raw.items() if k}


def check_dependencies(
    lock: Mapping[str, str], installed: Mapping[str, str], lock_name: str
) -> CheckResult:
    """Every pinned package is installed at the pinned version."""
    findings: list[Finding] = []
    for name, version in sorted(lock.items()):
        have = installed.get(name)
        if have is None:
            findings.append(
                Finding(name, PROBLEM, f"pinned {version} in {lock_name} but not installed")
            )
        elif have != version:
            findings.append(
                Finding(
                    name,
                    PROBLEM,
                    f"installed {have}, {lock_name} pins {version}: reinstall from the lock file",
                )
            )
    if not lock:
        findings.append(Finding(lock_name, UNCHECKED, "no pinned versions found in the lock file"))
    elif not findings:
        findings.append(Finding(lock_name, OK, f"{len(lock)} pinned packages installed as locked"))
    return CheckResult("dependencies match the lock file", lock_name, tuple(findings))


def read_config(path: Path) -> dict[str, Any]:
    """Keys of a TOML, JSON or KEY=VALUE (.env) configuration file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    if path.suffix == ".json":
        data = json.loads(text)
        return data if isinstance(data, dict) else {}
    pairs: dict[str, Any] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.strip().startswith("#"):
            pairs[key.strip().removeprefix("export ").strip()] = value.strip()
    return pairs


def check_configuration(path: Path, required: Sequence[str], sha256: str | None) -> CheckResult:
    """The configuration file exists, has every required key, and (if given) the expected hash."""
    if not path.is_file():
        finding = Finding(str(path), PROBLEM, "configuration file missing: deploy it")
        return CheckResult("configuration", path.name, (finding,))
    findings: list[Finding] = []
    try:
        keys = read_config(path)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        return CheckResult(
            "configuration", path.name, (Finding(str(path), PROBLEM, f"unreadable: {exc}"),)
        )
    for key in required:
        node: Any = keys
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node in (None, ""):
            findings.append(Finding(key, PROBLEM, f"required key missing or empty in {path.name}"))
        else:
            findings.append(Finding(key, OK, "present"))
    if sha256:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        status = OK if digest == sha256.lower() else PROBLEM
        detail = (
            "matches" if status is OK else f"is {digest}, expected {sha256}: the file was changed"
        )
        findings.append(Finding("sha256", status, detail))
    if not findings:
        findings.append(Finding(str(path), OK, "present (no required keys or checksum configured)"))
    return CheckResult("configuration", path.name, tuple(findings))


def check_caches(client: httpx.Client, deploy_started: datetime | None) -> CheckResult:
    """The cache works and was rebuilt after the deploy began (/healthz checks.cache).

    A published ``generation`` (when the cache was last emptied and rebuilt) is compared with
    the deploy start; an in-process cache without one was rebuilt if the process restarted.
    """
    data = read_json(client, "/healthz")
    if isinstance(data, str):
        return CheckResult(
            "caches rebuilt", _subject(client), (Finding("/healthz", UNCHECKED, data),)
        )
    cache = (data.get("checks") or {}).get("cache")
    if not isinstance(cache, dict):
        finding = Finding("cache", UNCHECKED, "/healthz reports no cache check")
        return CheckResult("caches rebuilt", _subject(client), (finding,))
    backend = str(cache.get("backend"))
    if not cache.get("ok"):
        finding = Finding(backend, PROBLEM, f"the cache does not work: {cache.get('detail')}")
        return CheckResult("caches rebuilt", backend, (finding,))
    generation = cache.get("generation")
    if generation is None:
        if backend == "memory":
            restarted = check_restarted(client, deploy_started)
            return CheckResult(
                "caches rebuilt", "in-process cache (emptied by a restart)", restarted.findings
            )
        finding = Finding(
            backend,
            UNCHECKED,
            "the cache publishes no generation: stamp it when the cache is rebuilt and report "
            "it in /healthz checks.cache.generation, or attest the flush",
        )
        return CheckResult("caches rebuilt", backend, (finding,))
    try:
        rebuilt = datetime.fromisoformat(str(generation).replace("Z", "+00:00"))
    except ValueError:
        finding = Finding(backend, PROBLEM, f"generation {generation!r} is not an ISO time")
        return CheckResult("caches rebuilt", backend, (finding,))
    if deploy_started is None:
        finding = Finding(
            backend,
            UNCHECKED,
            f"rebuilt at {generation}, but the deployment start is unknown: set "
            "[tool.pytest_release.deploy] started_at or PYTEST_RELEASE_DEPLOY_STARTED",
        )
    elif rebuilt + timedelta(seconds=2) < deploy_started:
        finding = Finding(
            backend,
            PROBLEM,
            f"last rebuilt at {generation}, before the deployment began "
            f"({deploy_started:%Y-%m-%d %H:%M:%S %Z}): the new release serves the old "
            "release's cached data; clear the cache and let it rebuild",
        )
    else:
        finding = Finding(backend, OK, f"rebuilt at {generation}, after the deploy began")
    return CheckResult("caches rebuilt", backend, (finding,))
