"""Requests released together, for the exactly-once tests on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import TypeVar

import httpx

T = TypeVar("T")


def parallel(n: int, call: Callable[[int], T]) -> list[T]:
    """`call(0)` … `call(n - 1)`, each on its own thread, released together by a barrier."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def together(n: int, request: Callable[[httpx.Client, int], httpx.Response], base_url: str,
             headers: dict[str, str] | None = None) -> list[httpx.Response]:
    """`n` HTTP requests, each on its own client (its own connection) and thread, released at
    once: `request(client, i)`."""
    with ExitStack() as stack:
        clients = [stack.enter_context(httpx.Client(base_url=base_url, headers=headers or {},
                                                    timeout=60)) for _ in range(n)]
        return parallel(n, lambda i: request(clients[i], i))
