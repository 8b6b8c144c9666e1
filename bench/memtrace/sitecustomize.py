"""Diagnostics for `bench/load.py --memtrace MODE`: loaded (through PYTHONPATH) into daphne-1 only.

From the moment the file named by $IE_MEMTRACE_GO appears (the bench creates it when the measured
window opens), every $IE_MEMTRACE_EVERY seconds this writes one line to `timeline.tsv` in
$IE_MEMTRACE_DIR: the process's RSS, the memory Python's allocator holds in live blocks and the number
of live objects the garbage collector tracks; and a sample of the live objects by type
(`objects-NNN.json`). In MODE `tracemalloc` it also traces every allocation (one frame, started at
interpreter start-up) and dumps snapshots; that slows the process several-fold, so its latencies and
throughput no longer mean anything. Never used in production.
"""
import collections
import gc
import json
import os
import sys
import threading
import time
import tracemalloc

_folder = os.environ.get("IE_MEMTRACE_DIR")


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _watch(folder: str, go: str, every: float, tracing: bool) -> None:
    while not os.path.exists(go):
        time.sleep(0.5)
    index = 0
    while True:
        objects = gc.get_objects()
        counts = collections.Counter(type(o).__qualname__ for o in objects)
        live = len(objects)
        del objects
        with open(os.path.join(folder, f"objects-{index:03d}.json"), "w") as out:
            json.dump(dict(counts.most_common(400)), out)
        traced = 0
        if tracing:
            tracemalloc.take_snapshot().dump(os.path.join(folder, f"snapshot-{index:03d}.pickle"))
            traced = tracemalloc.get_traced_memory()[0] // 1024
        with open(os.path.join(folder, "timeline.tsv"), "a") as timeline:
            timeline.write(f"{index}\t{time.time():.0f}\t{_rss_kib()}\t{sys.getallocatedblocks()}\t{live}\t{traced}\n")
        index += 1
        time.sleep(every)


if _folder:
    _tracing = os.environ.get("IE_MEMTRACE_MODE") == "tracemalloc"
    if _tracing:
        tracemalloc.start(1)
    threading.Thread(target=_watch, name="memtrace", daemon=True,
                     args=(_folder, os.environ["IE_MEMTRACE_GO"], float(os.environ.get("IE_MEMTRACE_EVERY", "60")),
                           _tracing)).start()
