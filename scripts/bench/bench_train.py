#!/usr/bin/python3
"""bench_train.py — one epoch of SGD training with clafuse and with PyTorch
on the same machine, in the same run, at the same thread counts.

Two roles in one file:

  driver (default)   for each model and thread count, runs
                     `clafuse train ... --threads t` and then a PyTorch
                     worker (this file with --worker) in a fresh process,
                     each with OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = t set
                     before any BLAS loads; repeats --repeat times, keeps the
                     best samples/s of each side, and prints the table.
  --worker           trains the PyTorch equivalent of one clafuse
                     architecture for one epoch and prints a RESULT line.

The PyTorch side mirrors clafuse's recipe: Fashion-MNIST read with gzip +
numpy, normalised with clafuse's default mean/std, SGD(lr, momentum), batch
64, mean cross-entropy, running loss/accuracy as clafuse keeps them.  For
fairness it has no DataLoader: the epoch walks a tensor shuffled before the
clock starts, after a few warm-up batches (whose updates are then undone).
Only the training loop is timed, as clafuse's per-epoch `time` is.
Run it through bench_train.sh, which sets LD_LIBRARY_PATH so that numpy and
torch use the same OpenBLAS as clafuse.
"""
import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile
import time

DATA_DIR = '/usr/share/datasets/fashion-mnist'
MEAN, STD = 0.2860406, 0.3530242          # clafuse's Fashion-MNIST defaults

MODELS = [
    # (label, clafuse architecture, goal ratio clafuse/PyTorch, default
    # repeats: an MLP epoch takes seconds, so best-of-3 is cheap there)
    ('mlp', 'mlp 784-400-200-100-10 nobias', 1.0, 3),
    ('cnn', 'vgg 32 M 64 M classes 10 in 1x28x28', 0.7, 1),
]


# ---------------------------------------------------------------- worker --

def load_idx_gz(path):
    """An IDX file (gzip) as a numpy array of its stored shape."""
    import numpy as np
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        sys.exit('%s: not an unsigned-byte IDX file' % path)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def torch_model(desc):
    """The PyTorch network for the two description forms the benchmark
    uses: 'mlp W0-...-Wk [nobias]' and 'vgg (INT|M)... [classes K]
    [in CxHxW] [nobias]' (3x3 pad-1 convs + ReLU, M = 2x2 max-pool, then
    flatten + Linear), with PyTorch's default initialisation."""
    import torch.nn as nn
    tok = desc.split()
    bias = 'nobias' not in tok
    if tok[0] == 'mlp':
        widths = [int(w) for w in tok[1].split('-')]
        layers = [nn.Flatten()]
        for i in range(len(widths) - 1):
            if i:
                layers.append(nn.ReLU())
            layers.append(nn.Linear(widths[i], widths[i + 1], bias=bias))
        return nn.Sequential(*layers), (widths[0],)
    if tok[0] == 'vgg':
        c, h, w, k = 3, 32, 32, 10
        i, feats = 1, []
        while i < len(tok):
            t = tok[i]
            if t == 'classes':
                k = int(tok[i + 1]); i += 2; continue
            if t == 'in':
                c, h, w = (int(v) for v in tok[i + 1].split('x')); i += 2; continue
            if t in ('nobias', 'bias'):
                i += 1; continue
            feats.append(t); i += 1
        layers, ch, hh, ww = [], c, h, w
        for f in feats:
            if f.upper() == 'M':
                layers.append(nn.MaxPool2d(2, 2)); hh //= 2; ww //= 2
            else:
                layers += [nn.Conv2d(ch, int(f), 3, padding=1, bias=bias), nn.ReLU()]
                ch = int(f)
        layers += [nn.Flatten(), nn.Linear(ch * hh * ww, k, bias=bias)]
        return nn.Sequential(*layers), (c, h, w)
    sys.exit('bench_train.py: architecture %r is not one the benchmark knows' % desc)


def worker(args):
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x = load_idx_gz(os.path.join(DATA_DIR, 'train-images-idx3-ubyte.gz'))
    y = load_idx_gz(os.path.join(DATA_DIR, 'train-labels-idx1-ubyte.gz'))
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(x))
    if args.subset:
        perm = perm[:args.subset]
    model, shape = torch_model(args.arch)
    # Pre-shuffled and pre-normalised: the timed loop only slices.
    xs = ((x[perm].astype(np.float32) / 255.0 - MEAN) / STD).reshape((len(perm),) + shape)
    X = torch.from_numpy(np.ascontiguousarray(xs))
    Y = torch.from_numpy(y[perm].astype(np.int64))
    n, b = X.shape[0], args.batch
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        loss.backward()
        opt.step()
        return out, loss

    # Warm-up (allocator, oneDNN primitive creation, thread pool start),
    # then put the weights back and start from fresh momentum.
    init = {k: v.clone() for k, v in model.state_dict().items()}
    for i in range(args.warmup):
        s = (i * b) % max(n - b, 1)
        step(X[s:s + b], Y[s:s + b])
    model.load_state_dict(init)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)

    loss_sum, correct = 0.0, 0
    t0 = time.perf_counter()
    for s in range(0, n, b):
        xb, yb = X[s:s + b], Y[s:s + b]
        out, loss = step(xb, yb)
        # The running figures clafuse keeps too.
        loss_sum += loss.item() * xb.shape[0]
        correct += int((out.argmax(1) == yb).sum())
    dt = time.perf_counter() - t0
    nparam = sum(p.numel() for p in model.parameters())
    print('RESULT samples_per_s=%.1f seconds=%.3f loss=%.4f acc=%.4f params=%d n=%d'
          % (n / dt, dt, loss_sum / n, correct / n, nparam, n))


# ---------------------------------------------------------------- driver --

def thread_env(t):
    env = dict(os.environ)
    env['OPENBLAS_NUM_THREADS'] = str(t)
    env['OMP_NUM_THREADS'] = str(t)
    env['MKL_NUM_THREADS'] = str(t)
    return env


def run_clafuse(args, arch, t, subset, tmp):
    out = os.path.join(tmp, 'bench.safetensors')
    cmd = [args.clafuse, 'train', '--arch', arch, '--data', 'fashion-mnist',
           '--epochs', '1', '--batch', str(args.batch), '--lr', str(args.lr),
           '--momentum', str(args.momentum), '--threads', str(t), '--no-test',
           '--seed', str(args.seed), '-o', out]
    if subset:
        cmd += ['--subset', str(subset)]
    p = subprocess.run(cmd, env=thread_env(t), cwd=tmp, capture_output=True, text=True)
    if p.returncode:
        sys.exit('bench_train.py: %s failed:\n%s%s' % (' '.join(cmd), p.stdout, p.stderr))
    # epoch  lr  loss  train  test  t-loss  time  samples/s
    m = re.search(r'^\s*1/1\s+\S+\s+(\S+)\s+(\S+)%\s+\S+\s+\S+\s+(\S+)s\s+(\d+)\s*$',
                  p.stdout, re.M)
    if not m:
        sys.exit('bench_train.py: cannot read the epoch line of clafuse train:\n' + p.stdout)
    info = subprocess.run([args.clafuse, 'info', out], capture_output=True, text=True).stdout
    pm = re.search(r'parameters\s+(\d+)', info)
    return {'sps': float(m.group(4)), 'seconds': float(m.group(3)),
            'loss': float(m.group(1)), 'acc': float(m.group(2)) / 100,
            'params': int(pm.group(1)) if pm else -1}


def torch_variants(t):
    """Environments to run the PyTorch worker in; the faster one counts.
    torch's OpenMP pool spins at its barriers by default; on a 2-core
    machine that other work shares, a spinning thread can wait a whole
    scheduler slice for its descheduled partner at every parallel region,
    and 2-thread PyTorch then runs 10-20x SLOWER than 1-thread (measured
    here).  So with t > 1 PyTorch also gets a run with
    OMP_WAIT_POLICY=PASSIVE, unless the user set the variable."""
    if t > 1 and 'OMP_WAIT_POLICY' not in os.environ:
        return [('omp-passive', {'OMP_WAIT_POLICY': 'PASSIVE'}), ('default', {})]
    return [('default', {})]


def run_torch(args, arch, t, subset, extra_env=None, timeout=None):
    """The worker's figures, or None when it ran past timeout seconds."""
    cmd = [sys.executable, os.path.abspath(__file__), '--worker', '--arch', arch,
           '--threads', str(t), '--batch', str(args.batch), '--lr', str(args.lr),
           '--momentum', str(args.momentum), '--seed', str(args.seed),
           '--warmup', str(args.warmup), '--subset', str(subset or 0)]
    env = thread_env(t)
    env.update(extra_env or {})
    try:
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    m = re.search(r'^RESULT (.*)$', p.stdout, re.M)
    if p.returncode or not m:
        sys.exit('bench_train.py: PyTorch worker failed:\n%s%s' % (p.stdout, p.stderr))
    kv = dict(f.split('=') for f in m.group(1).split())
    return {'sps': float(kv['samples_per_s']), 'seconds': float(kv['seconds']),
            'loss': float(kv['loss']), 'acc': float(kv['acc']), 'params': int(kv['params'])}


def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def torch_blas_core():
    """The OpenBLAS kernel set the PyTorch worker would load, under the
    current environment."""
    p = subprocess.run(
        [sys.executable, '-c',
         'import ctypes, torch\n'
         'l = ctypes.CDLL("libopenblas.so.0")\n'
         'l.openblas_get_corename.restype = ctypes.c_char_p\n'
         'print(l.openblas_get_corename().decode())\n'],
        env=thread_env(1), capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def match_blas(args, version):
    """Both sides must run the same BLAS kernels.  OpenBLAS chooses them
    from the CPU model when it loads and, on a CPU newer than the library,
    falls back to SSE3 ("Prescott") kernels; clafuse then re-executes itself
    with OPENBLAS_CORETYPE set to a better set (its --version names the one
    it runs), which torch, loading the same library, would not.  Unless the
    user set OPENBLAS_CORETYPE (kept as it is for both sides) or passed
    --no-match-blas, export clafuse's choice for BOTH sides."""
    args.blas_note = ''
    m = re.search(r'\((\w+) kernels\)', version)
    if not m or 'OPENBLAS_CORETYPE' in os.environ or not args.match_blas:
        return
    core, theirs = m.group(1), torch_blas_core()
    if theirs and theirs.lower() != core.lower():
        os.environ['OPENBLAS_CORETYPE'] = core
        args.blas_note = ('OpenBLAS picks %s kernels here by itself; clafuse switches to %s, so '
                          'OPENBLAS_CORETYPE=%s is set for both sides (--no-match-blas: '
                          'leave it unset)' % (theirs, core, core))


def header(args):
    cpu = '?'
    with open('/proc/cpuinfo') as f:
        for line in f:
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    ver = subprocess.run([args.clafuse, '--version'], capture_output=True,
                         text=True).stdout.strip().replace('\n', '; ')
    match_blas(args, ver)
    probe = subprocess.run(
        [sys.executable, '-c',
         'import ctypes, torch, numpy\n'
         'print(torch.__version__, numpy.__version__)\n'
         'try:\n'
         '    l = ctypes.CDLL("libopenblas.so.0")\n'
         '    l.openblas_get_corename.restype = ctypes.c_char_p\n'
         '    l.openblas_get_config.restype = ctypes.c_char_p\n'
         '    print(l.openblas_get_config().decode(), "| core", l.openblas_get_corename().decode())\n'
         'except OSError:\n'
         '    print("OpenBLAS not loadable")\n'
         'print("oneDNN (mkldnn)", "on" if torch.backends.mkldnn.is_available() else "off")\n'],
        env=thread_env(1), capture_output=True, text=True)
    lines = probe.stdout.split('\n')
    if probe.returncode or len(lines) < 3:
        sys.exit('bench_train.py: cannot import torch with %s:\n%s' % (sys.executable, probe.stderr))
    tv, nv = lines[0].split()
    print('machine   %s CPU(s), %s' % (os.cpu_count(), cpu))
    print('load      %s (1/5/15 min) at start' % loadavg())
    print('clafuse   %s (%s)' % (ver, args.clafuse))
    print('pytorch   torch %s, numpy %s, %s, %s' % (tv, nv, lines[2], sys.executable))
    print('blas      %s' % lines[1])
    print('blas lib  LD_LIBRARY_PATH=%s' % os.environ.get('LD_LIBRARY_PATH', ''))
    if args.blas_note:
        print('blas note %s' % args.blas_note)
    for v in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_VERBOSE', 'GOTO_NUM_THREADS'):
        if v in os.environ:
            print('env       %s=%s (both sides)' % (v, os.environ[v]))
    print('recipe    1 epoch, batch %d, SGD lr %g momentum %g, cross-entropy, seed %d; '
          'PyTorch: %d warm-up batches, no DataLoader' % (args.batch, args.lr, args.momentum,
                                                          args.seed, args.warmup))


def driver(args):
    sys.stdout.reconfigure(line_buffering=True)
    subsets = {'mlp': args.subset_mlp, 'cnn': args.subset_cnn}
    if args.quick:
        subsets = {'mlp': args.subset_mlp or 10000, 'cnn': args.subset_cnn or 2000}
    header(args)
    print('samples   %s; best of %s run(s) per side, sides alternating'
          % (', '.join('%s %s' % (k, v or 'all 60000') for k, v in subsets.items()),
             args.repeat or '/'.join('%s %d' % (m[0], m[3]) for m in MODELS)))
    if 'OMP_WAIT_POLICY' not in os.environ:
        print('omp       PyTorch with > 1 thread: best of OMP_WAIT_POLICY unset and PASSIVE')
    print()
    rows = []
    with tempfile.TemporaryDirectory(prefix='cf_bench_train_') as tmp:
        for label, arch, goal, reps in MODELS:
            if args.models and label not in args.models.split(','):
                continue
            for t in args.threads:
                cf = to = None
                dropped = set()   # PyTorch variants already stopped as too slow
                for _ in range(args.repeat or reps):
                    c = run_clafuse(args, arch, t, subsets[label], tmp)
                    cf = c if cf is None or c['sps'] > cf['sps'] else cf
                    for name, extra in torch_variants(t):
                        if name in dropped:
                            continue
                        # A variant that takes 3x as long as the best so far
                        # cannot win; stop it rather than wait minutes.
                        limit = None if to is None else 3 * to['seconds'] + 10
                        p = run_torch(args, arch, t, subsets[label], extra, limit)
                        if p is None:
                            print('  (PyTorch %s, %d threads: stopped after %.0f s, slower)'
                                  % (name, t, limit), file=sys.stderr)
                            dropped.add(name)
                            continue
                        p['variant'] = name
                        to = p if to is None or p['sps'] > to['sps'] else to
                rows.append((label, arch, goal, t, cf, to))
                print('  done %-4s %d thread(s): clafuse %.0f/s, PyTorch %.0f/s  (load %s)'
                      % (label, t, cf['sps'], to['sps'], loadavg()), file=sys.stderr)
    print('%-5s %7s %16s %16s %7s  %s' % ('model', 'threads', 'clafuse samp/s',
                                          'PyTorch samp/s', 'ratio', 'goal'))
    for label, arch, goal, t, cf, to in rows:
        r = cf['sps'] / to['sps']
        print('%-5s %7d %16.0f %16.0f %6.2fx  >= %.1fx %s'
              % (label, t, cf['sps'], to['sps'], r, goal, 'met' if r >= goal else 'MISSED'))
    print()
    print('sanity (epoch loss / train accuracy / parameters, clafuse vs PyTorch):')
    for label, arch, goal, t, cf, to in rows:
        print('  %-4s t=%d  %.4f / %5.2f%% / %d   vs   %.4f / %5.2f%% / %d  (%s)%s'
              % (label, t, cf['loss'], 100 * cf['acc'], cf['params'], to['loss'],
                 100 * to['acc'], to['params'], to['variant'],
                 '' if cf['params'] == to['params'] else '   PARAMETER COUNTS DIFFER'))
    for label, arch, *_ in MODELS:
        print('  %-4s = %s' % (label, arch))
    print('load      %s (1/5/15 min) at end' % loadavg())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--clafuse', help='the clafuse binary (driver)')
    ap.add_argument('--quick', action='store_true',
                    help='train on subsets (mlp 10000, cnn 2000 samples) unless given')
    ap.add_argument('--subset-mlp', type=int, default=0, metavar='N',
                    help='train the MLP on N samples (clafuse --subset N; default all)')
    ap.add_argument('--subset-cnn', type=int, default=0, metavar='N',
                    help='train the CNN on N samples (default all)')
    ap.add_argument('--threads-list', dest='threads', default='1,2', metavar='T,T',
                    type=lambda s: [int(v) for v in s.split(',')],
                    help='thread counts, default 1,2')
    ap.add_argument('--models', default='', help='comma list of mlp,cnn (default both)')
    ap.add_argument('--repeat', type=int, default=0,
                    help='runs per side and configuration, best kept (default mlp 3, cnn 1)')
    ap.add_argument('--no-match-blas', dest='match_blas', action='store_false',
                    help='do not give PyTorch the OpenBLAS kernels clafuse chose for itself')
    ap.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--arch', help=argparse.SUPPRESS)
    ap.add_argument('--threads', dest='wthreads', type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument('--subset', type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--lr', type=float, default=0.01)
    ap.add_argument('--momentum', type=float, default=0.5)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--warmup', type=int, default=5)
    args = ap.parse_args()
    if args.worker:
        args.threads = args.wthreads
        worker(args)
    else:
        if not args.clafuse:
            ap.error('--clafuse BINARY is required')
        driver(args)


if __name__ == '__main__':
    main()
