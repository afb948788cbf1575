"""``runtime.memory``: sessions that end close together share one trim, run on their loop after
the delay; glibc's trim hands freed pages back."""

from __future__ import annotations

import asyncio
import sys

import pytest
from tornado.ioloop import IOLoop

from brownian_panel.runtime.memory import Trimmer, _find_malloc_trim

from ..apps.process_state import rss_bytes


def test_sessions_ending_together_share_one_trim_on_the_loop_after_the_delay():
    calls = []
    trimmer = Trimmer(trim=lambda pad: calls.append(pad) or 1, delay=0.05)

    async def sessions_end():
        loop = IOLoop.current()
        scheduled = [trimmer.soon(loop) for _ in range(5)]  # five sessions end at once
        assert calls == []  # not inside the session's end
        await asyncio.sleep(0.2)
        later = trimmer.soon(loop)  # one more, after the trim
        await asyncio.sleep(0.2)
        return scheduled, later

    scheduled, later = asyncio.run(sessions_end())
    assert scheduled == [True, False, False, False, False] and later
    assert calls == [0, 0] and trimmer.runs == 2


def test_a_trim_whose_loop_closed_first_does_not_block_the_next():
    calls = []
    trimmer = Trimmer(trim=lambda pad: calls.append(pad) or 1, delay=1.0)
    dropped = asyncio.new_event_loop()
    assert dropped.run_until_complete(_soon(trimmer))  # its loop closes before the delay
    dropped.close()
    assert calls == [] and not asyncio.run(_soon(trimmer))  # still counted as pending
    asyncio.run(asyncio.sleep(2.0))  # twice the delay gone: the dropped one is stale

    async def again():
        assert await _soon(trimmer)
        await asyncio.sleep(1.3)

    asyncio.run(again())
    assert calls == [0]


async def _soon(trimmer: Trimmer) -> bool:
    return trimmer.soon(IOLoop.current())


def test_without_malloc_trim_nothing_is_scheduled():
    assert not asyncio.run(_soon(Trimmer(trim=None)))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim: Linux")
def test_glibc_trim_hands_back_the_pages_freed_between_blocks_in_use():
    trim = _find_malloc_trim()
    assert trim is not None, "glibc's malloc_trim not found"
    trim(0)
    # 200 MiB of 2 KiB blocks (malloc'd, not pymalloc'd); every 64th kept pins its region.
    blocks = [bytes(2048) for _ in range(100_000)]
    kept = blocks[::64]
    del blocks
    freed = rss_bytes()
    trim(0)
    trimmed = rss_bytes()
    assert len(kept) == 1563
    assert freed - trimmed > 100 * 2**20, (freed / 2**20, trimmed / 2**20)
