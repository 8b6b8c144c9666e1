"""Silence sqlglot's warnings while the gate works (every rejected statement would log one), per thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = threading.local()


class _GateFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_state, "depth", 0)


_logger = logging.getLogger("sqlglot")
if not any(isinstance(f, _GateFilter) for f in _logger.filters):
    _logger.addFilter(_GateFilter())


@contextmanager
def quiet_sqlglot() -> Iterator[None]:
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
