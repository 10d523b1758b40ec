"""The access log without what could single a visitor out: query strings are dropped (the
visitor portal's `?receipt=`, a page's `?next=`) and receipt ids in paths are masked — a receipt
id opens the printable receipt, so in a log file it would be a pseudonymous key to a person."""

from __future__ import annotations

import logging
import re

_RECEIPT = re.compile(r"(/api/receipts/)[^/?\s]+")
_PATH_ARG = 2  # uvicorn.access args: (client, method, path with query, http version, status)


def scrub(path: str) -> str:
    return _RECEIPT.sub(r"\1…", path.split("?", 1)[0])


class ScrubbedAccessLog(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG:
            record.args = (*args[:_PATH_ARG], scrub(str(args[_PATH_ARG])), *args[_PATH_ARG + 1:])
        return True


def install() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, ScrubbedAccessLog) for f in access.filters):
        access.addFilter(ScrubbedAccessLog())
