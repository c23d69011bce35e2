#!/usr/bin/env python3
"""resnet_table.py DIR SEED... — the table (Markdown) of resnet_bn_fmnist.sh
from the JSON reports in DIR/seed$S/: before finetuning from the runs
without it (step0, tied_step0, tied_s25, tied_s75, add0, tied0, tied_repair0,
tied_keepA, tied_repair_keepA), after from the
finetuned ones (add, tied, tied_repair; the parents from add); runs not
there yet are shown as –.  Accuracies in %, mean ± sample std
over the seeds that have the run, then min–max and the count; after
finetuning, the best test accuracy over the epochs (as the other tables)."""
import json, math, os, sys

def ms(xs):
    xs = [100 * x for x in xs if x is not None]
    if not xs:
        return "–"
    m = sum(xs) / len(xs)
    if len(xs) == 1:
        return f"{m:.2f} (1 seed)"
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))
    return f"{m:.2f} ± {sd:.2f} ({min(xs):.1f}–{max(xs):.1f}, {len(xs)} seeds)"

d, seeds = sys.argv[1], sys.argv[2:]

def runs(name):
    out = []
    for s in seeds:
        p = f"{d}/seed{s}/{name}.json"
        if os.path.exists(p):
            out.append(json.load(open(p)))
    return out

pub, pub0 = runs("add"), runs("add0")
print(f"seeds {' '.join(seeds)}")
print()
print("| model | before finetuning | after finetuning |")
print("|---|---|---|")
for i, n in ((0, "model A (4 blocks, folded)"), (1, "model B (2 blocks, folded)")):
    print(f"| {n} | {ms([j['parents'][i]['acc'] for j in pub0])} | "
          f"{ms([j['parents'][i].get('finetuned_best') for j in pub])} |")
print(f"| prediction ensemble | {ms([j['ensemble_acc'] for j in pub0])} | – |")
for r, n in (("step0", "A transported (fusion.step=0), as published"),
             ("tied_step0", "A transported (fusion.step=0), tied plans"),
             ("tied_s25", "tied plans, fusion.step=0.25 (nearer A)"),
             ("tied_s75", "tied plans, fusion.step=0.75 (nearer B′)"),
             ("add", "CLAFusion add, as published"),
             ("tied", "CLAFusion add, tied plans"),
             ("tied_repair", "CLAFusion add, tied plans + REPAIR"),
             ("tied_keepA", "tied plans, B′'s zero blocks from A alone"),
             ("tied_repair_keepA", "tied plans + REPAIR, B′'s zero blocks from A alone")):
    nofine = r.endswith(("step0", "keepA")) or "_s" in r  # runs without finetuning
    before = runs(r if nofine else r + "0")
    after = [] if nofine else runs(r)
    print(f"| {n} | {ms([j['fused_acc'] for j in before])} | "
          f"{ms([j.get('finetune_best') for j in after])} |")
