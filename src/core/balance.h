/* balance.h — layer balancing: make two networks of different depths the
 * same depth, given a cross-layer alignment (share/doc/method.md §4).
 *
 * Maps here are UNIT maps, 1-based like cla.h: umap[k] is the hidden unit
 * of model 0 (the deeper model) matched to hidden unit k+1 of model 1.  The
 * classifiers always match each other.
 *
 * `add` builds model 1' with model 0's structure: every model-0 unit
 * matched to a model-1 unit gets that unit's weights, every other one an
 * identity (a linear identity, a centre-tap conv identity, or — for a
 * residual block — an all-zero block that passes its input through the
 * skip connection).  The architecture is model 0's with model 1's widths,
 * built as a cf_arch and checked by the architecture module, so no layer
 * tables are involved.  `merge` (MLPs) folds the unmatched layers of model 0
 * into the next matched one with their ReLUs replaced by diagonal masks.
 */
#ifndef CF_BALANCE_H
#define CF_BALANCE_H

#include "error.h"
#include "net.h"
#include "relu_approx.h"

/* Model 1' for `add`.  net0 is the deeper model (m hidden units), net1 the
 * shallower (n hidden units), umap the n-entry unit map.  On success *out is
 * a new network (free with cf_net_free) computing the same function as net1
 * whenever umap[0] == 1 (an identity inserted before the first unit is
 * followed by a ReLU and is not function-preserving on negative inputs).
 * Errors (CF_EINVAL): an invalid map; different pooling/flatten structure;
 * BatchNorm (not supported); a matched pair of units of different kind,
 * kernel or stride; an identity that cannot exist (a strided conv, a conv
 * with an even kernel or padding other than k/2, a downsampling block),
 * naming the unit; CF_ENOMEM. */
int cf_balance_add(const cf_net *net0, const cf_net *net1, const int *umap, cf_net **out,
		   cf_error *err);

/* Model 0' for `merge` (MLPs: every unit a Linear, no biases, no BN).  acts0
 * is the recording of the ORIGINAL model 0 on the activation sample (its
 * pre-activations give the masks D_l, §4.2), umap as above.  The result has
 * n hidden layers of the widths of the matched model-0 layers; merged
 * weights are float32 products W_l·(D_{l-1}W_{l-1}·(…)) in that order.
 * Errors (CF_EINVAL): not an MLP, biases, a bad map, a recording of another
 * network; the errors of cf_relu_approx_mask; CF_ENOMEM. */
int cf_balance_merge(const cf_net *net0, const cf_activations *acts0, const cf_net *net1,
		     const int *umap, cf_relu_approx method, cf_net **out, cf_error *err);

/* How two models of different depths are balanced. */
typedef enum cf_balance_method {
	CF_BALANCE_ADD = 0,  /* identity layers into the shallower model (cf_balance_add) */
	CF_BALANCE_MERGE     /* merged layers of the deeper MLP (cf_balance_merge) */
} cf_balance_method;

/* Names "add", "merge" ↔ cf_balance_method. */
extern const char *const cf_balance_method_names[]; /* names.h */

#endif
