/* hybrid.h — hybrid networks: where does a fused model lose accuracy?
 *
 * A hybrid is the fused network with some of its weight layers replaced by
 * those of another network of the same shape, here the aligned parent
 * (model 0 transported onto the fused shape, cf_fusion_aligned_net).  The
 * test accuracy of the hybrid that takes only layer l from the aligned
 * parent, for each l, locates the loss: a layer whose replacement recovers
 * much of the parent's accuracy is where averaging hurt.  Taking every
 * layer gives the aligned parent itself, taking none the fused model.
 */
#ifndef CF_HYBRID_H
#define CF_HYBRID_H

#include "data.h"
#include "error.h"
#include "net.h"
#include "progress.h"

/* A copy of base (*out, free with cf_net_free) whose weight layers l with
 * take[l] nonzero hold donor's weights and bias (zero bias when donor has
 * none).  The networks must have the same weight layers with the same
 * shapes; CF_EINVAL names the first that differs (or a donor bias where
 * base has none).  CF_ENOMEM. */
int cf_net_hybrid(const cf_net *base, const cf_net *donor, const unsigned char *take,
		  cf_net **out, cf_error *err);

/* acc[l] for l < nwlayers(base): test accuracy of the hybrid taking only
 * layer l from donor, evaluated on `test` in batches of `batch`.  Status as
 * cf_net_hybrid, or the evaluation's (CF_ESTOPPED when prog asks). */
int cf_hybrid_accuracies(const cf_net *base, const cf_net *donor, const cf_dataset *test,
			 int batch, double *acc, const cf_progress *prog, cf_error *err);

#endif
