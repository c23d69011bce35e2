#!/usr/bin/env python3
"""mlp_table.py DIR SEED... — the mean ± std table (Markdown) of the MLP
experiment from the JSON reports DIR/seed$S/{add,merge_avg,...}.json.
Accuracies in %; std is the sample standard deviation over seeds; after
finetuning, the best test accuracy over the epochs (the reference's
convention, which clafuse's report follows)."""
import json, sys

from tables import mean_sd as ms

d, seeds = sys.argv[1], sys.argv[2:]
runs = ["add", "merge_avg", "merge_sum", "chain", "random"]
R = {r: [json.load(open(f"{d}/seed{s}/{r}.json")) for s in seeds] for r in runs}
rows = []
add = R["add"]
rows.append(("model A (400-200-100-50-25)", ms([j["parents"][0]["acc"] for j in add]),
             ms([j["parents"][0].get("finetuned_best") for j in add])))
rows.append(("model B (400-200-100)", ms([j["parents"][1]["acc"] for j in add]),
             ms([j["parents"][1].get("finetuned_best") for j in add])))
rows.append(("prediction ensemble A+B", ms([j["ensemble_acc"] for j in add]), "–"))
names = {"add": "CLAFusion, add", "merge_avg": "CLAFusion, merge (avg)",
         "merge_sum": "CLAFusion, merge (sum)", "chain": "chain + add",
         "random": "random + add (seed = run)"}
for r in runs:
    rows.append((names[r], ms([j["fused_acc"] for j in R[r]]),
                 ms([j.get("finetune_best") for j in R[r]])))
print(f"seeds {' '.join(seeds)}; maps: " + "; ".join(
    f"{r} " + ",".join(str(j['layer_map']) for j in R[r]) for r in ("add", "chain", "random")))
print()
print("| model | before finetuning | after finetuning |")
print("|---|---|---|")
for n, a, b in rows:
    print(f"| {n} | {a} | {b} |")

# Per seed: before / after finetuning, and the map of the random baseline.
print()
print("| seed | A | B | ensemble | add | merge avg | merge sum | chain | random (map) |")
print("|---|---|---|---|---|---|---|---|---|")
for k, s in enumerate(seeds):
    j = {r: R[r][k] for r in runs}
    f = lambda r: f"{100 * j[r]['fused_acc']:.2f} / {100 * j[r]['finetune_best']:.2f}"
    p = lambda i: (f"{100 * j['add']['parents'][i]['acc']:.2f} / "
                   f"{100 * j['add']['parents'][i]['finetuned_best']:.2f}")
    print(f"| {s} | {p(0)} | {p(1)} | {100 * j['add']['ensemble_acc']:.2f} | {f('add')} | "
          f"{f('merge_avg')} | {f('merge_sum')} | {f('chain')} | {f('random')} "
          f"{j['random']['layer_map']} |")
