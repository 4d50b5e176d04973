"""``GET /openapi.json``: the run API as OpenAPI 3.1, so schema-driven tools can test it."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pytest_release.reference.context import AppContext

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}


def openapi_document(ctx: AppContext) -> dict[str, Any]:
    """The document for this instance (its run path, languages and body limit)."""
    refusal = {"content": {"application/json": {"schema": _ERROR}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Interactive examples: code execution", "version": ctx.settings.version},
        "paths": {
            ctx.settings.api_path: {
                "post": {
                    "operationId": "runCode",
                    "summary": "Run a snippet in the sandbox",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["code", "language"],
                                    "properties": {
                                        "code": {"type": "string"},
                                        "language": {
                                            "type": "string",
                                            "enum": list(ctx.runner.languages),
                                        },
                                        "example_id": {"type": "string", "maxLength": 100},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The program ran (its own errors are in `error`)",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["output", "error", "exit_code"],
                                        "properties": {
                                            "output": {"type": "string"},
                                            "error": {"type": ["string", "null"]},
                                            "exit_code": {"type": "integer"},
                                            "duration_ms": {"type": "number"},
                                        },
                                    }
                                }
                            },
                        },
                        "400": {"description": "Malformed request", **refusal},
                        "413": {
                            "description": f"Body over {ctx.settings.max_body_bytes} bytes",
                            **refusal,
                        },
                        "415": {"description": "Not JSON", **refusal},
                        "429": {"description": "Rate limited (see Retry-After)", **refusal},
                    },
                }
            }
        },
    }


def openapi_route(ctx: AppContext) -> Route:
    """The route serving the document."""

    async def document(request: Request) -> Response:
        return JSONResponse(openapi_document(ctx))

    return Route("/openapi.json", document, methods=["GET"])
