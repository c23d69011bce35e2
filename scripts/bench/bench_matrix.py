"""bench_matrix.py — one round of the numpy side of bench_matrix.sh: the
same operations as bench_matrix.lua on an n×n float64 array of values in
[0.5, 1.5), each called once untimed to warm up, then timed alone `reps`
times, "op wall cpu" lines."""
import sys
import time

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
rng = np.random.default_rng(1)
A = rng.random((n, n)) + 0.5
row, col = rng.random(n), rng.random((n, 1))
# numpy's axis is 0-based: Matrix dimension 1 (reduce down the columns) is axis 0
ops = [
    ("sum", lambda: A.sum()),
    ("sum(1)", lambda: A.sum(axis=0)),
    ("sum(2)", lambda: A.sum(axis=1)),
    ("mean(1)", lambda: A.mean(axis=0)),
    ("var(1)", lambda: A.var(axis=0)),
    ("std(2)", lambda: A.std(axis=1)),
    ("max(1)", lambda: A.max(axis=0)),
    ("argmax(2)", lambda: A.argmax(axis=1)),
    ("sqrt", lambda: np.sqrt(A)),
    ("exp", lambda: np.exp(A)),
    ("log", lambda: np.log(A)),
    ("abs", lambda: np.abs(A)),
    ("A*2", lambda: A * 2),
    ("A+row", lambda: A + row),
    ("A*col", lambda: A * col),
]
for name, f in ops:
    del_me = f()  # warm-up, not timed (as bench_matrix.lua)
    del del_me
    for _ in range(reps):
        w0, c0 = time.perf_counter(), time.process_time()
        r = f()
        c1, w1 = time.process_time(), time.perf_counter()
        del r
        print(name, w1 - w0, c1 - c0)
