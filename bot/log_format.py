"""How log records are written: plain lines (the default) or one JSON object per line.

``LOG_FORMAT=json`` is for log collectors (Loki, CloudWatch, Datadog, ``jq``) that index
fields instead of parsing text. A record a delivery's logger wrote (:class:`bot.context.
DeliveryLog`) carries the delivery's id, repository, installation and event as fields.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
#: The record attributes :class:`bot.context.DeliveryLog` sets, written under these names.
DELIVERY_FIELDS = ("delivery_id", "repository", "installation", "event")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: time, level, logger, message, and the
    delivery's fields and the exception when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a line of JSON (no newline inside: tracebacks are escaped)."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in DELIVERY_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of ``LOG_FORMAT`` (``text`` or ``json``); ValueError for another."""
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"LOG_FORMAT={log_format} is not {' or '.join(LOG_FORMATS)}")
