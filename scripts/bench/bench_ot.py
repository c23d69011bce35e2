#!/usr/bin/python3
"""bench_ot.py — clafuse's OT solvers against POT and SciPy on the same
cost matrices, in one run, timing the same work on both sides.

Writes each cost matrix once (clafuse's binary format, share/doc/ot.md).
A clafuse call is `clafuse ot FILE` in its own process; the time it prints
covers solve + dense plan + cost (file reading excluded), as POT's ot.emd
(solve + dense plan) followed by the cost sum, and SciPy's
linear_sum_assignment (solve; its assignment is the plan) followed by the
cost sum.  The peer runs in this process.  For each case both sides run
REPS times, interleaved (peer first on even rounds, clafuse first on odd
ones), and the medians of wall and CPU time (process CPU, all threads) are
compared.  Threads are set before numpy loads; the load average is printed
before and after.  Run it through bench_ot.sh.
"""
import argparse, os, statistics, struct, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument('--clafuse', required=True)
ap.add_argument('--threads', type=int, default=1)
ap.add_argument('--quick', action='store_true', help='skip n = 4096 and the slow Sinkhorn cases')
ap.add_argument('--only', choices=('exact', 'sinkhorn', 'sparse'), action='append',
                help='run only these sections (default: all)')
ap.add_argument('--reps', type=int, default=0, help='rounds per case (default 7, 5 at n = 2048, 3 at 4096)')
ap.add_argument('--dir', default='/tmp/cf_bench_ot')
ap.add_argument('--sinkhorn-n', type=int, default=256)
ap.add_argument('--sinkhorn-iter', type=int, default=20000)
ap.add_argument('--sinkhorn-tol', type=float, default=1e-6)
args = ap.parse_args()
for v in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[v] = str(args.threads)
sections = args.only or ['exact', 'sinkhorn', 'sparse']

import numpy as np                      # noqa: E402  (after the thread settings)
from scipy.optimize import linear_sum_assignment  # noqa: E402
import scipy                            # noqa: E402
try:
    import ot                           # noqa: E402
except ImportError:                     # Debian 12: apt-get install python3-pot
    ot = None
import warnings                         # noqa: E402
warnings.filterwarnings('ignore')
os.makedirs(args.dir, exist_ok=True)


def cloud(n, seed):
    return np.random.default_rng(seed).normal(size=(n, 64))


def cost(n, m, metric):
    X, Y = cloud(n, 1), cloud(m, 2) + 0.25
    M = (X * X).sum(1)[:, None] + (Y * Y).sum(1)[None, :] - 2 * X @ Y.T
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


def peer_once(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def clafuse_once(path, solver, extra=()):
    cmd = [args.clafuse, 'ot', path, '--solver', solver] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True)
    info = {}
    for line in p.stdout.splitlines():
        k, _, v = line.partition(' ')
        info[k] = v.strip()
    if 'time' not in info:
        sys.exit('clafuse failed: %s\n%s' % (' '.join(cmd), p.stderr))
    return float(info['time'].split()[0]), float(info['cpu'].split()[0]), info


def race(reps, peer_fn, path, solver, extra=(), slow=False):
    """Interleaved rounds; returns medians (peer wall, cpu), (cf wall, cpu),
    the peer's last output and clafuse's last report."""
    pw, pc, cw, cc = [], [], [], []
    pout = info = None
    if reps > 1 and not slow:
        peer_fn()           # warm-up: the peer's one-time costs (imports, caches)
    for r in range(reps):
        order = (0, 1) if r % 2 == 0 else (1, 0)
        for side in order:
            if side == 0:
                w, c, pout = peer_once(peer_fn)
                pw.append(w)
                pc.append(c)
            else:
                w, c, info = clafuse_once(path, solver, extra)
                cw.append(w)
                cc.append(c)
    med = statistics.median
    return (med(pw), med(pc)), (med(cw), med(cc)), pout, info


def row(case, peer, pt, ct, cp, cc, note=''):
    rel = abs(cc - cp) / max(abs(cp), 1e-300) if cp == cp else float('nan')
    print('%-24s %-20s %8.4f %8.4f %6.2fx %8.4f %8.4f %6.2fx %8.1e  %s'
          % (case, peer, pt[0], ct[0], pt[0] / ct[0], pt[1], ct[1], pt[1] / max(ct[1], 1e-9), rel, note),
          flush=True)


def reps_for(n):
    if args.reps:
        return args.reps
    return 7 if n <= 1024 else (5 if n <= 2048 else 3)


print('%s  threads %d  numpy %s  SciPy %s  POT %s  OPENBLAS_CORETYPE=%s  LD_LIBRARY_PATH=%s'
      % (time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), args.threads, np.__version__, scipy.__version__,
         ot.__version__ if ot else 'not installed', os.environ.get('OPENBLAS_CORETYPE', '(unset)'),
         os.environ.get('LD_LIBRARY_PATH', '(unset)')))
print('load average before: %.2f %.2f %.2f on %d cores' % (os.getloadavg() + (os.cpu_count(),)))
print('times: medians of interleaved rounds; clafuse = solve + dense plan + cost; POT ot.emd = solve + dense '
      'plan, + cost sum; SciPy = linear_sum_assignment + cost sum')
print('%-24s %-20s %8s %8s %7s %8s %8s %7s %8s  %s'
      % ('case', 'peer', 'peer wall', 'cf wall', 'ratio', 'peer cpu', 'cf cpu', 'ratio', 'rel.diff', 'note'))

if 'exact' in sections:
    sizes = [512, 1024, 2048] + ([] if args.quick else [4096])
    for n in sizes:
        M = cost(n, n, 'sqeuclidean')
        path = write(M, 'sq%d_sqeuclidean' % n)
        a = np.full(n, 1.0 / n)
        case = '%dx%d sqeuc' % (n, n)
        if ot:
            def pot():
                G = ot.emd(a, a, M, numItermax=100000000)
                return float((G * M).sum())
            pt, ct, cp, info = race(reps_for(n), pot, path, 'exact', slow=n > 1024)
            row(case, 'POT ot.emd', pt, ct, cp, float(info['cost']), 'cf ' + info['solver'])

        def lsa():
            r, c = linear_sum_assignment(M)
            return float(M[r, c].sum() / n)
        pt, ct, cp, info = race(reps_for(n), lsa, path, 'exact', slow=n > 1024)
        row(case, 'SciPy lin_sum_assign', pt, ct, cp, float(info['cost']), 'cf ' + info['solver'])
    # non-uniform marginals (uniform on [0.5, 1.5], normalised): the network
    # simplex against ot.emd
    for n in ([512, 1024, 2048] if ot else []):
        M = cost(n, n, 'sqeuclidean')
        path = write(M, 'sq%d_sqeuclidean' % n)
        rng = np.random.default_rng(n + 7)
        a, b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)
        a, b = a / a.sum(), b / b.sum()
        wa, wb = path[:-4] + '.nu.a', path[:-4] + '.nu.b'
        np.savetxt(wa, a, fmt='%.17g')
        np.savetxt(wb, b, fmt='%.17g')

        def pot():
            G = ot.emd(a, b, M, numItermax=100000000)
            return float((G * M).sum())
        pt, ct, cp, info = race(reps_for(n), pot, path, 'emd', ['--a', wa, '--b', wb], slow=n > 1024)
        row('%dx%d sqeuc non-unif' % (n, n), 'POT ot.emd', pt, ct, cp, float(info['cost']), 'cf ' + info['solver'])
    for (n, m) in ((400, 200), (1024, 400)) if ot else ():
        M = cost(n, m, 'sqeuclidean')
        path = write(M, 'r%dx%d_sqeuclidean' % (n, m))
        a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)

        def pot():
            G = ot.emd(a, b, M, numItermax=100000000)
            return float((G * M).sum())
        pt, ct, cp, info = race(reps_for(n), pot, path, 'emd')
        row('%dx%d sqeuc' % (n, m), 'POT ot.emd', pt, ct, cp, float(info['cost']), 'cf ' + info['solver'])

# Sinkhorn, log domain, eps relative to max(M).  clafuse stops when the L1
# error of rows + columns of the returned plan is <= tol; POT's stopThr is
# checked every 10 iterations on the L2 norm of the column error (a weaker
# test), so POT's real L1 error is printed too.  Same iteration cap.
if 'sinkhorn' in sections and ot:
    n = args.sinkhorn_n
    M = cost(n, n, 'sqeuclidean')
    path = write(M, 'sq%d_sqeuclidean' % n)
    a = np.full(n, 1.0 / n)
    tol = args.sinkhorn_tol
    print('Sinkhorn %dx%d sqeuclidean, tol %g (clafuse: L1 rows+cols; POT stopThr: L2 of columns), cap %d it'
          % (n, n, tol, args.sinkhorn_iter))
    for rel in (1e-1, 1e-2) + (() if args.quick else (1e-3,)):
        eps = rel * M.max()

        def pot_log():
            G, lg = ot.bregman.sinkhorn_log(a, a, M, eps, numItermax=args.sinkhorn_iter, stopThr=tol, log=True)
            return G, lg, float(np.nansum(G * M))
        for solver in ('sinkhorn-log', 'sinkhorn-eps', 'sinkhorn-sparse'):
            pt, ct, (G, lg, cp), info = race(3 if rel < 1e-2 else 5, pot_log, path, solver,
                                             ['--reg', repr(rel), '--reg-rel', 'max', '--tol', repr(tol),
                                              '--max-iter', str(args.sinkhorn_iter)], slow=rel < 1e-2)
            it_p = int(lg.get('niter', len(lg['err']) * 10))
            fin = bool(np.isfinite(G).all())
            e_p = float(np.abs(G.sum(1) - a).sum() + np.abs(G.sum(0) - a).sum()) if fin else float('nan')
            conv_p = fin and it_p < args.sinkhorn_iter - 1
            row('%d² sk eps=%g*max' % (n, rel), 'POT sinkhorn_log', pt, ct, cp, float(info['cost']),
                'cf %s %s %s it, L1 err %s; POT %s %d it, L1 err %.2g%s'
                % (solver, info['status'].split()[0], info['iterations'], info['error'].split()[0],
                   'converged' if conv_p else 'NOT converged', it_p, e_p, '' if fin else ' (NaN in plan)'))

# Small eps on large problems: the sparse stabilised solver against the
# dense log-domain solvers (POT's sinkhorn_log would take minutes here).
if 'sparse' in sections:
    tol = args.sinkhorn_tol
    cases = [(1024, 1e-3)] + ([] if args.quick else [(2048, 1e-4)])
    print('Small eps, sqeuclidean, tol %g (L1 rows+cols of the returned plan), clafuse only, one run each'
          % tol)
    print('%-24s %-16s %9s %9s %9s %-10s %9s %10s  %s'
          % ('case', 'solver', 'wall s', 'cpu s', 'iter', 'status', 'L1 err', 'cost', 'note'))
    for (n, rel) in cases:
        M = cost(n, n, 'sqeuclidean')
        path = write(M, 'sq%d_sqeuclidean' % n)
        solvers = ['sinkhorn-sparse', 'sinkhorn-eps'] if n <= 1024 else ['sinkhorn-sparse']
        ref = None
        for solver in solvers:
            _, _, info = clafuse_once(path, solver, ['--reg', repr(rel), '--reg-rel', 'max', '--tol', repr(tol),
                                                     '--max-iter', '1000000'])
            c = float(info['cost'])
            ref = c if ref is None else ref
            print('%-24s %-16s %9.3f %9.3f %9s %-10s %9s %10.6g  %s'
                  % ('%d² eps=%g*max' % (n, rel), solver, float(info['time'].split()[0]),
                     float(info['cpu'].split()[0]), info['iterations'], info['status'].split()[0],
                     info['error'].split()[0], c,
                     'rel. diff to sparse %.1e; %s' % (abs(c - ref) / abs(ref), info['status'])), flush=True)
print('load average after: %.2f %.2f %.2f' % os.getloadavg())
