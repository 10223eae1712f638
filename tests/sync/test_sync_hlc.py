from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import HLC, HLCTimestamp, event_key


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def test_send_is_strictly_increasing_even_when_the_clock_stands_still_or_goes_back() -> None:
    clock = Clock(1_000)
    hlc = HLC(clock)
    stamps = [hlc.send() for _ in range(5)]
    clock.now = 500  # NTP stepped the clock back
    stamps += [hlc.send() for _ in range(5)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == len(stamps)
    assert HLCTimestamp.parse(stamps[-1]) == HLCTimestamp(1_000, 9)


def test_send_follows_physical_time_when_it_moves_forward() -> None:
    clock = Clock(1_000)
    hlc = HLC(clock)
    hlc.send()
    clock.now = 2_000
    assert HLCTimestamp.parse(hlc.send()) == HLCTimestamp(2_000, 0)


def test_a_phone_with_a_slow_clock_adopts_the_servers_time_and_stays_causal() -> None:
    server, phone = HLC(Clock(10_000_000)), HLC(Clock(1_000))  # phone clock is hours behind
    sent = server.send()
    received = phone.receive(sent)
    assert received > sent
    later = phone.send()
    assert later > sent  # anything the phone does after hearing from the server sorts after it


def test_server_refuses_to_be_dragged_forward_by_a_phone_from_the_future() -> None:
    server = HLC(Clock(1_000_000), max_forward_ms=60_000)
    future = HLCTimestamp(1_000_000 + 86_400_000, 0).encode()
    after = server.receive(future)
    assert HLCTimestamp.parse(after).ms == 1_000_000
    assert server.rejected_remote == 1
    near = HLCTimestamp(1_000_000 + 30_000, 7).encode()
    assert HLCTimestamp.parse(server.receive(near)) == HLCTimestamp(1_030_000, 8)


def test_receive_merges_counters_on_equal_milliseconds() -> None:
    a = HLC(Clock(5_000))
    a.send()
    a.send()  # (5000, 1)
    assert HLCTimestamp.parse(a.receive(HLCTimestamp(5_000, 7).encode())) == HLCTimestamp(5_000, 8)
    assert HLCTimestamp.parse(a.receive(HLCTimestamp(4_000, 99).encode())) == HLCTimestamp(5_000, 9)


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    hlc = HLC(Clock(1))
    hlc.receive(HLCTimestamp(1, 0xFFFF).encode())
    assert HLCTimestamp.parse(hlc.last) == HLCTimestamp(2, 0)


@pytest.mark.parametrize("bad", ["", "0123", "0123456789ABCDEF", "0123456789abcdeg", "0123456789abcdef0"])
def test_parse_rejects_malformed_values(bad: str) -> None:
    with pytest.raises(ValueError):
        HLCTimestamp.parse(bad)


timestamps = st.builds(HLCTimestamp, st.integers(0, 0xFFFF_FFFF_FFFF), st.integers(0, 0xFFFF))


@given(timestamps, timestamps)
def test_string_order_is_clock_order(a: HLCTimestamp, b: HLCTimestamp) -> None:
    assert (a.encode() < b.encode()) == (a < b)
    assert HLCTimestamp.parse(a.encode()) == a


@given(timestamps, timestamps, st.text(min_size=1, max_size=8), st.text(min_size=1, max_size=8))
def test_event_key_orders_by_clock_first(a: HLCTimestamp, b: HLCTimestamp, d1: str, d2: str) -> None:
    if a != b:
        assert (event_key(a.encode(), d1) < event_key(b.encode(), d2)) == (a < b)


@given(st.lists(st.tuples(st.sampled_from(["send", "recv"]), st.integers(0, 10_000)), max_size=60))
def test_never_goes_backwards(steps: list[tuple[str, int]]) -> None:
    clock = Clock(0)
    hlc = HLC(clock)
    last = hlc.last
    for action, value in steps:
        if action == "send":
            clock.now = value
            stamp = hlc.send()
        else:
            stamp = hlc.receive(HLCTimestamp(value, value % 50).encode())
        assert stamp > last
        last = stamp
