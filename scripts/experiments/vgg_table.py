#!/usr/bin/env python3
"""vgg_table.py DIR SEED... — the table (Markdown) of the VGG experiment
from DIR/seed$S/{add,chain,random}.json: per seed, before / after
finetuning (best test accuracy over the finetuning epochs), and the maps."""
import json, sys

d, seeds = sys.argv[1], sys.argv[2:]
runs = ["add", "chain", "random"]
print("| seed | A | B | ensemble | CLAFusion add | chain + add | random + add |")
print("|---|---|---|---|---|---|---|")
for s in seeds:
    j = {r: json.load(open(f"{d}/seed{s}/{r}.json")) for r in runs}
    p = lambda i: (f"{100 * j['add']['parents'][i]['acc']:.2f} / "
                   f"{100 * j['add']['parents'][i]['finetuned_best']:.2f}")
    f = lambda r: f"{100 * j[r]['fused_acc']:.2f} / {100 * j[r]['finetune_best']:.2f}"
    print(f"| {s} | {p(0)} | {p(1)} | {100 * j['add']['ensemble_acc']:.2f} | {f('add')} | "
          f"{f('chain')} | {f('random')} |")
print()
for s in seeds:
    for r in runs:
        j = json.load(open(f"{d}/seed{s}/{r}.json"))
        tr = " ".join(f"{l['trace_ratio']:.2f}" for l in j["layers"])
        print(f"seed {s} {r}: map {j['layer_map']}, balanced {j.get('balanced_arch', '')}, "
              f"trace ratios {tr}")
