"""PostgreSQL: transactions that append to the change log commit out of order, and a pull never
skips a change (PROTOCOL.md §4.6). Real connections, real locks, no mocks."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from server.changes.log import emit, lock_head, read_head, read_page
from tests.conftest import _sync_url, _truncate_postgres

pytestmark = pytest.mark.postgres

SCOPE = "test"


@pytest.fixture
def engine(postgres_server_url: str) -> Iterator[Engine]:
    _truncate_postgres(postgres_server_url)
    engine = create_engine(_sync_url(postgres_server_url), pool_size=12)
    with engine.begin() as conn:
        lock_head(conn)
    yield engine
    engine.dispose()


def pull(engine: Engine, after: int) -> tuple[list[tuple[int, str]], int]:
    """One pull as the server does it: one REPEATABLE READ snapshot for the page and the head."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            head = read_head(conn)
            assert head is not None
            rows = read_page(conn, [SCOPE], after, 10_000, fresh=False)
    return [(r.position, r.key) for r in rows], head.position


def test_a_later_transaction_cannot_take_a_position_until_the_earlier_one_commits(engine: Engine) -> None:
    start = pull(engine, 0)[1]
    first = engine.connect()
    t1 = first.begin()
    emit(first, {(SCOPE, "e", "first"): 1})  # holds the head lock from here to its commit
    second_emitted = threading.Event()
    release_second = threading.Event()

    def second() -> None:
        with engine.connect() as conn, conn.begin():
            emit(conn, {(SCOPE, "e", "second"): 2})
            second_emitted.set()
            release_second.wait(10)

    worker = threading.Thread(target=second)
    worker.start()
    assert not second_emitted.wait(0.5), "the second transaction took a position while the first was open"
    rows, head = pull(engine, start)
    assert rows == [] and head == start  # nothing committed yet: nothing to see, no cursor moved past it
    t1.commit()
    first.close()
    assert second_emitted.wait(5)
    rows, head = pull(engine, start)
    assert rows == [(start + 1, "first")] and head == start + 1  # the second is still open: not visible
    release_second.set()
    worker.join(5)
    rows, head = pull(engine, head)
    assert rows == [(start + 2, "second")] and head == start + 2


def test_concurrent_writers_committing_in_random_order_never_make_a_pull_skip(engine: Engine) -> None:
    writers, per_writer = 6, 15
    rng = random.Random(5)
    delays = [[(rng.random() * 0.01, rng.random() * 0.01) for _ in range(per_writer)] for _ in range(writers)]
    done = threading.Event()
    seen: dict[str, int] = {}
    problems: list[str] = []

    def writer(n: int) -> None:
        for m, (before, holding) in enumerate(delays[n]):
            with engine.connect() as conn, conn.begin():
                time.sleep(before)  # other work of the transaction
                emit(conn, {(SCOPE, "e", f"w{n}-{m}"): m})
                time.sleep(holding)  # work after taking positions, before the commit lands

    def poller() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            rows, head = pull(engine, cursor)
            positions = [p for p, _ in rows]
            if positions != sorted(positions) or (positions and positions[0] <= cursor):
                problems.append(f"page out of order after {cursor}: {positions}")
            for position, key in rows:
                seen[key] = position
            cursor = head  # the end marker's cursor: the head in the same snapshot
            if finished:
                return
            time.sleep(0.001)

    watcher = threading.Thread(target=poller)
    watcher.start()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    done.set()
    watcher.join(30)
    assert not problems, problems
    expected = {f"w{n}-{m}" for n in range(writers) for m in range(per_writer)}
    assert set(seen) == expected, f"missed {sorted(expected - set(seen))[:10]}"
    assert sorted(seen.values()) == list(range(min(seen.values()), min(seen.values()) + len(expected)))
