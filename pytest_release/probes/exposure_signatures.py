"""What sensitive content looks like: curated paths, stack traces, banners, secrets.

Every path comes with a content signature, so a site that answers 200 with its home
page for any URL (a single-page app, a catch-all route) is not reported. The path list
draws on the usual deployment leftovers (OWASP WSTG-CONF-04 "Review old backup and
unreferenced files", WSTG-CONF-05, the SecLists "common" web-content lists); the secret
formats are the token prefixes the issuers document (GitHub, AWS, Slack, Stripe, Google),
as also listed by gitleaks' rule set. Patterns are written here, not copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ExposedPath:
    """A path that must not be served, what its content looks like, and what it gives away."""

    path: str
    signature: re.Pattern[bytes]
    what: str
    fix: str


def _sig(pattern: bytes, flags: int = 0) -> re.Pattern[bytes]:
    return re.compile(pattern, flags)


_GIT_FIX = "do not deploy the .git directory (or deny /.git/ in the web server)"
_ENV_FIX = "keep .env files outside the web root and rotate every secret it held"
# Two KEY=value lines with only comments or blank lines between them.
_ENV = _sig(
    rb"(?m)^(?:export[ \t]+)?[A-Z][A-Z0-9_]{1,63}[ \t]*=[^\n]*\n"
    rb"(?:[ \t]*(?:#[^\n]*)?\n)*(?:export[ \t]+)?[A-Z][A-Z0-9_]{1,63}[ \t]*="
)
_BACKUP_FIX = "remove backups and archives from the web root; keep them in private storage"
_ARCHIVE = _sig(rb"\A(PK\x03\x04|\x1f\x8b|7z\xbc\xaf\x27\x1c|Rar!\x1a\x07|BZh)")
_SQL = _sig(
    rb"(?i)(CREATE TABLE|INSERT INTO|-- MySQL dump|PostgreSQL database dump|SQLite format 3)"
)
_PHP_SOURCE = _sig(rb"<\?php")
_DEBUG_FIX = "turn debug tooling off in production (or restrict it to an admin network)"
_MANIFEST_FIX = "do not serve dependency manifests: they list exact versions to attack"

EXPOSED_PATHS: tuple[ExposedPath, ...] = (
    ExposedPath("/.git/HEAD", _sig(rb"\A(ref: refs/|[0-9a-f]{40}\s*\Z)"), "the git HEAD", _GIT_FIX),
    ExposedPath("/.git/config", _sig(rb"\[(core|remote|branch)[\] ]"), "the git config", _GIT_FIX),
    ExposedPath("/.git/index", _sig(rb"\ADIRC"), "the git index (every file name)", _GIT_FIX),
    ExposedPath("/.git/logs/HEAD", _sig(rb"\A[0-9a-f]{40} [0-9a-f]{40} "), "the git log", _GIT_FIX),
    ExposedPath(
        "/.svn/wc.db", _sig(rb"\ASQLite format 3"), "the Subversion working copy", _GIT_FIX
    ),
    ExposedPath(
        "/.hg/requires", _sig(rb"(?m)^(revlogv1|store|fncache)$"), "a Mercurial repo", _GIT_FIX
    ),
    ExposedPath("/.env", _ENV, "the .env file (secrets)", _ENV_FIX),
    ExposedPath("/.env.local", _ENV, "a .env file (secrets)", _ENV_FIX),
    ExposedPath("/.env.production", _ENV, "a .env file (secrets)", _ENV_FIX),
    ExposedPath("/.env.prod", _ENV, "a .env file (secrets)", _ENV_FIX),
    ExposedPath("/.env.dev", _ENV, "a .env file (secrets)", _ENV_FIX),
    ExposedPath("/.env.backup", _ENV, "a .env backup (secrets)", _ENV_FIX),
    ExposedPath("/.env.bak", _ENV, "a .env backup (secrets)", _ENV_FIX),
    ExposedPath("/.env.old", _ENV, "a .env backup (secrets)", _ENV_FIX),
    ExposedPath("/.env.save", _ENV, "a .env backup (secrets)", _ENV_FIX),
    ExposedPath(
        "/.DS_Store",
        _sig(rb"\A\x00\x00\x00\x01Bud1"),
        "a macOS .DS_Store (file names)",
        _BACKUP_FIX,
    ),
    ExposedPath("/backup.zip", _ARCHIVE, "a backup archive", _BACKUP_FIX),
    ExposedPath("/backup.tar.gz", _ARCHIVE, "a backup archive", _BACKUP_FIX),
    ExposedPath("/site.zip", _ARCHIVE, "a site archive", _BACKUP_FIX),
    ExposedPath("/www.zip", _ARCHIVE, "a site archive", _BACKUP_FIX),
    ExposedPath("/release.zip", _ARCHIVE, "a release archive", _BACKUP_FIX),
    ExposedPath("/backup.sql", _SQL, "a database dump", _BACKUP_FIX),
    ExposedPath("/dump.sql", _SQL, "a database dump", _BACKUP_FIX),
    ExposedPath("/database.sql", _SQL, "a database dump", _BACKUP_FIX),
    ExposedPath("/db.sql", _SQL, "a database dump", _BACKUP_FIX),
    ExposedPath("/db.sqlite3", _sig(rb"\ASQLite format 3"), "a SQLite database", _BACKUP_FIX),
    ExposedPath("/index.php.bak", _PHP_SOURCE, "PHP source (backup copy)", _BACKUP_FIX),
    ExposedPath("/config.php.bak", _PHP_SOURCE, "PHP configuration source", _BACKUP_FIX),
    ExposedPath("/wp-config.php.bak", _PHP_SOURCE, "WordPress configuration source", _BACKUP_FIX),
    ExposedPath("/wp-config.php~", _PHP_SOURCE, "WordPress configuration source", _BACKUP_FIX),
    ExposedPath(
        "/phpinfo.php", _sig(rb"(?i)<title>phpinfo\(\)|PHP Version \d"), "phpinfo()", _DEBUG_FIX
    ),
    ExposedPath(
        "/info.php", _sig(rb"(?i)<title>phpinfo\(\)|PHP Version \d"), "phpinfo()", _DEBUG_FIX
    ),
    ExposedPath(
        "/server-status", _sig(rb"Apache Server Status|Server uptime:"), "Apache status", _DEBUG_FIX
    ),
    ExposedPath("/server-info", _sig(rb"Apache Server Information"), "Apache config", _DEBUG_FIX),
    ExposedPath(
        "/nginx_status", _sig(rb"\AActive connections: \d+"), "nginx stub status", _DEBUG_FIX
    ),
    ExposedPath(
        "/console",
        _sig(rb"Werkzeug Debugger|__debugger__"),
        "the Werkzeug debug console",
        _DEBUG_FIX,
    ),
    ExposedPath(
        "/__debug__/",
        _sig(rb"djDebug|Django Debug Toolbar"),
        "the Django debug toolbar",
        _DEBUG_FIX,
    ),
    ExposedPath("/_profiler/", _sig(rb"Symfony Profiler"), "the Symfony profiler", _DEBUG_FIX),
    ExposedPath("/_debugbar/open", _sig(rb'"__meta"|phpdebugbar'), "the PHP debugbar", _DEBUG_FIX),
    ExposedPath(
        "/telescope/requests", _sig(rb"Laravel Telescope|telescope"), "Telescope", _DEBUG_FIX
    ),
    ExposedPath("/debug/pprof/", _sig(rb"Types of profiles available"), "Go pprof", _DEBUG_FIX),
    ExposedPath("/actuator/env", _sig(rb'"propertySources"'), "Spring actuator env", _DEBUG_FIX),
    ExposedPath("/actuator/heapdump", _sig(rb"\AJAVA PROFILE"), "a Java heap dump", _DEBUG_FIX),
    ExposedPath("/elmah.axd", _sig(rb"Error Log for"), "the ELMAH error log", _DEBUG_FIX),
    ExposedPath("/trace.axd", _sig(rb"Application Trace"), "ASP.NET trace", _DEBUG_FIX),
    ExposedPath(
        "/composer.json", _sig(rb'"(require|autoload)"\s*:'), "composer.json", _MANIFEST_FIX
    ),
    ExposedPath(
        "/composer.lock",
        _sig(rb'"content-hash"\s*:'),
        "composer.lock (exact versions)",
        _MANIFEST_FIX,
    ),
    ExposedPath(
        "/package-lock.json", _sig(rb'"lockfileVersion"\s*:'), "package-lock.json", _MANIFEST_FIX
    ),
    ExposedPath("/yarn.lock", _sig(rb"# yarn lockfile|__metadata:"), "yarn.lock", _MANIFEST_FIX),
    ExposedPath("/Gemfile.lock", _sig(rb"(?m)^GEM\n\s+remote:"), "Gemfile.lock", _MANIFEST_FIX),
    ExposedPath(
        "/.htpasswd",
        _sig(rb"(?m)^[^:\s]+:(\$apr1\$|\$2[aby]\$|\{SHA\})"),
        "password hashes",
        _BACKUP_FIX,
    ),
    ExposedPath(
        "/.htaccess",
        _sig(rb"(?mi)^\s*(RewriteEngine|Require all|Deny from|AuthType)"),
        ".htaccess",
        _BACKUP_FIX,
    ),
    ExposedPath("/web.config", _sig(rb"<configuration[\s>]"), "IIS web.config", _BACKUP_FIX),
    ExposedPath("/WEB-INF/web.xml", _sig(rb"<web-app[\s>]"), "the Java web.xml", _BACKUP_FIX),
    ExposedPath("/.aws/credentials", _sig(rb"aws_access_key_id"), "AWS credentials", _ENV_FIX),
    ExposedPath("/.ssh/id_rsa", _sig(rb"PRIVATE KEY-----"), "an SSH private key", _ENV_FIX),
    ExposedPath("/id_rsa", _sig(rb"PRIVATE KEY-----"), "an SSH private key", _ENV_FIX),
    ExposedPath("/.npmrc", _sig(rb"_authToken"), "an npm token", _ENV_FIX),
    ExposedPath(
        "/.vscode/sftp.json", _sig(rb'"(password|privateKeyPath)"'), "SFTP credentials", _ENV_FIX
    ),
    ExposedPath(
        "/docker-compose.yml", _sig(rb"(?m)^services:\s*$"), "docker-compose.yml", _BACKUP_FIX
    ),
)

SOURCE_MAP = _sig(rb'\A\s*(\)\]\}\'\s*)?\{.*"(version|sources|mappings)"\s*:', re.DOTALL)
SOURCE_MAP_FIX = "do not publish source maps in production (or upload them to your error tracker)"

# Framework and language error pages that carry a stack trace or debug details.
STACK_TRACES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("Python traceback", re.compile(r'File "[^"]+\.py", line \d+, in ')),
    (
        "Django debug page",
        re.compile(r"You(?:'|&#x27;|&#39;)re seeing this error because you have"),
    ),
    ("Werkzeug debugger", re.compile(r"Werkzeug Debugger|The debugger caught an exception")),
    (
        "PHP error",
        re.compile(
            r"(?:<b>)?(?:Fatal error|Parse error|Warning|Notice)(?:</b>)?:.{0,300}"
            r" on line (?:<b>)?\d+"
        ),
    ),
    ("PHP stack trace", re.compile(r"Stack trace:\s*(?:<br />)?\s*#0 ")),
    ("Laravel/Ignition error page", re.compile(r"Illuminate\\|Whoops\\Exception|ignition-")),
    (
        "Node.js stack trace",
        re.compile(r"\n\s*at [\w$.<>]+ \((?:/|[A-Za-z]:\\|node:)[^)]*:\d+:\d+\)"),
    ),
    ("Node.js stack trace", re.compile(r"(?:&nbsp; )*at [\w$.<>]+ \([^)]*\.m?js:\d+:\d+\)")),
    ("Java stack trace", re.compile(r"\bat [\w$.]+\([\w$]+\.java:\d+\)")),
    ("Java exception", re.compile(r"\b(?:java|javax|jakarta)\.[\w.]+(?:Exception|Error)\b")),
    ("Ruby backtrace", re.compile(r"\S+\.rb:\d+:in `")),
    (".NET error page", re.compile(r"Server Error in '[^']*' Application|\bat System\.[\w.]+\(")),
    ("Go panic", re.compile(r"goroutine \d+ \[running\]:")),
)

# Headers that name server software; a version number in them is the finding.
BANNER_HEADERS = (
    "server",
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
    "x-generator",
    "x-runtime-version",
    "x-version",
)
VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")


@dataclass(frozen=True, slots=True)
class SecretPattern:
    name: str
    pattern: re.Pattern[str]


SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    SecretPattern(
        "AWS secret access key",
        re.compile(r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}\b"),
    ),
    SecretPattern("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    SecretPattern("GitHub token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{60,}\b")),
    SecretPattern("Slack token", re.compile(r"\bxox[baprs]-[0-9A-Za-z-]{10,}\b")),
    SecretPattern("Stripe secret key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}\b")),
    SecretPattern("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    SecretPattern(
        "private key",
        re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"),
    ),
    SecretPattern(
        "credentials in a connection URL",
        re.compile(
            r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?)://"
            r"[^\s:@/\"']+:[^\s@/\"']+@"
        ),
    ),
    SecretPattern("Laravel APP_KEY", re.compile(r"\bAPP_KEY\s*=\s*base64:[A-Za-z0-9+/=]{32,}")),
)


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    return f"{secret[:4]}…({len(secret)} chars)" if len(secret) > 8 else "…"
