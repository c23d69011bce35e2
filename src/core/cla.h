/* cla.h — cross-layer alignment: which layer of the deeper model 0 each
 * layer of the shallower model 1 is matched to (share/doc/method.md §3.3–3.5).
 *
 * MAPS ARE 1-BASED, exactly as in share/doc/method.md: map[k-1] ∈ {1..m} is the
 * model-0 layer (or unit) matched to model-1 layer k, for k = 1..n, and a
 * valid map is strictly increasing.  Arrays are ordinary 0-based C arrays;
 * only the values are 1-based, so a map prints as the document writes it.
 *
 * The cost matrix C is m × n, row-major (rows = model 0, the deeper model),
 * C[i*n + j] = cost(model-0 layer i+1, model-1 layer j+1); similarity.h
 * builds it.  Everything here is plain integer/double work with no network
 * engine: the dynamic program, the `chain` and seeded `random` baselines,
 * per-stage alignment (MLP: one stage; VGG: the conv chunks between
 * max-pools; ResNet: the stem, then each stage of blocks) and the expansion
 * of a map of units (blocks) to a map of weight layers.
 *
 * Parameters s (start layer, ≥ 1) and f (free end layers, ≥ 0) have the
 * meaning of §3.3: model-1 layers 1..s−1 are matched one to one to model-0
 * layers 1..s−1, the last f model-1 layers to the last f model-0 layers.
 * When a (stage of a) model is too short for both, the start wins:
 * s' = min(s, n+1), f' = min(f, n − s' + 1).  This reproduces the
 * reference's special case n == 1 → [1] whenever s ≥ 2 (so a one-layer VGG
 * chunk maps to the first layer of its partner chunk), and, unlike the
 * reference, honours f when s = 1 (n == 1, s = 1, f = 1 → [m]).
 */
#ifndef CF_CLA_H
#define CF_CLA_H

#include <stdint.h>

#include "error.h"

typedef enum cf_cla_method {
	CF_CLA_DP = 0,     /* "cla": the dynamic program of §3.3 */
	CF_CLA_CHAIN = 1,  /* "chain": [1, 2, …, n] */
	CF_CLA_RANDOM = 2  /* "random": seeded, uniform among valid maps */
} cf_cla_method;

/* "cla", "chain", "random" ↔ cf_cla_method.  CF_EINVAL lists the names. */
extern const char *const cf_cla_method_names[]; /* names.h */
int cf_cla_method_parse(const char *name, cf_cla_method *out, cf_error *err);
const char *cf_cla_method_name(cf_cla_method m);

/* The dynamic program of §3.3 on the m × n cost matrix C (m ≥ n ≥ 1), with
 * start layer s ≥ 1 and f ≥ 0 free end layers (clamped as in the file
 * comment).  Writes the 1-based map into map[0..n-1].
 *
 * Ties: back-tracking compares table entries with EXACT floating-point
 * equality, like the reference, so that equal costs (the common case with
 * integer `neuron`/`index` costs) resolve to the smallest admissible model-0
 * index for each layer, working from the last free layer backwards.  No
 * tolerance is used: costs that differ only by rounding are not ties.
 *
 * Errors (CF_EINVAL, map untouched): n < 1, m < n, s < 1, f < 0, a cost
 * that is NaN or infinite. */
int cf_cla_align(const double *C, int m, int n, int s, int f, int *map, cf_error *err);

/* The `chain` baseline of §3.4: map = [1..n].  CF_EINVAL when m < n or n < 1. */
int cf_cla_chain(int m, int n, int *map, cf_error *err);

/* The `random` baseline, seeded: the forced entries as cf_cla_align (s and
 * f honoured — the reference forces f = 0 and is unseeded; pass f = 0 to
 * get its distribution), the free entries k = s'..n−f' a uniformly random
 * sorted subset of {s'..m−f'} (GSL mt19937 seeded with `seed`; GSL maps
 * seed 0 to its default 4357).  The same seed always gives the same map.
 * Errors as cf_cla_align, except that no cost matrix is read. */
int cf_cla_random(int m, int n, int s, int f, uint64_t seed, int *map, cf_error *err);

/* Total cost Σ_k C[map[k]−1][k] of a map (all n entries, forced ones too). */
double cf_cla_map_cost(const double *C, int n, const int *map);

/* Check that map (n entries) is strictly increasing within 1..m.
 * CF_EINVAL names the first bad entry. */
int cf_cla_map_check(const int *map, int m, int n, cf_error *err);

/* ---- per-stage alignment (§3.5 and the preface's "structure, not names") - */

typedef struct cf_cla_params {
	cf_cla_method method;
	int s;          /* start layer, default 2 */
	int f;          /* free end layers, default 1 */
	uint64_t seed;  /* random baseline only */
} cf_cla_params;

/* s = 2, f = 1, method DP, seed 0: the paper's defaults. */
cf_cla_params cf_cla_params_default(void);

/* Align two models stage by stage.  units0[t] / units1[t] are the numbers
 * of units (layers, or residual blocks) in stage t of model 0 / model 1,
 * for nstages stages each; m = Σ units0, n = Σ units1.  C is the full
 * m × n unit cost matrix (entries across stages are ignored; C may be NULL
 * for chain and random).  Each stage is aligned on its own block of C with
 * the same s, f and method (the random baseline draws the stages in order
 * from one generator seeded with p->seed), and the stage maps are
 * concatenated with the stage offsets: map[0..n-1] holds 1-based global
 * model-0 unit indices.
 *
 * Errors (CF_EINVAL, map untouched): different stage counts ("model 0 has 5
 * stages, model 1 has 4"), an empty stage, a model-1 stage longer than model
 * 0's ("stage 3: model 1 has 4 units but model 0 only 3: model 1 must be
 * the shallower model in every stage"), and the errors of cf_cla_align
 * prefixed with the 1-based stage number. */
int cf_cla_align_stages(const double *C, const int *units0, int nstages0, const int *units1,
			int nstages1, const cf_cla_params *p, int *map, cf_error *err);

/* Expand a map of units to a map of weight layers.  umap (n_units1
 * entries, 1-based units of model 0) is a unit map; layers0[u] / layers1[k]
 * give the number of weight layers of unit u of model 0 (m_units0 units) and
 * unit k of model 1.  Every model-1 unit k matched to model-0 unit u must
 * have the same number of weight layers, which are then matched in order:
 * the result maps each model-1 weight layer (in order) to the 1-based
 * model-0 weight layer.  Writes Σ layers1 entries to map and that count to
 * *n_layers1 (may be NULL).  Example: ResNet18 → ResNet34, stem as a
 * one-layer unit, first blocks of stages 2–4 with 3 layers (shortcut).
 *
 * Errors (CF_EINVAL): an invalid unit map, a unit with < 1 layer, a
 * mismatch ("model-1 unit 5 has 3 weight layers but its partner, model-0
 * unit 6, has 2"), which the reference does not guard against (s = 1 with
 * ResNets). */
int cf_cla_map_expand(const int *umap, int n_units1, const int *layers0, int m_units0,
		      const int *layers1, int *map, int *n_layers1, cf_error *err);

#endif
