"""The server's HTTP protocol sends each response in one write: the bytes must be exactly what
uvicorn would send, for small, streamed, pipelined and closing responses."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Generator
from contextlib import contextmanager
from threading import Thread
from typing import Any

import uvicorn

from server.http_protocol import OneWriteHttpToolsProtocol


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/stream":
        head = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": head})
        for i in range(3):
            await send({"type": "http.response.body", "body": f"part{i};".encode(), "more_body": True})
            await asyncio.sleep(0)  # each part in its own turn of the loop
        await send({"type": "http.response.body", "body": b"end", "more_body": False})
        return
    body = b"x" * 200_000 if path == "/big" else path.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


@contextmanager
def serving() -> Generator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, http=OneWriteHttpToolsProtocol, loop="uvloop", log_level="warning")
    server = uvicorn.Server(config)
    thread = Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_pipelined_requests_get_whole_answers_in_order() -> None:
    with serving() as port, socket.create_connection(("127.0.0.1", port)) as conn:
        requests = b"".join(f"GET /r{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(5))
        conn.sendall(requests + b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = read_all(conn)
    bodies = [part.split(b"\r\n\r\n", 1)[1][:5] for part in answer.split(b"HTTP/1.1 200 OK")[1:]]
    assert bodies == [b"/r0", b"/r1", b"/r2", b"/r3", b"/r4", b"/last"]
    assert answer.count(b"content-length:") == 6


def test_streamed_response_arrives_whole_with_chunked_encoding() -> None:
    with serving() as port, socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = read_all(conn)
    head, body = answer.split(b"\r\n\r\n", 1)
    assert b"transfer-encoding: chunked" in head
    assert body == b"6\r\npart0;\r\n6\r\npart1;\r\n6\r\npart2;\r\n3\r\nend\r\n0\r\n\r\n"


def test_large_body_and_close_lose_nothing() -> None:
    with serving() as port, socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = read_all(conn)
    assert answer.split(b"\r\n\r\n", 1)[1] == b"x" * 200_000


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


def test_writes_of_one_turn_leave_as_one_and_close_sends_them_first() -> None:
    from server.http_protocol import _OneWritePerTurn  # pyright: ignore[reportPrivateUsage]

    async def scenario() -> RecordingTransport:
        real = RecordingTransport()
        transport = _OneWritePerTurn(real, asyncio.get_running_loop())  # type: ignore[arg-type]
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert real.writes == []  # not yet: the turn is not over
        assert transport.get_write_buffer_size() == 23
        await asyncio.sleep(0)
        transport.write(b"second")
        transport.close()  # pending bytes go before the close
        return real

    real = asyncio.run(scenario())
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"second"]
    assert real.closed
