"""Files a careless deploy leaves reachable; served only under the matching fault switch.

The healthy app has no such routes, so these paths answer 404 like anything unknown.
The secrets are fake and shaped like a Laravel ``.env`` so scanners recognise them.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from pytest_release.reference.settings import ReferenceSettings

GIT_HEAD = "ref: refs/heads/main\n"
GIT_CONFIG = """[core]
\trepositoryformatversion = 0
\tfilemode = true
\tbare = false
[remote "origin"]
\turl = https://deploy:ghp_FAKEfakeFAKEfakeFAKEfake0000@github.com/example/interactive-examples.git
\tfetch = +refs/heads/*:refs/remotes/origin/*
[branch "main"]
\tremote = origin
\tmerge = refs/heads/main
"""
DOT_ENV = """APP_NAME="Interactive Examples"
APP_ENV=production
APP_KEY=base64:RkFLRS1GQUtFLUZBS0UtRkFLRS1GQUtFLUZBS0UtRkFLRQ==
APP_DEBUG=false
DB_CONNECTION=pgsql
DB_HOST=db.internal
DB_DATABASE=examples
DB_USERNAME=examples
DB_PASSWORD=fake-password-do-not-use
REDIS_PASSWORD=fake-redis-secret
AWS_ACCESS_KEY_ID=AKIAFAKEFAKEFAKEFAKE
AWS_SECRET_ACCESS_KEY=fakeFAKEfakeFAKEfakeFAKEfakeFAKEfakeFAKE
"""


def exposed_routes(settings: ReferenceSettings) -> list[Route]:
    """Routes for the git-exposed and env-exposed faults (none when healthy)."""
    routes: list[Route] = []

    def serve(path: str, text: str) -> Route:
        async def endpoint(request: Request) -> Response:
            return PlainTextResponse(text)

        return Route(path, endpoint, methods=["GET", "HEAD"])

    if settings.has("git-exposed"):
        routes.append(serve("/.git/HEAD", GIT_HEAD))
        routes.append(serve("/.git/config", GIT_CONFIG))
    if settings.has("env-exposed"):
        routes.append(serve("/.env", DOT_ENV))
    return routes
