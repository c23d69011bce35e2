/* repair.h — REPAIR: renormalising the fused network's neurons (Jordan et
 * al., "REPAIR: REnormalizing Permuted Activations for Interpolation
 * Repair", 2022), an option beyond the published fusion method.
 *
 * Averaging two aligned networks shrinks the spread of each neuron's
 * pre-activation (averaged weight rows point in different directions, so
 * the average is shorter) and shifts its mean, and the error compounds
 * layer by layer: this is much of why a fused network is far below its
 * parents before finetuning.  REPAIR measures, on a sample of training
 * inputs, each hidden neuron's pre-activation mean and standard deviation
 * in three networks — the fused one, and the two endpoints of the
 * interpolation it is a point of: model 0 transported onto model 1 (the
 * aligned model) and model 1 — and resets the fused neuron to the
 * interpolation of the endpoints' statistics,
 *
 *     target mean  = (1 − s)·mean_aligned + s·mean_1
 *     target std   = (1 − s)·std_aligned  + s·std_1        (s: fusion.step)
 *
 * by an affine map of its pre-activation: its weight row (or output
 * channel) is scaled by α = target std / current std and its bias becomes
 * α·b + target mean − α·current mean.  Layers are repaired in order, each
 * measured after the ones before it were repaired, so the corrections do
 * not compound.  A convolution's channel is one neuron; its statistics run
 * over samples and positions.
 *
 * Main design choice: the networks' own recorded forward passes supply the
 * statistics (one recording per endpoint, one per repaired layer of the
 * fused network), so the repaired network needs no new layer type: an
 * affine correction of a pre-activation is exactly a change of its weights
 * and bias.  The fused network therefore needs a bias on every repaired
 * layer (cf_net_add_biases gives a bias-free network zero biases).
 */
#ifndef CF_REPAIR_H
#define CF_REPAIR_H

#include "acts.h"
#include "error.h"
#include "net.h"

/* A new network (*out, free with cf_net_free) with the architecture of
 * `in` plus a bias on every linear and conv layer (residual blocks'
 * convolutions included); the new biases are zero, so it computes what
 * `in` computes.  A network that has every bias gives a plain copy.
 * Errors: CF_ENOMEM; CF_EINVAL when the architecture cannot carry biases
 * (a BatchNorm network: fold it first). */
int cf_net_add_biases(const cf_net *in, cf_net **out, cf_error *err);

/* What a repair did, per weight layer (arrays of cf_net_nwlayers entries,
 * owned by the caller through cf_repair_report_free). */
typedef struct cf_repair_report {
	int n;                 /* weight layers */
	int *repaired;         /* 1 where the layer was renormalised */
	double *std_before;    /* mean over neurons of fused std / target std, before */
	double *max_err;       /* after: max over neurons of |mean − target| and
				  |std − target| relative to the target std */
} cf_repair_report;

void cf_repair_report_free(cf_repair_report *r);

/* What cf_repair_net renormalises (bits of `which`): the hidden layers
 * (fusion.repair), the classifier's outputs, the logits
 * (fusion.repair_logits), and the residual branches
 * (fusion.repair_branches).  The classifier is outside REPAIR as
 * published; its outputs are neurons like any other, with per-class
 * statistics whose shift and spread the averaging distorts in the same
 * way, and argmax reads them directly.
 *
 * A residual block's conv2 and projection shortcut are outside REPAIR as
 * the hidden layers have it: what the block's channel computes is their
 * sum, and rescaling one term of a sum is not a renormalisation of the
 * sum.  Each term on its own is a neuron's output, though — conv2 after
 * its (folded) BN, the shortcut's 1×1 conv — and CF_REPAIR_BRANCHES resets
 * each of those per channel to the interpolation of the endpoints'
 * statistics of the same branch, measured on recordings whose blocks
 * record their branches (cf_acts_record_as).  This is meaningful only when
 * channel c of a branch is the same channel in all three networks, which
 * tied plans (fusion.residual_tied) guarantee: then conv2, shortcut and
 * stream are permuted alike. */
enum { CF_REPAIR_HIDDEN = 1u, CF_REPAIR_LOGITS = 2u, CF_REPAIR_BRANCHES = 4u };

/* Repair `fused` in place.  aligned (model 0 transported, the fused
 * network's architecture) and net1 are the interpolation's endpoints,
 * step[l] the weight of net1 at weight layer l (0 ≤ step ≤ 1: fusion.step,
 * which a layer may override); smp the input sample the statistics are
 * measured on.  With CF_REPAIR_HIDDEN in `which` every hidden weight layer
 * is repaired except a residual block's conv2 and shortcut, whose recorded
 * conv2 output includes the shortcut (the layer is left as it is and
 * report->repaired says so); with CF_REPAIR_BRANCHES those two are, in
 * layer order with the others, each on its own branch; with
 * CF_REPAIR_LOGITS the classifier is, last, on the inputs the repaired
 * hidden layers give it.  A neuron whose current std is below 1e-12 of the
 * target keeps its scale and only gets the target mean.  report may be
 * NULL.  Errors: CF_EINVAL when the three networks differ in structure,
 * `which` selects nothing, a repaired layer of `fused` has no bias, or a
 * repaired branch of `fused` has a BatchNorm after it (naming the layer);
 * CF_ENOMEM; CF_ESTOPPED when prog asks to stop (fused is then partly
 * repaired: layers before the reported one). */
int cf_repair_net(cf_net *fused, cf_net *aligned, cf_net *net1, const double *step,
		  unsigned which, const cf_acts_sample *smp, const cf_progress *prog,
		  cf_repair_report *report, cf_error *err);

#endif
