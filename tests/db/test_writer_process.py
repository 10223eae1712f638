"""The SQLite writer process: results and refusals come back intact, a dead writer is
reported to the callers waiting on it (nothing confirmed) and replaced on the next call."""

from __future__ import annotations

import asyncio
import os
import signal

import msgspec
import pytest

from server.db.writer import WriterGone, WriterProcess
from server.errors import InvalidInput
from server.orders.ingest import ingest_batch
from server.orders.schemas import IngestResult, OrderIn
from tests.conftest import run
from tests.kit.world import order_payload, seed_world


def _order(external_id: str, sku: str = "CASE-BLK") -> OrderIn:
    return msgspec.convert(order_payload(external_id, [(sku, 1)]), OrderIn, strict=False)


def test_writer_process_ingests_and_survives_a_crash(sqlite_url: str) -> None:
    run(seed_world(sqlite_url, {("CASE-BLK", "VAL"): 5}))

    async def scenario() -> None:
        writer = WriterProcess(sqlite_url)
        try:
            results = await writer.call(ingest_batch, [_order("W-1"), _order("W-2", "NOPE")], "test")
            assert isinstance(results[0], IngestResult)
            assert results[0].status == "allocated"
            refused = results[1]
            assert isinstance(refused, InvalidInput)
            assert refused.errors[0].field == "lines[0].sku"  # field errors survive the pipe

            process = writer._process
            assert process is not None and process.pid is not None
            os.kill(process.pid, signal.SIGKILL)
            process.join(5)
            await asyncio.sleep(0.2)
            # The next call starts a new writer; the order ingested before the crash is still there.
            again = await writer.call(ingest_batch, [_order("W-1")], "test")
            assert isinstance(again[0], IngestResult)
            assert again[0].outcome == "unchanged"
        finally:
            await writer.close()

    run(scenario())


def test_callers_waiting_on_a_dead_writer_are_told(sqlite_url: str) -> None:
    async def scenario() -> None:
        writer = WriterProcess(sqlite_url)
        try:
            await writer.start()
            process = writer._process
            assert process is not None and process.pid is not None
            os.kill(process.pid, signal.SIGSTOP)  # hold the writer so the call is waiting
            pending = asyncio.ensure_future(writer.call(ingest_batch, [_order("W-3")], "test"))
            await asyncio.sleep(0.2)
            os.kill(process.pid, signal.SIGKILL)
            with pytest.raises(WriterGone):
                await asyncio.wait_for(pending, 10)
        finally:
            await writer.close()

    run(scenario())


def test_ctrl_c_to_the_process_group_leaves_the_writer_to_the_server(sqlite_url: str) -> None:
    """A terminal's Ctrl+C reaches the writer too; it keeps serving until the server closes it."""
    run(seed_world(sqlite_url, {("CASE-BLK", "VAL"): 5}))

    async def scenario() -> None:
        writer = WriterProcess(sqlite_url)
        try:
            await writer.call(ingest_batch, [_order("C-1")], "test")
            process = writer._process
            assert process is not None and process.pid is not None
            os.kill(process.pid, signal.SIGINT)
            os.kill(process.pid, signal.SIGTERM)
            await asyncio.sleep(0.3)
            assert process.is_alive()
            done = await writer.call(ingest_batch, [_order("C-2")], "test")
            assert isinstance(done[0], IngestResult) and done[0].outcome == "created"
            assert writer._process is process  # the same writer answered
        finally:
            await writer.close()
        assert not process.is_alive()  # and closing it still ends it

    run(scenario())
