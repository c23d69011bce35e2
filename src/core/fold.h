/* fold.h — folding BatchNorm into the preceding weight layer.
 *
 * The fusion method assumes BN-free networks (share/doc/method.md §1.4): a BN
 * between a conv and its ReLU rescales and shifts every output channel
 * with statistics of its own, which neuron matching cannot average.  In
 * eval mode a BN is an affine map per channel, so it can be absorbed into
 * the conv (or linear) in front of it:
 *
 *   s  = γ / √(σ² + eps)          (running variance σ², eps CF_BN_EPS)
 *   W' = s · W                    (row by row: one output channel each)
 *   b' = s · (b − μ) + β          (running mean μ; b = 0 without a bias)
 *
 * The folded network has no BN, a bias on every layer that had a BN after
 * it, and computes the same function as the original in eval mode.
 */
#ifndef CF_FOLD_H
#define CF_FOLD_H

#include "error.h"
#include "net.h"

/* A new network (*out, free with cf_net_free) without BatchNorm that
 * computes what `in` computes in eval mode (running statistics).  The
 * architecture changes accordingly: vgg `bn` becomes `nobn` with biases on
 * every layer (a classifier without one gets a zero bias); a resnet with BN
 * becomes `nobn convbias` (the classifier keeps its bias setting); in a
 * unit list, "conv ..., bn" becomes a conv with a bias and blocks with BN
 * become "block ... nobn bias".  A network without BN gives a plain copy.
 * Errors: CF_EINVAL when a BN does not directly follow a conv or linear
 * layer (the message names the unit's position), CF_ENOMEM. */
int cf_net_fold_bn(const cf_net *in, cf_net **out, cf_error *err);

#endif
