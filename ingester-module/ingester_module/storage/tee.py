"""One upload streamed to every SE of its copy plan at once: one reader of the client's body
feeds one small bounded queue per SE, so memory stays flat and the slowest SE sets the pace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from ingester_module.errors import ClientStalled
from ingester_module.storage.body import FileBody

# Network-sized chunks are joined into pieces of about PIECE bytes before they go to the
# SEs: per-piece costs (queues, HTTP chunk framing, deadlines) are paid twice, on a busy CPU.
PIECE = 512 * 1024
QUEUE_CHUNKS = 4  # pieces per SE


class Branch:
    """One SE's view of the teed body, shaped like ``FileBody`` for ``StorageClient._send``.

    A failed branch is not retried (``replayable`` False): the other SE goes on, and the
    placer makes the missing copy SE → SE."""

    replayable = False
    error: BaseException | None = None  # the client's errors end the pump, not a branch

    def __init__(self, wake: asyncio.Event) -> None:
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_CHUNKS)
        self._wake = wake
        self.started = False  # the SE asked for the body (100 Continue)
        self.done = False  # its PUT is over: the pump no longer feeds it
        self.finished = False
        self.waiting_on_client = False
        # arg: the body is complete; None: waiting on the pump, which watches the client
        # and the other SE, so no deadline of this SE's own runs meanwhile
        self.on_progress: Callable[[bool | None], None] | None = None

    def _progress(self, state: bool | None) -> None:
        if self.on_progress is not None:
            self.on_progress(state)

    def stream(self) -> AsyncIterator[bytes]:
        return self._generate()

    async def _generate(self) -> AsyncIterator[bytes]:
        self.started = True
        self._wake.set()
        while True:
            self._progress(None)
            chunk = await self.queue.get()
            if chunk is None:
                self.finished = True
                self._progress(True)
                return
            self._progress(False)
            yield chunk

    def close(self) -> None:
        self.done = True
        while not self.queue.empty():  # unblocks a pump waiting for room
            self.queue.get_nowait()
        self._wake.set()


async def pump(body: FileBody, branches: list[Branch], tasks: list[asyncio.Task],
               stall: float) -> None:
    """Reads the body once and hands each piece, then the end (None), to every live branch.
    Starts reading only when an SE asked for the body, so two refusals up front leave it
    replayable."""
    wake = branches[0]._wake
    while not any(b.started for b in branches):
        if all(b.done for b in branches):
            return
        await wake.wait()
        wake.clear()
    chunks = body.stream()
    try:
        ended = False
        while any(not b.done for b in branches):
            piece: list[bytes] = []
            size = 0
            while size < PIECE and not ended:
                try:
                    async with asyncio.timeout(stall):
                        part = await anext(chunks)
                except StopAsyncIteration:
                    ended = True
                    break
                except TimeoutError:
                    raise ClientStalled() from None
                piece.append(part)
                size += len(part)
            chunk: bytes | None = b"".join(piece) if piece else None
            for branch, task in zip(branches, tasks, strict=True):
                if branch.done:
                    continue
                try:
                    async with asyncio.timeout(stall):
                        await branch.queue.put(chunk)
                except TimeoutError:  # this SE stopped taking bytes; the other goes on
                    branch.close()
                    task.cancel()
            if chunk is None:
                return
    except BaseException:
        for task in tasks:  # the client's fault: no SE may keep a partial body
            task.cancel()
        raise
    finally:
        await chunks.aclose()
