"""Keep personal data out of the access log: query strings (phone searches, contract numbers) are cut."""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"


_SECRET_PATH = re.compile(r"^(/channels/ok/webhook/)[^/?]+")


class DropQueryString(logging.Filter):
    """uvicorn's access record args are (client, method, path_with_query, http_version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0] + ("?…" if "?" in args[2] else "")
            # The OK.ru webhook's path carries its secret.
            path = _SECRET_PATH.sub(r"\1***", path)
            record.args = (*args[:2], path, *args[3:])
        return True


def install_access_log_filter() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropQueryString) for f in logger.filters):
        logger.addFilter(DropQueryString())
