/* test_repair_branches.c — REPAIR of the residual branches
 * (fusion.repair_branches, CF_REPAIR_BRANCHES).
 *
 * A small ResNet (an identity block, then a projection block), with and
 * without BN (folded first, as the session does), is fused with tied
 * plans and repaired with the branches: every block's conv2 branch (its
 * output before the add) and projection shortcut must then have, channel
 * by channel, the interpolation of the endpoints' statistics of the same
 * branch.  The branch values are computed here, not by the recording mode
 * under test: conv2's by a plain convolution of ReLU(conv1's recorded
 * output) with conv2's weights, the shortcut's from the default recording,
 * which is its own output.  Also: the other layers still meet their
 * targets, the report names the branches, a network without residual
 * blocks gets exactly REPAIR's weights, and the session's refusal without
 * fusion.repair or fusion.residual_tied.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "acts.h"
#include "fold.h"
#include "fusion.h"
#include "net.h"
#include "repair.h"
#include "report.h"
#include "session.h"
#include "fixtures.h"
#include "tap.h"

static gsl_rng *rng;

/* A network for desc, with BN randomised and folded when it has BN. */
static cf_net *make(const char *desc)
{
	cf_net *n = fx_net(desc, rng), *f = NULL;
	cf_error e = { 0, "" };
	if (!n || !cf_net_has_bn(n))
		return n;
	fx_randomize_bn(n, rng);
	if (cf_net_fold_bn(n, &f, &e))
		tap_diag("fold: %s", e.msg);
	cf_net_free(n);
	return f;
}

/* Fuse n0 onto n1 with tied plans at `step` (exact OT, activations). */
static cf_fusion *fuse_tied(cf_net *n0, cf_net *n1, const cf_acts_sample *s, double step)
{
	cf_fusion_params p;
	cf_activations *a0 = NULL, *a1 = NULL;
	cf_fusion *f = NULL;
	cf_error e = { 0, "" };

	cf_fusion_params_default(&p);
	p.step = step;
	p.residual_tied = 1;
	if (cf_acts_record(n0, s, NULL, &a0, &e) || cf_acts_record(n1, s, NULL, &a1, &e) ||
	    cf_fusion_alloc(n0, n1, a0, a1, &p, &f, &e) || cf_fusion_run(f, NULL, &e)) {
		tap_diag("fusion failed: %s", e.msg);
		cf_fusion_free(f);
		f = NULL;
	}
	cf_activations_free(a0);
	cf_activations_free(a1);
	return f;
}

/* Layer l's branch values (N × oc × oh × ow, in double) from the default
 * recording r of a BN-free net: conv2's computed here by a plain
 * convolution of ReLU(conv1's output), the shortcut's as recorded. */
static double *branch_values(cf_net *net, const cf_activations *r, int l)
{
	const cf_net_wlayer *w = cf_net_wlayer_at(net, l);
	int64_t N = r->N, osz = (int64_t)w->oc * w->oh * w->ow;
	double *y = malloc(sizeof *y * (size_t)(N * osz));

	if (!y || w->role == CF_WL_SHORTCUT) {
		for (int64_t i = 0; y && i < N * osz; i++)
			y[i] = r->a[l]->data[i];
		return y;
	}
	const cf_net_wlayer *c1 = cf_net_wlayer_at(net, l - 1);
	const float *h = r->a[l - 1]->data, *W = cf_net_param_at(net, w->weight)->t.data;
	const float *b = w->bias >= 0 ? cf_net_param_at(net, w->bias)->t.data : NULL;
	int ih = c1->oh, iw = c1->ow, ci = c1->oc;
	for (int64_t n = 0; n < N; n++)
		for (int o = 0; o < w->oc; o++)
			for (int i = 0; i < w->oh; i++)
				for (int j = 0; j < w->ow; j++) {
					double acc = b ? b[o] : 0.0;
					for (int c = 0; c < ci; c++)
						for (int p = 0; p < w->kh; p++)
							for (int q = 0; q < w->kw; q++) {
								int y0 = i * w->stride - w->pad + p;
								int x0 = j * w->stride - w->pad + q;
								double v;
								if (y0 < 0 || y0 >= ih || x0 < 0 || x0 >= iw)
									continue;
								v = h[((n * ci + c) * ih + y0) * iw + x0];
								acc += (v > 0 ? v : 0.0) *
								       W[((o * ci + c) * w->kh + p) * w->kw + q];
							}
					y[((n * w->oc + o) * w->oh + i) * w->ow + j] = acc;
				}
	return y;
}

/* Per-channel mean and population std of v (N × oc × hw). */
static void chan_stats(const double *v, int64_t N, int64_t oc, int64_t hw, double *m, double *sd)
{
	for (int64_t c = 0; c < oc; c++) {
		double s = 0, ss = 0;
		for (int64_t n = 0; n < N; n++)
			for (int64_t k = 0; k < hw; k++)
				s += v[(n * oc + c) * hw + k];
		m[c] = s / (double)(N * hw);
		for (int64_t n = 0; n < N; n++)
			for (int64_t k = 0; k < hw; k++) {
				double d = v[(n * oc + c) * hw + k] - m[c];
				ss += d * d;
			}
		sd[c] = sqrt(ss / (double)(N * hw));
	}
}

/* Statistics of layer l: its branch for a block's conv2 / shortcut, its
 * recording otherwise. */
static void layer_stats(cf_net *net, const cf_activations *r, int l, double *m, double *sd)
{
	const cf_net_wlayer *w = cf_net_wlayer_at(net, l);
	int64_t hw = (int64_t)w->oh * w->ow, sz = r->N * w->oc * hw;
	double *v;

	if (w->role == CF_WL_CONV2 || w->role == CF_WL_SHORTCUT) {
		v = branch_values(net, r, l);
	} else if ((v = malloc(sizeof *v * (size_t)sz))) {
		for (int64_t i = 0; i < sz; i++)
			v[i] = r->a[l]->data[i];
	}
	if (v)
		chan_stats(v, r->N, w->oc, hw, m, sd);
	free(v);
}

/* Largest deviation over layer l's channels of (m, sd) from the targets
 * interpolated by s between (ma, sa) and (m1, s1), relative to the target
 * std. */
static double deviation(int64_t oc, double s, const double *m, const double *sd,
			const double *ma, const double *sa, const double *m1, const double *s1)
{
	double worst = 0;
	for (int64_t c = 0; c < oc; c++) {
		double tm = (1 - s) * ma[c] + s * m1[c], ts = (1 - s) * sa[c] + s * s1[c];
		worst = fmax(worst, fmax(fabs(m[c] - tm), fabs(sd[c] - ts)) / ts);
	}
	return worst;
}

typedef struct devs {
	double branch, branch_before, other, report_branch;
	int nbranch, nrep_ok;
} devs;

/* Per layer of fz: the deviation from the targets after (rf) and before
 * (rb) the repair, gathered into branches and the other hidden layers. */
static void gather(cf_net *fz, cf_net *al, cf_net *n1, const cf_activations *ra,
		   const cf_activations *r1, const cf_activations *rf, const cf_activations *rb,
		   double step, const cf_repair_report *rep, devs *d)
{
	int L = cf_net_nwlayers(fz);
	memset(d, 0, sizeof *d);
	d->nrep_ok = 1;
	for (int l = 0; l < L - 1; l++) {
		const cf_net_wlayer *w = cf_net_wlayer_at(fz, l);
		int64_t oc = w->oc;
		int br = w->role == CF_WL_CONV2 || w->role == CF_WL_SHORTCUT;
		double *m = malloc(sizeof *m * (size_t)(8 * oc)), after, before;
		double *sd = m + oc, *ma = m + 2 * oc, *sa = m + 3 * oc, *m1 = m + 4 * oc,
		       *s1 = m + 5 * oc, *mb = m + 6 * oc, *sb = m + 7 * oc;
		layer_stats(al, ra, l, ma, sa);
		layer_stats(n1, r1, l, m1, s1);
		layer_stats(fz, rf, l, m, sd);
		layer_stats(fz, rb, l, mb, sb);
		after = deviation(oc, step, m, sd, ma, sa, m1, s1);
		before = deviation(oc, step, mb, sb, ma, sa, m1, s1);
		d->nrep_ok &= rep->repaired[l] == 1;
		if (br) {
			d->nbranch++;
			d->branch = fmax(d->branch, after);
			d->branch_before = fmax(d->branch_before, before);
			d->report_branch = fmax(d->report_branch, rep->max_err[l]);
		} else {
			d->other = fmax(d->other, after);
		}
		free(m);
	}
	d->nrep_ok &= rep->repaired[L - 1] == 0;
}

/* Fuse d0 onto d1 with tied plans, repair hidden layers and branches, and
 * check every branch channel against the targets computed here. */
static void check_branches(const char *d0, const char *d1, double step, const char *what)
{
	cf_net *n0 = make(d0), *n1 = make(d1), *al = NULL, *fz = NULL;
	cf_acts_sample *s = n1 ? fx_sample(n1, 300, rng) : NULL;
	cf_activations *ra = NULL, *r1 = NULL, *rf = NULL, *rb = NULL;
	cf_fusion *f = n0 && n1 ? fuse_tied(n0, n1, s, step) : NULL;
	cf_repair_report rep = { 0 };
	cf_error e = { 0, "" };
	double steps[32];
	devs d;

	ok(f != NULL, "%s: fused with tied plans", what);
	if (!f || cf_net_nwlayers(n1) > 32)
		goto out;
	for (int l = 0; l < 32; l++)
		steps[l] = step;
	if (cf_fusion_aligned_net(f, &al, &e) || cf_net_add_biases(cf_fusion_net(f), &fz, &e) ||
	    cf_acts_record(fz, s, NULL, &rb, &e)) {
		ok(0, "%s: aligned model and biases: %s", what, e.msg);
		goto out;
	}
	ok(cf_repair_net(fz, al, n1, steps, CF_REPAIR_HIDDEN | CF_REPAIR_BRANCHES, s, NULL, &rep,
			 &e) == CF_OK, "%s: repaired with the branches (%s)", what, e.msg);
	if (!rep.repaired || cf_acts_record(al, s, NULL, &ra, &e) ||
	    cf_acts_record(n1, s, NULL, &r1, &e) || cf_acts_record(fz, s, NULL, &rf, &e)) {
		ok(0, "%s: recordings: %s", what, e.msg);
		goto out;
	}
	gather(fz, al, n1, ra, r1, rf, rb, step, &rep, &d);
	ok(d.nrep_ok && d.nbranch >= 3, "%s: every hidden layer reported repaired, %d of them "
	   "branches; the classifier not", what, d.nbranch);
	ok(d.branch < 1e-4 && d.branch_before > 1e-2,
	   "%s: every branch channel's mean and std (conv2 before the add; shortcut) equal the "
	   "targets (worst %.2e of the target std; %.2e before)", what, d.branch, d.branch_before);
	ok(d.other < 1e-4, "%s: the other hidden layers still meet theirs (%.2e)", what, d.other);
	ok(fabs(d.report_branch - d.branch) <= 1e-6 + 0.1 * d.branch,
	   "%s: the report's error on the branches %.2e agrees", what, d.report_branch);
out:
	cf_repair_report_free(&rep);
	cf_activations_free(ra);
	cf_activations_free(r1);
	cf_activations_free(rf);
	cf_activations_free(rb);
	cf_fusion_free(f);
	cf_net_free(n0);
	cf_net_free(n1);
	cf_net_free(al);
	cf_net_free(fz);
	cf_acts_sample_free(s);
}

/* Nonzero when every parameter of a and b is bit-identical. */
static int same_params(cf_net *a, cf_net *b)
{
	if (cf_net_nparams(a) != cf_net_nparams(b))
		return 0;
	for (int i = 0; i < cf_net_nparams(a); i++) {
		const cf_net_param *p = cf_net_param_at(a, i), *q = cf_net_param_at(b, i);
		if (p->t.size != q->t.size ||
		    memcmp(p->t.data, q->t.data, sizeof(float) * (size_t)p->t.size))
			return 0;
	}
	return 1;
}

/* Without residual blocks the option has nothing to repair: the weights
 * are REPAIR's alone, bit for bit. */
static void check_no_blocks(const char *d0, const char *d1, const char *what)
{
	cf_net *n0 = make(d0), *n1 = make(d1), *al = NULL, *x = NULL, *y = NULL;
	cf_acts_sample *s = n1 ? fx_sample(n1, 200, rng) : NULL;
	cf_fusion *f = n0 && n1 ? fuse_tied(n0, n1, s, 0.5) : NULL;
	cf_error e = { 0, "" };
	double steps[32];

	for (int l = 0; l < 32; l++)
		steps[l] = 0.5;
	ok(f && !cf_fusion_aligned_net(f, &al, &e) && !cf_net_add_biases(cf_fusion_net(f), &x, &e) &&
	   !cf_net_add_biases(cf_fusion_net(f), &y, &e) &&
	   !cf_repair_net(x, al, n1, steps, CF_REPAIR_HIDDEN, s, NULL, NULL, &e) &&
	   !cf_repair_net(y, al, n1, steps, CF_REPAIR_HIDDEN | CF_REPAIR_BRANCHES, s, NULL, NULL, &e) &&
	   same_params(x, y), "%s: with the branches, every weight is REPAIR's alone (%s)", what,
	   e.msg);
	cf_fusion_free(f);
	cf_net_free(n0);
	cf_net_free(n1);
	cf_net_free(al);
	cf_net_free(x);
	cf_net_free(y);
	cf_acts_sample_free(s);
}

/* A fused network whose branch still has a BN after it is refused. */
static void test_bn_refused(void)
{
	cf_net *n = fx_net("resnet 1,1 width 3 classes 3 in 2x6x6 convbias", rng);
	cf_acts_sample *s = n ? fx_sample(n, 20, rng) : NULL;
	cf_error e = { 0, "" };
	double steps[8] = { 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 };

	ok(n && cf_repair_net(n, n, n, steps, CF_REPAIR_BRANCHES, s, NULL, NULL, &e) == CF_EINVAL &&
	   strstr(e.msg, "BatchNorm") && strstr(e.msg, "conv2"),
	   "an unfolded ResNet's branches are refused: %s", e.msg);
	cf_net_free(n);
	cf_acts_sample_free(s);
}

/* A session with two ResNets (or two VGGs when vgg) on synthetic data. */
static cf_session *session_with(int vgg)
{
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	const char *d = vgg ? "vgg 5 M 6 M classes 4 in 1x8x8" : "resnet 1,1 width 4 classes 4 in 1x8x8";
	if (cf_session_new(&s, &e)) {
		ok(0, "session: %s", e.msg);
		return NULL;
	}
	cf_session_add_model(s, fx_net(d, rng), "A", &e);
	cf_session_add_model(s, fx_net(d, rng), "B", &e);
	cf_session_set_data(s, fx_data(300, 1, 8, 8, 4, 1), fx_data(100, 1, 8, 8, 4, 2), &e);
	cf_session_set(s, "fusion.repair_samples", "200", &e);
	return s;
}

static void set3(cf_session *s, const char *repair, const char *tied, const char *branches)
{
	cf_error e = { 0, "" };
	cf_session_set(s, "fusion.repair", repair, &e);
	cf_session_set(s, "fusion.residual_tied", tied, &e);
	cf_session_set(s, "fusion.repair_branches", branches, &e);
}

static void test_session_refusal(void)
{
	cf_session *s = session_with(0);
	cf_error e = { 0, "" };

	if (!s)
		return;
	ok(cf_session_get_num(s, "fusion.repair_branches") == 0,
	   "session: fusion.repair_branches is off by default");
	set3(s, "1", "0", "1");
	ok(cf_session_run(s, CF_STEP_FUSE, &e) == CF_EINVAL &&
	   strstr(e.msg, "fusion.repair_branches needs fusion.repair=1 and fusion.residual_tied=1") &&
	   strstr(e.msg, "fusion.residual_tied is 0"), "session: refused without tied plans: %s",
	   e.msg);
	set3(s, "0", "1", "1");
	ok(cf_session_run(s, CF_STEP_FUSE, &e) == CF_EINVAL &&
	   strstr(e.msg, "fusion.repair_branches needs fusion.repair=1 and fusion.residual_tied=1") &&
	   strstr(e.msg, "fusion.repair is 0"), "session: refused without REPAIR: %s", e.msg);
	set3(s, "0", "0", "1");
	cf_session_set(s, "fusion.repair_logits", "1", &e);
	ok(cf_session_run(s, CF_STEP_FUSE, &e) == CF_EINVAL && strstr(e.msg, "both are 0"),
	   "session: refused with neither (REPAIR of the logits does not count): %s", e.msg);
	cf_session_free(s);
}

/* The session repairs the branches and its report says so. */
static void test_session_resnet(void)
{
	cf_session *s = session_with(0);
	cf_error e = { 0, "" };
	const cf_repair_report *rep;
	char buf[8192] = "";
	FILE *f;
	int nb = 0;

	if (!s)
		return;
	set3(s, "1", "1", "1");
	ok(cf_session_run(s, CF_STEP_EVAL, &e) == CF_OK && (rep = cf_session_repair_report(s)),
	   "session: ResNet fused with tied plans, REPAIR and its branches (%s)", e.msg);
	if (!rep) {
		cf_session_free(s);
		return;
	}
	for (int l = 0; l < rep->n; l++) {
		enum cf_wl_role r = cf_net_wlayer_at(cf_session_fused(s), l)->role;
		if ((r == CF_WL_CONV2 || r == CF_WL_SHORTCUT) && rep->repaired[l] &&
		    rep->max_err[l] < 1e-4 && rep->std_before[l] > 0)
			nb++;
	}
	ok(nb == 3, "session: the report has the 3 branch layers repaired, within 1e-4");
	if ((f = tmpfile())) {
		cf_session_report(s, f, 0, &e);
		rewind(f);
		buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
		fclose(f);
	}
	ok(strstr(buf, "REPAIR renormalised 6 of 7 layers, 3 of them residual branches") != NULL,
	   "session: the text report counts the branches");
	set3(s, "1", "1", "0");
	ok(cf_session_run(s, CF_STEP_FUSE, &e) == CF_OK && (rep = cf_session_repair_report(s)) &&
	   !rep->repaired[2] && !rep->repaired[4] && !rep->repaired[5] && rep->repaired[3],
	   "session: off again, the branches are left alone (%s)", e.msg);
	cf_session_free(s);
}

/* A VGG in the session: the option changes no weight. */
static void test_session_vgg(void)
{
	cf_session *s = session_with(1);
	cf_error e = { 0, "" };
	cf_net *plain = NULL;

	if (!s)
		return;
	set3(s, "1", "1", "0");
	ok(cf_session_run(s, CF_STEP_FUSE, &e) == CF_OK &&
	   !cf_net_copy(cf_session_fused(s), &plain, &e), "session: VGG with REPAIR (%s)", e.msg);
	set3(s, "1", "1", "1");
	ok(plain && cf_session_run(s, CF_STEP_FUSE, &e) == CF_OK &&
	   same_params(plain, cf_session_fused(s)),
	   "session: VGG with the branches too: the same weights, bit for bit (%s)", e.msg);
	cf_net_free(plain);
	cf_session_free(s);
}

int main(void)
{
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 23);
	check_branches("resnet 1,1 width 4 classes 3 in 3x8x8 nobn", "resnet 1,1 width 4 classes 3 in 3x8x8 nobn",
		       0.5, "ResNet");
	check_branches("resnet 1,1 width 4 classes 3 in 3x8x8", "resnet 1,1 width 4 classes 3 in 3x8x8",
		       0.3, "ResNet with BN, s = 0.3");
	check_branches("resnet 2,2 width 4 classes 3 in 3x8x8", "resnet 2,2 width 6 classes 3 in 3x8x8",
		       0.5, "ResNet 2,2 with BN, width 4 onto 6");
	check_no_blocks("mlp 12-6-5-4 nobias", "mlp 12-10-8-4 nobias", "MLP");
	check_no_blocks("vgg 4 M 6 M classes 3 in 1x8x8 bn", "vgg 6 M 8 M classes 3 in 1x8x8 bn",
			"VGG with BN");
	test_bn_refused();
	test_session_refusal();
	test_session_resnet();
	test_session_vgg();
	gsl_rng_free(rng);
	return tap_done();
}
