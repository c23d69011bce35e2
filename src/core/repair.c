/* repair.c — REPAIR (see repair.h): per-neuron renormalisation of a fused
 * network towards the interpolation of its endpoints' statistics.
 *
 * Statistics are accumulated in double over every value of a neuron (all
 * samples, all positions of a channel), std is the population std as
 * REPAIR uses it.  The fused network is re-recorded after each repaired
 * layer, because a layer's inputs change when the layers before it are
 * repaired.  With the residual branches repaired, all three networks are
 * recorded branch by branch (net.h), which changes what a block's conv2
 * and shortcut record and nothing else.
 */
#include "repair.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net_impl.h"

/* ---- biases ------------------------------------------------------------- */

int cf_net_add_biases(const cf_net *in, cf_net **out, cf_error *err)
{
	cf_arch *a;
	cf_net *net = NULL;
	int rc;

	*out = NULL;
	if (in->has_bn)
		return cf_error_set(err, CF_EINVAL, "add biases: the network has BatchNorm "
				    "(fold it into the layers first)");
	if (!(a = cf_arch_copy(in->arch)))
		return cf_error_set(err, CF_ENOMEM, "add biases: out of memory");
	for (int i = 0; i < a->nunits; i++)
		if (a->unit[i].kind == CF_UNIT_LINEAR || a->unit[i].kind == CF_UNIT_CONV ||
		    a->unit[i].kind == CF_UNIT_BLOCK)
			a->unit[i].bias = 1;
	a->bias = 1;
	if (a->family == CF_ARCH_RESNET)
		a->convbias = 1;
	rc = cf_net_create(a, &net, err);
	cf_arch_free(a);
	if (rc)
		return cf_error_prefix(err, rc, "add biases");
	/* Same names for every parameter `in` has; the new biases stay 0. */
	for (int i = 0; i < in->nparams; i++) {
		const cf_net_param *p = &in->params[i];
		const cf_net_param *q = cf_net_param_find(net, p->name);
		if (!q || q->t.size != p->t.size) {
			cf_net_free(net);
			return cf_error_set(err, CF_EINVAL, "add biases: parameter %s has no "
					    "counterpart of the same size", p->name);
		}
		memcpy(q->t.data, p->t.data, sizeof(float) * (size_t)p->t.size);
	}
	*out = net;
	return CF_OK;
}

/* ---- statistics ----------------------------------------------------------- */

/* Mean and population std of each of the oc channels of layer l of a
 * recording (N × oc × hw). */
static void layer_stats(const cf_activations *a, int l, int64_t oc, double *mean, double *std)
{
	const float *x = a->a[l]->data;
	int64_t N = a->N, hw = a->a[l]->size / (N * oc);
	double cnt = (double)(N * hw);

	for (int64_t c = 0; c < oc; c++) {
		double s = 0, ss = 0, m;
		for (int64_t n = 0; n < N; n++) {
			const float *v = x + (n * oc + c) * hw;
			for (int64_t k = 0; k < hw; k++)
				s += v[k];
		}
		m = s / cnt;
		for (int64_t n = 0; n < N; n++) {
			const float *v = x + (n * oc + c) * hw;
			for (int64_t k = 0; k < hw; k++)
				ss += (v[k] - m) * (v[k] - m);
		}
		mean[c] = m;
		std[c] = sqrt(ss / cnt);
	}
}

void cf_repair_report_free(cf_repair_report *r)
{
	if (!r)
		return;
	free(r->repaired);
	free(r->std_before);
	free(r->max_err);
	memset(r, 0, sizeof *r);
}

/* The layers REPAIR renormalises: hidden layers whose default recording
 * is their own output (a block's conv2 records conv2 + shortcut), when
 * asked a block's conv2 and shortcut on their own branches, and, when
 * asked, the classifier. */
static int repairable(const cf_net *net, int l, unsigned which)
{
	const cf_net_wlayer *w = cf_net_wlayer_at(net, l);
	int last = cf_net_nwlayers(net) - 1;
	if (l == last)
		return (which & CF_REPAIR_LOGITS) && w->role == CF_WL_PLAIN;
	if (w->role == CF_WL_CONV2 || w->role == CF_WL_SHORTCUT)
		return (which & CF_REPAIR_BRANCHES) != 0;
	return (which & CF_REPAIR_HIDDEN) != 0;
}

/* A branch is renormalised through its own weights, which is an affine
 * map of the recorded branch only when no BN stands between the two. */
static int branch_has_bn(const cf_net *net, int l)
{
	const cf_net_wlayer *w = cf_net_wlayer_at(net, l);
	return (w->role == CF_WL_CONV2 || w->role == CF_WL_SHORTCUT) && w->bn >= 0;
}

static int check_nets(const cf_net *f, const cf_net *a, const cf_net *b, unsigned which,
		      cf_error *err)
{
	int L = cf_net_nwlayers(f);
	if (cf_net_nwlayers(a) != L || cf_net_nwlayers(b) != L)
		return cf_error_set(err, CF_EINVAL, "repair: the networks have %d, %d and %d weight "
				    "layers", L, cf_net_nwlayers(a), cf_net_nwlayers(b));
	for (int l = 0; l < L; l++) {
		const cf_net_wlayer *x = cf_net_wlayer_at(f, l), *y = cf_net_wlayer_at(a, l),
				    *z = cf_net_wlayer_at(b, l);
		if (x->oc != y->oc || x->oc != z->oc || x->oh * x->ow != y->oh * y->ow ||
		    x->oh * x->ow != z->oh * z->ow)
			return cf_error_set(err, CF_EINVAL, "repair: layer %d (%s) has %d, %d and %d "
					    "outputs in the three networks", l + 1, x->name, x->oc,
					    y->oc, z->oc);
		if (repairable(f, l, which) && x->bias < 0)
			return cf_error_set(err, CF_EINVAL, "repair: layer %d (%s) of the fused "
					    "network has no bias to set (add biases first)", l + 1,
					    x->name);
		if (repairable(f, l, which) && branch_has_bn(f, l))
			return cf_error_set(err, CF_EINVAL, "repair: layer %d (%s) of the fused "
					    "network has a BatchNorm after it (fold it first)", l + 1,
					    x->name);
	}
	return CF_OK;
}

/* Scale output neuron c of layer l by alpha and add beta to its bias. */
static void affine_neuron(cf_net *net, const cf_net_wlayer *w, int64_t c, double alpha,
			  double beta)
{
	float *W = cf_net_param_at(net, w->weight)->t.data;
	float *b = cf_net_param_at(net, w->bias)->t.data;
	int64_t row = (int64_t)w->in * w->kh * w->kw;
	for (int64_t k = 0; k < row; k++)
		W[c * row + k] = (float)(alpha * W[c * row + k]);
	b[c] = (float)(alpha * b[c] + beta);
}

typedef struct stats {
	double *m0, *s0, *m1, *s1, *mf, *sf;
} stats;

static int stats_alloc(stats *st, int64_t n)
{
	double *p = malloc(sizeof *p * (size_t)(6 * n));
	if (!p)
		return -1;
	st->m0 = p;
	st->s0 = p + n;
	st->m1 = p + 2 * n;
	st->s1 = p + 3 * n;
	st->mf = p + 4 * n;
	st->sf = p + 5 * n;
	return 0;
}

/* The statistics of layer l in the fused network (st->mf, st->sf) and its
 * targets, the interpolation by s of the endpoints' (into st->m0, st->s0). */
static void measure(const cf_activations *ra, const cf_activations *r1, const cf_activations *rf,
		    int l, int64_t oc, double s, stats *st)
{
	layer_stats(ra, l, oc, st->m0, st->s0);
	layer_stats(r1, l, oc, st->m1, st->s1);
	layer_stats(rf, l, oc, st->mf, st->sf);
	for (int64_t c = 0; c < oc; c++) {
		st->m0[c] = (1 - s) * st->m0[c] + s * st->m1[c];
		st->s0[c] = (1 - s) * st->s0[c] + s * st->s1[c];
	}
}

/* Repair layer l of fused from its current recording rf; fills the report. */
static void repair_layer(cf_net *fused, int l, const cf_activations *ra, const cf_activations *r1,
			 const cf_activations *rf, double s, stats *st, cf_repair_report *rep)
{
	const cf_net_wlayer *w = cf_net_wlayer_at(fused, l);
	int64_t oc = w->oc;
	double ratio = 0;

	measure(ra, r1, rf, l, oc, s, st);
	for (int64_t c = 0; c < oc; c++) {
		double tm = st->m0[c], ts = st->s0[c];
		double alpha = st->sf[c] > 1e-12 * ts && st->sf[c] > 0 ? ts / st->sf[c] : 1.0;
		ratio += ts > 0 ? st->sf[c] / ts : 1.0;
		affine_neuron(fused, w, c, alpha, tm - alpha * st->mf[c]);
	}
	if (rep) {
		rep->repaired[l] = 1;
		rep->std_before[l] = oc ? ratio / (double)oc : 1.0;
	}
}

/* After repair: the largest deviation of layer l from its targets. */
static double layer_error(const cf_activations *ra, const cf_activations *r1,
			  const cf_activations *rf, int l, int64_t oc, double s, stats *st)
{
	double worst = 0;
	measure(ra, r1, rf, l, oc, s, st);
	for (int64_t c = 0; c < oc; c++) {
		double scale = st->s0[c] > 0 ? st->s0[c] : 1.0;
		double e = fmax(fabs(st->mf[c] - st->m0[c]), fabs(st->sf[c] - st->s0[c])) / scale;
		if (e > worst)
			worst = e;
	}
	return worst;
}

/* The fused network's recording after layer `changed` (none: -1) was
 * repaired.  A sample of one batch leaves its inputs in the network, so
 * only the layers from `changed` on run again (the same values as a whole
 * forward, at a fraction of its cost: what keeps REPAIR within two forward
 * passes per layer); a larger sample is recorded anew. */
static int rerecord(cf_net *fused, const cf_acts_sample *smp, int branches, int changed,
		    cf_activations **rf, cf_error *err)
{
	if (*rf && changed >= 0 && smp->N <= CF_ACTS_BATCH)
		return cf_net_forward_again(fused, changed, *rf, err);
	cf_activations_free(*rf);
	*rf = NULL;
	return cf_acts_record_as(fused, smp, branches, NULL, rf, err);
}

int cf_repair_net(cf_net *fused, cf_net *aligned, cf_net *net1, const double *step,
		  unsigned which, const cf_acts_sample *smp, const cf_progress *prog,
		  cf_repair_report *report, cf_error *err)
{
	cf_activations *ra = NULL, *r1 = NULL, *rf = NULL;
	stats st = {0};
	int L = cf_net_nwlayers(fused), rc, last = -1, changed = -1;
	/* Branch recordings differ from the default only in what REPAIR
	 * without branches never reads, so they are taken only when asked. */
	int branches = (which & CF_REPAIR_BRANCHES) != 0;
	int64_t widest = 1;

	if (report)
		memset(report, 0, sizeof *report);
	if (!(which & (CF_REPAIR_HIDDEN | CF_REPAIR_LOGITS | CF_REPAIR_BRANCHES)))
		return cf_error_set(err, CF_EINVAL, "repair: nothing to repair (which = %u)", which);
	if ((rc = check_nets(fused, aligned, net1, which, err)))
		return rc;
	for (int l = 0; l < L; l++)
		if (!(step[l] >= 0 && step[l] <= 1))
			return cf_error_set(err, CF_EINVAL, "repair: layer %d: step %g is outside "
					    "[0, 1]", l + 1, step[l]);
	for (int l = 0; l < L; l++) {
		if (cf_net_wlayer_at(fused, l)->oc > widest)
			widest = cf_net_wlayer_at(fused, l)->oc;
		if (repairable(fused, l, which))
			last = l;
	}
	if (stats_alloc(&st, widest))
		return cf_error_set(err, CF_ENOMEM, "repair: out of memory");
	if (report) {
		report->n = L;
		report->repaired = calloc((size_t)L, sizeof *report->repaired);
		report->std_before = calloc((size_t)L, sizeof *report->std_before);
		report->max_err = calloc((size_t)L, sizeof *report->max_err);
		if (!report->repaired || !report->std_before || !report->max_err) {
			rc = cf_error_set(err, CF_ENOMEM, "repair: out of memory");
			goto done;
		}
	}
	if ((rc = cf_acts_record_as(aligned, smp, branches, NULL, &ra, err)) ||
	    (rc = cf_acts_record_as(net1, smp, branches, NULL, &r1, err))) {
		cf_error_prefix(err, rc, "repair");
		goto done;
	}
	for (int l = 0; l <= last; l++) {
		if (!repairable(fused, l, which))
			continue;
		if ((rc = rerecord(fused, smp, branches, changed, &rf, err))) {
			cf_error_prefix(err, rc, "repair");
			goto done;
		}
		if (report && l > 0)
			for (int k = 0; k < l; k++)
				if (report->repaired[k] && report->max_err[k] == 0)
					report->max_err[k] = layer_error(ra, r1, rf, k,
									 cf_net_wlayer_at(fused, k)->oc, step[k], &st);
		repair_layer(fused, l, ra, r1, rf, step[l], &st, report);
		changed = l;
		if (cf_progress_report(prog, "repair", (double)(l + 1) / (last + 1))) {
			rc = cf_error_set(err, CF_ESTOPPED, "repair: stopped after layer %d", l + 1);
			goto done;
		}
	}
	if (report && last >= 0) {
		/* The last repaired layer's result, measured once more. */
		if ((rc = rerecord(fused, smp, branches, changed, &rf, err))) {
			cf_error_prefix(err, rc, "repair");
			goto done;
		}
		for (int k = 0; k <= last; k++)
			if (report->repaired[k] && report->max_err[k] == 0)
				report->max_err[k] = layer_error(ra, r1, rf, k,
								 cf_net_wlayer_at(fused, k)->oc, step[k], &st);
	}
done:
	if (rc && report)
		cf_repair_report_free(report);
	cf_activations_free(ra);
	cf_activations_free(r1);
	cf_activations_free(rf);
	free(st.m0);
	return rc;
}
