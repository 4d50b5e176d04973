"""Security headers, CORS policy and HTTP Basic authentication for /admin.

The Content-Security-Policy keeps scripts to files served by this origin (no
'unsafe-inline', no 'unsafe-eval'). Monaco needs two allowances, both narrow: its editor
worker is a same-origin file (``worker-src 'self' blob:``) and it writes inline style
attributes and <style> elements, so ``style-src`` carries 'unsafe-inline' — which lets
no script run.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from pytest_release.reference.settings import ReferenceSettings

CSP_DIRECTIVES: tuple[tuple[str, str], ...] = (
    ("default-src", "'none'"),
    ("script-src", "'self'"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self' data:"),
    ("connect-src", "'self'"),
    ("worker-src", "'self' blob:"),
    ("manifest-src", "'self'"),
    ("frame-ancestors", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'self'"),
    ("object-src", "'none'"),
)

HSTS_VALUE = "max-age=63072000; includeSubDomains"


def content_security_policy(*, unsafe_inline_scripts: bool = False) -> str:
    """The CSP header value (with the csp-unsafe-inline fault, scripts allow inline code)."""
    parts = []
    for name, value in CSP_DIRECTIVES:
        if name == "script-src" and unsafe_inline_scripts:
            value = f"{value} 'unsafe-inline'"
        parts.append(f"{name} {value}")
    return "; ".join(parts)


def security_headers(settings: ReferenceSettings, *, tls: bool) -> list[tuple[bytes, bytes]]:
    """Headers added to every response (raw ASGI form)."""
    headers: list[tuple[str, str]] = [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ]
    if not settings.has("csp-missing"):
        csp = content_security_policy(unsafe_inline_scripts=settings.has("csp-unsafe-inline"))
        headers.append(("content-security-policy", csp))
    if tls:
        # Only over TLS: HSTS on plain HTTP is ignored by browsers and misleads scanners.
        headers.append(("strict-transport-security", HSTS_VALUE))
    if settings.has("server-banner"):
        import platform

        import starlette
        import uvicorn

        python = platform.python_version()
        headers.append(("server", f"uvicorn/{uvicorn.__version__} Python/{python}"))
        headers.append(("x-powered-by", f"Starlette/{starlette.__version__}"))
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


def cors_middleware(settings: ReferenceSettings) -> Middleware:
    """CORS for the configured origins only; the cors-reflect fault reflects any origin."""
    if settings.has("cors-reflect"):
        return Middleware(
            CORSMiddleware,
            allow_origin_regex=".*",
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    return Middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=False,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
        max_age=600,
    )


def basic_auth_ok(authorization: str | None, user: str, password: str) -> bool:
    """Whether an Authorization header carries exactly these Basic credentials."""
    if not authorization or not password:
        return False
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    given_user, sep, given_password = decoded.partition(":")
    if not sep:
        return False
    # Compare both parts in constant time, always, so timing does not reveal which was wrong.
    user_ok = secrets.compare_digest(given_user.encode(), user.encode())
    password_ok = secrets.compare_digest(given_password.encode(), password.encode())
    return user_ok and password_ok
