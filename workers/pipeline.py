"""Parse on one thread while writers ingest batches on others: an import's parsing overlaps its writes."""
from __future__ import annotations

import contextvars
import queue
import threading


def pipelined(produce, consume, depth: int = 2, writers: int = 1) -> None:
    """Run `produce` (a generator of batches) on a thread while `writers` threads (this one included) each take
    a batch and `consume` it: parsing overlaps writing, and with two writers the database works on two batches
    at once (ingest is safe for concurrent batches: the API runs them side by side too). `consume` must guard
    its own shared state. An exception anywhere stops everything and is raised here."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    failure: list[BaseException] = []
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for batch in produce():
                if not put(batch):
                    return
        except BaseException as exc:  # handed to the writers' side
            failure.append(exc)
            stop.set()
        finally:
            put(done)

    def write() -> None:
        try:
            while not stop.is_set():
                try:
                    batch = q.get(timeout=0.2)
                except queue.Empty:
                    continue
                if batch is done:
                    put(done)       # for the next writer
                    return
                consume(batch)
        except BaseException as exc:
            failure.append(exc)
            stop.set()

    producer = threading.Thread(target=run, name="import-producer", daemon=True)
    producer.start()
    # Extra writers run in a copy of this context: the tenant scope is a context variable.
    extra = [threading.Thread(target=contextvars.copy_context().run, args=(write,), name=f"import-writer-{i}",
                              daemon=True) for i in range(1, writers)]
    for t in extra:
        t.start()
    write()
    for t in extra:
        t.join()
    stop.set()
    producer.join()
    if failure:
        raise failure[0]
