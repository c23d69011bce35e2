#!/usr/bin/python3
"""bench_ot.py — clafuse's OT solvers against POT and SciPy on the same
cost matrices, in one run.

Writes each cost matrix once (clafuse's binary format, share/doc/ot.md),
times the peers in this process and clafuse through `clafuse ot --repeat`
(its own solve time, file I/O excluded, best of N after a warm-up), and
prints one table row per (case, peer): times, the ratio peer/clafuse and
the relative objective difference.  Threads are set before numpy loads.
Run it through bench_ot.sh.
"""
import argparse, os, struct, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument('--clafuse', required=True)
ap.add_argument('--threads', type=int, default=1)
ap.add_argument('--quick', action='store_true', help='skip n = 4096 (and 2048 for Sinkhorn)')
ap.add_argument('--dir', default='/tmp/cf_bench_ot')
ap.add_argument('--sinkhorn-n', type=int, default=256)
ap.add_argument('--sinkhorn-iter', type=int, default=20000)
ap.add_argument('--sinkhorn-tol', type=float, default=1e-6)
args = ap.parse_args()
for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[v] = str(args.threads)

import numpy as np                      # noqa: E402  (after the thread settings)
import ot                               # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402
import warnings                         # noqa: E402
warnings.filterwarnings('ignore')
os.makedirs(args.dir, exist_ok=True)


def cloud(n, seed):
    return np.random.default_rng(seed).normal(size=(n, 64))


def cost(n, m, metric):
    X, Y = cloud(n, 1), cloud(m, 2) + 0.25
    M = ot.dist(X, Y, metric='sqeuclidean')
    M = np.maximum(M, 0)
    return np.sqrt(M) if metric == 'euclidean' else M


def write(M, name):
    path = os.path.join(args.dir, name + '.bin')
    if not os.path.exists(path):
        with open(path + '.tmp', 'wb') as f:
            f.write(b'CFMAT001' + struct.pack('<qq', *M.shape))
            f.write(np.ascontiguousarray(M, dtype='<f8').tobytes())
        os.replace(path + '.tmp', path)
    return path


def timed(fn, reps):
    best, out = float('inf'), None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def clafuse(path, solver, reps, extra=()):
    cmd = [args.clafuse, 'ot', path, '--solver', solver, '--repeat', str(reps)] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True)
    info = {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition(' ')
        info[k] = v.strip()
    if 'time' not in info:
        sys.exit('clafuse failed: %s\n%s' % (' '.join(cmd), p.stderr))
    return float(info['time'].split()[0]), float(info['cost']), info


rows = []


def row(case, peer, tp, cp, tc, cc, note=''):
    rel = abs(cc - cp) / max(abs(cp), 1e-300) if cp == cp else float('nan')
    rows.append((case, peer, tp, tc, tp / tc if tc > 0 else float('inf'), rel, note))
    print('%-28s %-22s %9.4f %9.4f %7.2fx %9.1e  %s' % rows[-1], flush=True)


print('threads %d   numpy %s   POT %s   OPENBLAS_CORETYPE=%s   LD_LIBRARY_PATH=%s'
      % (args.threads, np.__version__, ot.__version__, os.environ.get('OPENBLAS_CORETYPE', '(unset)'),
         os.environ.get('LD_LIBRARY_PATH', '(unset)')))
print('%-28s %-22s %9s %9s %8s %9s  %s' % ('case', 'peer', 'peer s', 'clafuse s', 'ratio', 'rel.diff', 'note'))
sizes = [128, 256, 512, 1024, 2048] + ([] if args.quick else [4096])
for metric in ('sqeuclidean', 'euclidean'):
    for n in sizes:
        M = cost(n, n, metric)
        path = write(M, 'sq%d_%s' % (n, metric))
        a = np.full(n, 1.0 / n)
        reps = 3 if n <= 1024 else 1
        tc, cc, info = clafuse(path, 'exact', reps)
        tpe, G = timed(lambda: ot.emd(a, a, M, numItermax=100000000), reps)
        row('%dx%d %s' % (n, n, metric[:5]), 'POT ot.emd', tpe, float((G * M).sum()), tc, cc, info['solver'])
        tp, rc = timed(lambda: linear_sum_assignment(M), reps)
        row('%dx%d %s' % (n, n, metric[:5]), 'SciPy lin_sum_assign', tp, float(M[rc].sum() / n), tc, cc, info['solver'])
        if n <= 1024:
            te, ce, _ = clafuse(path, 'emd', reps)
            row('%dx%d %s' % (n, n, metric[:5]), 'POT ot.emd', tpe, float((G * M).sum()), te, ce, 'cf emd (simplex)')
    # non-uniform marginals (uniform on [0.5, 1.5], normalised): the network
    # simplex against ot.emd on square problems
    for n in [k for k in sizes if k >= 512]:
        M = cost(n, n, metric)
        path = write(M, 'sq%d_%s' % (n, metric))
        rng = np.random.default_rng(n + 7)
        a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)
        a, b = a / a.sum(), b / b.sum()
        wa, wb = path[:-4] + '.nu.a', path[:-4] + '.nu.b'
        np.savetxt(wa, a, fmt='%.17g')
        np.savetxt(wb, b, fmt='%.17g')
        reps = 3 if n <= 1024 else 1
        tc, cc, info = clafuse(path, 'emd', reps, ['--a', wa, '--b', wb])
        tp, G = timed(lambda: ot.emd(a, b, M, numItermax=100000000), reps)
        row('%dx%d %s non-unif' % (n, n, metric[:5]), 'POT ot.emd', tp, float((G * M).sum()), tc, cc, info['solver'])
    for (n, m) in ((400, 200), (1024, 400), (512, 256)):
        M = cost(n, m, metric)
        path = write(M, 'r%dx%d_%s' % (n, m, metric))
        a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
        tc, cc, info = clafuse(path, 'emd', 3)
        tp, G = timed(lambda: ot.emd(a, b, M, numItermax=100000000), 3)
        row('%dx%d %s' % (n, m, metric[:5]), 'POT ot.emd', tp, float((G * M).sum()), tc, cc, info['solver'])

# Sinkhorn, log domain, eps relative to max(M).  Same threshold for both
# sides (--sinkhorn-tol, default 1e-6): clafuse stops when the L1 error of
# rows + columns of the returned plan is <= tol; POT's stopThr is checked
# every 10 iterations on the L2 norm of the column error (a weaker test), so
# POT's real L1 error is printed too.  Both sides get the same iteration cap.
n = args.sinkhorn_n
M = cost(n, n, 'sqeuclidean')
path = write(M, 'sq%d_sqeuclidean' % n)
a = np.full(n, 1.0 / n)
tol = args.sinkhorn_tol
print('Sinkhorn %dx%d sqeuclidean, tol %g (clafuse: L1 rows+cols; POT stopThr: L2 of columns), cap %d it'
      % (n, n, tol, args.sinkhorn_iter))
for rel in (1e-1, 1e-2, 1e-3):
    eps = rel * M.max()

    def pot_log():
        return ot.bregman.sinkhorn_log(a, a, M, eps, numItermax=args.sinkhorn_iter, stopThr=tol, log=True)
    tp, (G, lg) = timed(pot_log, 1)
    it_p = int(lg.get('niter', len(lg['err']) * 10))
    fin = bool(np.isfinite(G).all())
    e_p = float(np.abs(G.sum(1) - a).sum() + np.abs(G.sum(0) - a).sum()) if fin else float('nan')
    conv_p = fin and it_p < args.sinkhorn_iter - 1
    for solver in ('sinkhorn-log', 'sinkhorn-eps'):
        tc, cc, info = clafuse(path, solver, 1, ['--reg', repr(rel), '--reg-rel', 'max', '--tol', repr(tol),
                                                  '--max-iter', str(args.sinkhorn_iter)])
        it_c = int(info['iterations'])
        row('%dx%d sinkhorn eps=%g*max' % (n, n, rel), 'POT sinkhorn_log', tp, float(np.nansum(G * M)), tc, cc,
            'cf %s %s %d it; POT %s %d it, L1 err %.2g%s'
            % (solver, info['status'].split()[0], it_c,
               'converged' if conv_p else 'NOT converged', it_p, e_p, '' if fin else ' (NaN in plan)'))
    for name, fn in (('plain', ot.bregman.sinkhorn_knopp), ('stabilized', ot.bregman.sinkhorn_stabilized)):
        G2 = fn(a, a, M, eps, numItermax=1000, stopThr=tol)
        e = np.abs(G2.sum(1) - a).sum() + np.abs(G2.sum(0) - a).sum()
        print('    POT sinkhorn %-10s at eps=%g*max: %s, L1 marginal error %.2g after <=1000 it'
              % (name, rel, 'NaN in plan' if not np.isfinite(G2).all() else 'finite', e))
