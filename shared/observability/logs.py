"""Log set-up of a node process: text for people, or one JSON object per line (`CRM_LOG_FORMAT=json`)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from shared.observability import request_id as ids

TEXT_FORMAT = "%(asctime)s %(node)s %(name)s %(levelname)s %(message)s"


class NodeContext(logging.Filter):
    """Stamps every record with the node's code and the current request's id (None outside a request)."""

    def __init__(self, node: str) -> None:
        super().__init__()
        self.node = node

    def filter(self, record: logging.LogRecord) -> bool:
        record.node = self.node
        record.request_id = ids.current.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "node": getattr(record, "node", None),
            "requestId": getattr(record, "request_id", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(node: str, log_format: str, level: int = logging.INFO) -> None:
    """The root logger writes to stderr in the chosen format; uvicorn's and grpc's loggers propagate to it."""
    handler = logging.StreamHandler()
    handler.addFilter(NodeContext(node))
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
