"""Structured logs: one JSON object per line with timestamp, level, event and request id.

Code logs with ``log_event(logger, "event-name", key=value, ...)``; the formatter adds the
request id of the request being served (a context variable set by the front door) and
masks values of keys that look like secrets, so a careless field cannot leak one.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "pytest_release_request_id", default=None
)

LOGGER_NAME = "pytest_release.reference"
_SECRET_WORDS = ("password", "secret", "token", "authorization", "cookie", "api_key", "apikey")
_MASK = "[redacted]"


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line; never raises on odd field values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Known secret values (the admin password, ...) are masked wherever they appear.
        self._secrets = tuple(s for s in secrets if len(s) >= 6)

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", None) or record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                payload[key] = _MASK if _looks_secret(str(key)) else value
        if record.exc_info and record.exc_info[0] is not None:
            payload["exc_type"] = record.exc_info[0].__name__
            payload["traceback"] = self.formatException(record.exc_info)
        line = json.dumps(payload, default=str, ensure_ascii=False)
        for secret in self._secrets:
            line = line.replace(secret, _MASK)
        return line


def configure_logging(
    *, level: str = "info", stream: IO[str] | None = None, secrets: Iterable[str] = ()
) -> None:
    """Send our logs and uvicorn's to ``stream`` (stderr) as JSON lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(secrets))
    for name in (LOGGER_NAME, "uvicorn", "uvicorn.error", "alembic"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    # Alembic chats at INFO on every status query; our own events say what matters.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Access lines come from our front door (with request ids), not uvicorn's.
    logging.getLogger("uvicorn.access").disabled = True


def log_event(
    logger: logging.Logger,
    event: str,
    *,
    level: int = logging.INFO,
    exc_info: bool = False,
    **fields: Any,
) -> None:
    """Log one structured event."""
    # The request id is taken now: a handler may format the record later, in another context.
    extra = {"event": event, "fields": fields, "request_id": request_id_var.get()}
    logger.log(level, event, extra=extra, exc_info=exc_info)


def get_logger(name: str = "") -> logging.Logger:
    """A logger under the reference deployment's namespace."""
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)
