/* acts.h — the activation sample: which N inputs the method looks at, and
 * what every weight layer of a model computes on them (share/doc/method.md §2).
 *
 * The sample is drawn once by a seeded sampler from the training split (the
 * first N entries of a seeded permutation, so a larger N extends a smaller
 * one) or given as a list of indices; its inputs are copied into one
 * contiguous N × input block that every model of a session runs on.  A
 * recording holds, per weight layer, the pre-activations of the N samples
 * in the network engine's layout (N × C·H·W, sample-major), with the
 * engine's ResNet rule: a block's conv2 records conv2 + shortcut.
 *
 * Main design choice: a recording is kept sample-major, exactly as the
 * engine writes it, because that is what CLA (one row per sample) reads;
 * the neuron-major view that ground costs need (§2.3) is produced on demand,
 * one layer at a time, so the memory of the whole model is never doubled.
 */
#ifndef CF_ACTS_H
#define CF_ACTS_H

#include <stdint.h>

#include "data.h"
#include "error.h"
#include "net.h"
#include "progress.h"

/* N input samples: indices into the data set and their inputs. */
typedef struct cf_acts_sample {
	int64_t N;
	int64_t *idx;          /* N indices into the data set (owned) */
	int c, h, w;           /* shape of one input */
	float *x;              /* N × c·h·w inputs, contiguous (owned) */
} cf_acts_sample;

/* Draw N distinct samples from d with a GSL mt19937 generator seeded with
 * `seed` (the first N of a Fisher–Yates permutation), or, when idx is not
 * NULL, take the nidx given indices (N is then ignored; duplicates allowed).
 * Errors (CF_EINVAL): N < 1 or N > d->n, an index out of range (naming it);
 * CF_ENOMEM.  Free with cf_acts_sample_free. */
int cf_acts_sample_draw(const cf_dataset *d, int64_t N, unsigned long seed, const int64_t *idx,
			int64_t nidx, cf_acts_sample **out, cf_error *err);
void cf_acts_sample_free(cf_acts_sample *s);

/* The largest batch cf_acts_record runs at once: a sample of at most this
 * many is one forward, whose inputs stay in the net for cf_net_forward_again. */
#define CF_ACTS_BATCH 1000

/* Run net (EVAL mode) on the sample, batch at a time (CF_ACTS_BATCH), and
 * return a new recording of every weight layer (free with
 * cf_activations_free).  Errors: the input shape does not fit the net
 * (CF_EINVAL, naming both shapes); CF_ENOMEM; CF_ESTOPPED when the progress
 * callback asks to stop. */
int cf_acts_record(cf_net *net, const cf_acts_sample *s, const cf_progress *prog,
		   cf_activations **out, cf_error *err);
/* The same with the recording's `branches` set (net.h): a residual block's
 * conv2 and shortcut record their own branches, before the add.  Only
 * REPAIR of the residual branches reads this; the costs read the default. */
int cf_acts_record_as(cf_net *net, const cf_acts_sample *s, int branches,
		      const cf_progress *prog, cf_activations **out, cf_error *err);

/* Width (neurons/channels) and features per neuron (H·W·N) of layer l. */
int64_t cf_acts_width(const cf_activations *a, int l);
int64_t cf_acts_neuron_features(const cf_activations *a, int l);

/* The neuron-major view of layer l (§2.3): out (width × H·W·N, caller-
 * allocated) gets out[c][(h·W + w)·N + s] = a[l][s][c][h][w], so each row is
 * one neuron's values with the sample index fastest. */
void cf_acts_neuron_major(const cf_activations *a, int l, float *out);

/* ---- units for cross-layer alignment (§3.1, §3.5) ------------------- */

/* The hidden units of a network (every unit but the classifier, which is
 * the last one), grouped for alignment: a group is a run of units of the
 * same kind inside one stage.  So an MLP has one group, a VGG one group
 * per conv chunk between pools, and a ResNet the stem conv, then one group
 * of blocks per stage — the reference's tables, derived from structure.
 * sizes[g] = units in group g (at most maxg groups); returns the number of
 * groups, or -1 when there are more than maxg or no hidden unit. */
int cf_acts_unit_groups(const cf_net *net, int *sizes, int maxg);

/* Number of hidden units (all units but the classifier). */
int cf_acts_hidden_units(const cf_net *net);

/* The weight layer that represents hidden unit u (0-based): its last weight
 * layer (a block's shortcut when it has one, else its conv2 — §3.5). */
int cf_acts_unit_layer(const cf_net *net, int u);

typedef enum cf_acts_measure {
	CF_MEASURE_INDEX = 0,   /* the 1-based unit index */
	CF_MEASURE_NEURON,      /* the unit's width */
	CF_MEASURE_ACTIVATION   /* the unit's activation matrix N × C·H·W */
} cf_acts_measure;

typedef enum cf_acts_metric {
	CF_LMETRIC_EUCLIDEAN = 0, /* (x − y)², for index and neuron */
	CF_LMETRIC_CKA,           /* 1 − linear CKA */
	CF_LMETRIC_CCA,           /* 1 − mean squared canonical correlation */
	CF_LMETRIC_WD             /* exact OT cost between the two neuron clouds */
} cf_acts_metric;

/* Names: "index", "neuron", "activation"; "euclidean", "cka", "cca", "wd". */
extern const char *const cf_acts_measure_names[];  /* names.h */
extern const char *const cf_acts_metric_names[];
const char *cf_acts_measure_name(int m);
const char *cf_acts_metric_name(int m);

typedef struct cf_acts_cost_opts {
	int measure;              /* cf_acts_measure */
	int metric;               /* cf_acts_metric */
	int cka_debiased;         /* CKA estimator: 0 biased (default), 1 debiased */
	int ground_metric;        /* wd: cf_ground_metric (default euclidean) */
} cf_acts_cost_opts;

/* The unit cost matrix C (m × n, row-major, caller-allocated; m, n = hidden
 * units of net0 / net1) of §3.2, computed group by group: entries between
 * units of different groups are not compared and hold NaN.  a0/a1 (the
 * recordings on one sample) are needed for the activation measure only.
 * Errors: a measure/metric pair that does not go together, different group
 * structures (CF_EINVAL naming both counts), the similarity errors prefixed
 * with the units; CF_ESTOPPED. */
int cf_acts_unit_costs(const cf_net *net0, const cf_activations *a0, const cf_net *net1,
		       const cf_activations *a1, const cf_acts_cost_opts *o, double *C,
		       const cf_progress *prog, cf_error *err);

#endif
