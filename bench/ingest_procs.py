"""Ingest worker processes for the benchmark: N processes in one consumer group, started
together once every partition is assigned, timed until every record is committed.

Each process is a real `IngestWorker` (what `python -m services.ingest` runs) held at a
gate: the group join (seconds on the embedded broker) and a rebalance while the second
member joins are not ingest's work and stay outside the measured span.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from aiokafka import TopicPartition

from services.ingest.config import IngestSettings
from services.ingest.worker import IngestWorker, tune_gc

Span = tuple[str, int, int, int]  # topic, partition, first offset, end offset


class _GatedWorker(IngestWorker):
    """Joins the group at once, reads nothing until the gate opens."""

    def __init__(self, settings: IngestSettings, gate: asyncio.Event) -> None:
        super().__init__(settings)
        self._gate = gate

    async def _loop(self, stop: asyncio.Event) -> None:
        await self._gate.wait()
        await super()._loop(stop)


def child_main(settings_json: str, spans: Sequence[Span], conn: Connection) -> None:
    """Entry point of one worker process (multiprocessing, spawn)."""
    settings = IngestSettings.model_validate_json(settings_json)
    asyncio.run(_child(settings, spans, conn))


async def _child(settings: IngestSettings, spans: Sequence[Span], conn: Connection) -> None:
    tune_gc()  # as python -m services.ingest does
    first = {TopicPartition(t, p): start for t, p, start, _ in spans}
    end = {TopicPartition(t, p): stop for t, p, _, stop in spans}
    gate, stop = asyncio.Event(), asyncio.Event()
    worker = _GatedWorker(settings, gate)
    task = asyncio.create_task(worker.run(stop))
    reported: frozenset[TopicPartition] | None = None
    cpu_started = 0.0
    done = False
    while not task.done():
        assigned = frozenset(worker.consumer.assignment())
        if assigned != reported:
            conn.send(("assigned", len(assigned)))
            reported = assigned
        while conn.poll():
            message = conn.recv()
            if message == "go":
                cpu_started = time.process_time()
                gate.set()
            elif message == "stop":
                stop.set()
        if (
            gate.is_set()
            and not done
            and all(worker.committed.get(tp, first[tp]) >= end[tp] for tp in assigned)
        ):
            done = True
            cpu = time.process_time() - cpu_started
            conn.send(("done", time.monotonic(), cpu, worker.processed))
        await asyncio.sleep(0.002)
    task.result()


@dataclass
class _Child:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    assigned: int = 0
    done: tuple[float, float, int] | None = None  # finished at, CPU seconds, records

    def read(self) -> None:
        while self.conn.poll():
            kind, *values = self.conn.recv()
            if kind == "assigned":
                self.assigned = values[0]
            elif kind == "done":
                self.done = (values[0], values[1], values[2])
        if not self.process.is_alive() and self.done is None:
            raise RuntimeError(f"an ingest process exited with {self.process.exitcode}")


async def measure(
    settings: IngestSettings,
    spans: Sequence[Span],
    processes: int,
    probe: Callable[[], dict[str, float]] = dict,
) -> dict[str, Any]:
    """Start the processes, open their gates together, wait until all is committed.
    `probe` (e.g. CPU seconds of other processes) is read at the start and at the end."""
    context = multiprocessing.get_context("spawn")
    children: list[_Child] = []
    try:
        for _ in range(processes):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=child_main, args=(settings.model_dump_json(), list(spans), child_end)
            )
            process.start()
            children.append(_Child(process, parent_end))
        await _until(
            children,
            lambda: (
                sum(c.assigned for c in children) == len(spans)
                and all(c.assigned for c in children)
            ),
            seconds=180,
        )
        await asyncio.sleep(0.5)  # a settled group: no member is still rebalancing
        await _until(children, lambda: sum(c.assigned for c in children) == len(spans), 30)
        before = probe()
        started = time.monotonic()
        for child in children:
            child.conn.send("go")
        await _until(children, lambda: all(c.done for c in children), seconds=900)
        after = probe()
        finished = [c.done for c in children if c.done]
        return {
            "probe": {name: after[name] - value for name, value in before.items()},
            "seconds": max(at for at, _, _ in finished) - started,
            "worker_cpu_s": [round(cpu, 3) for _, cpu, _ in finished],
            "records_per_process": [n for _, _, n in finished],
        }
    finally:
        for child in children:
            if child.process.is_alive():
                child.conn.send("stop")
        for child in children:
            child.process.join(timeout=60)
            if child.process.is_alive():
                child.process.kill()
                child.process.join()


async def _until(children: list[_Child], condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        for child in children:
            child.read()
        if condition():
            return
        if time.monotonic() > deadline:
            raise TimeoutError("ingest processes did not get there in time")
        await asyncio.sleep(0.005)
