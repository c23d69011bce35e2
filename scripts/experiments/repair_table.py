#!/usr/bin/env python3
"""repair_table.py DIR SEED... — the table (Markdown) of repair_mlp.sh from
the JSON reports DIR/seed$S/r_{add,merge}_{pub,repair,width,both,cos,logits,rc,rl,rlc,all}.json.
Accuracies in %, mean ± sample std over seeds, then min–max; after
finetuning, the best test accuracy over the epochs (as the other tables)."""
import json, math, sys

def ms(xs):
    xs = [100 * x for x in xs if x is not None]
    if not xs:
        return "–"
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    return f"{m:.2f} ± {sd:.2f} ({min(xs):.1f}–{max(xs):.1f})"

d, seeds = sys.argv[1], sys.argv[2:]
J = lambda s, r: json.load(open(f"{d}/seed{s}/{r}.json"))
pub = [J(s, "r_add_pub") for s in seeds]
print(f"seeds {' '.join(seeds)}")
print()
print("| model | before finetuning | after finetuning |")
print("|---|---|---|")
for i, n in ((0, "model A (400-200-100-50-25)"), (1, "model B (400-200-100)")):
    print(f"| {n} | {ms([j['parents'][i]['acc'] for j in pub])} | "
          f"{ms([j['parents'][i].get('finetuned_best') for j in pub])} |")
print(f"| prediction ensemble | {ms([j['ensemble_acc'] for j in pub])} | – |")
names = {"pub": "as published", "repair": "+ REPAIR", "width": "+ width-aware",
         "cos": "+ cosine ground metric", "logits": "+ REPAIR of the logits",
         "both": "+ REPAIR + width-aware", "rc": "+ REPAIR + cosine",
         "rl": "+ REPAIR + REPAIR of the logits",
         "rlc": "+ REPAIR + REPAIR of the logits + cosine",
         "all": "+ REPAIR + REPAIR of the logits + cosine + width-aware"}
for m in ("add", "merge"):
    for o in ("pub", "repair", "width", "cos", "logits", "both", "rc", "rl", "rlc", "all"):
        R = [J(s, f"r_{m}_{o}") for s in seeds]
        print(f"| CLAFusion {m}, {names[o]} | {ms([j['fused_acc'] for j in R])} | "
              f"{ms([j.get('finetune_best') for j in R])} |")
