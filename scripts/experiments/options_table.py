#!/usr/bin/env python3
"""options_table.py PAIR DIR SEED... — the Markdown table of the options
beyond the published method (share/doc/beyond.md) for one pair, from the
JSON reports in DIR/seed$S/ written by its script:

  mlp     repair_mlp.sh        (DIR usually exp/mlp)
  vgg     repair_vgg.sh        (exp/vgg)
  resnet  resnet_bn_fmnist.sh  (exp/resnet_bn)

A row's accuracy before finetuning comes from the run NAME0 (the same
options without finetuning) when there is one, else from NAME itself;
after finetuning, the best test accuracy over the epochs of NAME.  The
parents' rows come from the run that finetuned them too (finetune.parents).
Accuracies in %: mean ± sample std over the seeds that have the run, then
min–max, and the number of seeds when it is not all of them; "–" where no
seed has it (yet)."""
import json, os, sys

from tables import mean_sd

MLP_OPTS = (("pub", "as published"), ("repair", "+ REPAIR"), ("width", "+ width-aware"),
            ("cos", "+ cosine ground metric"), ("logits", "+ REPAIR of the logits"),
            ("both", "+ REPAIR + width-aware"), ("rc", "+ REPAIR + cosine"),
            ("rl", "+ REPAIR + REPAIR of the logits"),
            ("rlc", "+ REPAIR + REPAIR of the logits + cosine"),
            ("all", "+ REPAIR + REPAIR of the logits + cosine + width-aware"))

# pair: (run holding the parents, parents' names, [(run, row name)])
PAIRS = {
    "mlp": ("r_add_pub", ("model A (400-200-100-50-25)", "model B (400-200-100)"),
            [(f"r_{m}_{o}", f"CLAFusion {m}, {n}") for m in ("add", "merge")
             for o, n in MLP_OPTS]),
    "vgg": ("pub", ("model A (6 convs)", "model B (3 convs)"),
            [("pub", "CLAFusion add, as published"),
             ("repair", "+ REPAIR"),
             ("width", "+ width-aware"),
             ("logits", "+ REPAIR of the logits"),
             ("cos", "+ cosine ground metric"),
             ("all", "+ REPAIR + REPAIR of the logits + cosine + width-aware"),
             ("keepA", "B′'s identity layers from A alone"),
             ("repair_keepA", "+ REPAIR, B′'s identity layers from A alone"),
             ("rl_keepA", "+ REPAIR + REPAIR of the logits, B′'s identity layers from A alone"),
             ("rlc_keepA", "+ REPAIR + REPAIR of the logits + cosine, B′'s identity layers "
                           "from A alone")]),
    "resnet": ("add", ("model A (4 blocks, folded)", "model B (2 blocks, folded)"),
               [("step0", "A transported (fusion.step=0), as published"),
                ("tied_step0", "A transported (fusion.step=0), tied plans"),
                ("add", "CLAFusion add, as published"),
                ("repair", "+ REPAIR"),
                ("tied", "+ tied plans"),
                ("tied_repair", "+ tied plans + REPAIR"),
                ("tied_rb", "+ tied plans + REPAIR + REPAIR of the branches"),
                ("tied_rb_logits", "+ tied plans + REPAIR + REPAIR of the branches + REPAIR "
                                   "of the logits"),
                ("tied_repair_keepA", "tied plans + REPAIR, B′'s zero blocks from A alone"),
                ("tied_rb_keepA", "tied plans + REPAIR + REPAIR of the branches, B′'s zero "
                                  "blocks from A alone")]),
}


def main():
    pair, d, seeds = sys.argv[1], sys.argv[2], sys.argv[3:]
    if pair not in PAIRS or not seeds:
        sys.exit(f"usage: options_table.py {{{'|'.join(PAIRS)}}} DIR SEED...")
    holder, parents, rows = PAIRS[pair]

    def ms(xs):
        return mean_sd(xs, len(seeds), ranges=True)

    def runs(name):
        out = []
        for s in seeds:
            p = f"{d}/seed{s}/{name}.json"
            if os.path.exists(p):
                with open(p) as f:
                    out.append(json.load(f))
        return out

    def before(name):
        # the run without finetuning where there is one, seed by seed
        out = []
        for s in seeds:
            for n in (name + "0", name):
                p = f"{d}/seed{s}/{n}.json"
                if os.path.exists(p):
                    with open(p) as f:
                        out.append(json.load(f))
                    break
        return out

    hb, ha = before(holder), runs(holder)
    print(f"seeds {' '.join(seeds)}")
    print()
    print("| model | before finetuning | after finetuning |")
    print("|---|---|---|")
    for i, n in enumerate(parents):
        print(f"| {n} | {ms([j['parents'][i]['acc'] for j in hb])} | "
              f"{ms([j['parents'][i].get('finetuned_best') for j in ha])} |")
    print(f"| prediction ensemble | {ms([j['ensemble_acc'] for j in hb])} | – |")
    for r, n in rows:
        print(f"| {n} | {ms([j['fused_acc'] for j in before(r)])} | "
              f"{ms([j.get('finetune_best') for j in runs(r)])} |")


main()
