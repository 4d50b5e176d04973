"""The plain-HTTP listener of a TLS deployment: it only redirects to HTTPS.

``serve --ssl-certfile ... --http-redirect-port N`` runs it next to the HTTPS server, so
a scanner that starts at http:// (as the HTTP Observatory does) is sent to https:// on the
same host with a permanent redirect, before anything else is served.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def https_location(request: Request, https_port: int) -> str:
    """The same URL on https:// and the HTTPS port."""
    host = (request.headers.get("host") or request.url.hostname or "localhost").strip()
    # Drop the port: "[::1]:8080" -> "[::1]", "example.com:8080" -> "example.com".
    host = host[: host.index("]") + 1] if host.startswith("[") else host.rsplit(":", 1)[0]
    port = "" if https_port == 443 else f":{https_port}"
    query = f"?{request.url.query}" if request.url.query else ""
    return f"https://{host}{port}{request.url.path}{query}"


def redirect_app(https_port: int) -> Starlette:
    """An app that answers every request with 301 to its HTTPS URL."""

    async def redirect(request: Request) -> Response:
        return RedirectResponse(https_location(request, https_port), status_code=301)

    return Starlette(routes=[Route("/{path:path}", redirect, methods=_METHODS)])
