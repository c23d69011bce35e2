/* test_session.c — the fusion session on small random models and an
 * in-memory data set: the whole pipeline, staleness (which steps a
 * parameter change invalidates, counted recomputations), per-layer
 * overrides re-solving only the layers from there on, stepping the fusion
 * one layer at a time, failed steps keeping their results, more than two
 * models, and bad input leaving the session unchanged. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "balance.h"
#include "cla.h"
#include "ground.h"
#include "report.h"
#include "session.h"
#include "fixtures.h"
#include "tap.h"

static gsl_rng *rng;

static cf_net *mk(const char *desc) { return fx_net(desc, rng); }

/* Logits of net on all of d (one forward pass; the sets here are small). */
static float *logits_of(cf_net *net, const cf_dataset *d)
{
	float *z = malloc(sizeof *z * (size_t)(d->n * cf_net_nclasses(net)));
	cf_error e = { 0, "" };
	if (z && cf_net_forward(net, d->x, d->n, CF_NET_EVAL, NULL, z, &e)) {
		tap_diag("forward: %s", e.msg);
		free(z);
		z = NULL;
	}
	return z;
}

/* Accuracy on d of the argmax of the mean of the K models' log-softmax
 * (one model: its own accuracy), worked out here in double, apart from
 * the core's evaluation code. */
static double accuracy_of(float *const *z, int K, const cf_dataset *d, int k)
{
	int64_t right = 0;
	for (int64_t i = 0; i < d->n; i++) {
		double best = -INFINITY;
		int arg = -1;
		for (int c = 0; c < k; c++) {
			double sum = 0;
			for (int m = 0; m < K; m++) {
				const float *r = z[m] + i * k;
				double mx = r[0], se = 0;
				for (int q = 1; q < k; q++)
					mx = r[q] > mx ? r[q] : mx;
				for (int q = 0; q < k; q++)
					se += exp(r[q] - mx);
				sum += (r[c] - mx - log(se)) / K;
			}
			if (sum > best) {
				best = sum;
				arg = c;
			}
		}
		right += arg == d->y[i];
	}
	return (double)right / (double)d->n;
}

static int all_fresh(cf_session *s, int upto)
{
	for (int k = 0; k <= upto; k++)
		if (cf_session_state(s, k) != CF_STATE_FRESH)
			return 0;
	return 1;
}

static void test_pipeline(void)
{
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	char buf[64];
	int n, rc, L, i0, i1;
	const int *map;
	int64_t solves;
	cf_net *netA, *netB;
	cf_dataset *test;

	ok(cf_session_new(&s, &e) == 0, "new session");
	ok(cf_session_get(s, "ot.solver", buf, sizeof buf, &e) == 0 && !strcmp(buf, "exact"),
	   "default ot.solver = exact");
	ok(cf_session_get_num(s, "data.samples") == 200 && cf_session_get_num(s, "fusion.step") == 0.5 &&
		   cf_session_get_num(s, "cla.start") == 2 && cf_session_get_num(s, "cla.free_end") == 1 &&
		   cf_session_get_num(s, "fusion.eps") == 1e-7,
	   "preface defaults: N=200, s=0.5, start 2, free end 1, eps 1e-7");
	ok(cf_session_get(s, "fusion.eps", buf, sizeof buf, &e) == 0 && !strcmp(buf, "1e-07"),
	   "a double reads as its shortest round-trip text: fusion.eps = %s", buf);
	ok(cf_session_set(s, "ot.reg", "0.1", &e) == 0 &&
		   cf_session_get(s, "ot.reg", buf, sizeof buf, &e) == 0 && !strcmp(buf, "0.1"),
	   "0.1 reads back as 0.1, not 0.10000000000000001 (%s)", buf);
	ok(cf_session_set(s, "ot.reg", "0.30000000000000004", &e) == 0 &&
		   cf_session_get(s, "ot.reg", buf, sizeof buf, &e) == 0 &&
		   !strcmp(buf, "0.30000000000000004"),
	   "a double that needs 17 digits keeps them (%s)", buf);
	cf_session_set(s, "ot.reg", "0.01", &e);
	netA = mk("mlp 16-40-30-20-12-10 nobias");
	netB = mk("mlp 16-40-30-10 nobias");
	cf_session_add_model(s, netA, "A", &e);
	cf_session_add_model(s, netB, "B", &e);
	ok(cf_session_run(s, CF_STEP_ACTS, &e) == CF_EINVAL && strstr(e.msg, "data"),
	   "running without data: %s", e.msg);
	test = fx_data(300, 1, 4, 4, 10, 2);
	ok(cf_session_set_data(s, fx_data(400, 1, 4, 4, 10, 1), test, &e) == 0,
	   "synthetic data 1x4x4, 10 classes");
	cf_session_set(s, "data.samples", "100", &e);
	rc = cf_session_run_all(s, &e);
	ok(rc == 0, "whole pipeline runs (%s)", rc ? e.msg : "ok");
	ok(all_fresh(s, CF_STEP_FINETUNE), "every step is fresh");
	map = cf_session_unit_map(s, &n);
	ok(n == 2 && map[0] == 1 && map[1] == 4, "map [1,4] (neuron measure, s=2, f=1)");
	cf_session_pair(s, &i0, &i1);
	ok(i0 == 0 && i1 == 1 && cf_session_balanced_rebuilt(s) == 1, "A is model 0, B is rebuilt by add");
	L = cf_session_fusion_layers(s);
	ok(L == 5 && cf_session_fused(s) != NULL, "5 fused layers, fused model available");
	{
		const cf_session_metrics *m = cf_session_metrics_get(s);
		ok(m->have && m->balanced_acc == m->parent_acc[1],
		   "balanced B' has B's accuracy exactly (%.4f)", m->balanced_acc);
		float *z[3] = { logits_of(netA, test), logits_of(netB, test),
				logits_of(cf_session_fused(s), test) };
		if (z[0] && z[1] && z[2]) {
			double a = accuracy_of(z, 1, test, 10), b = accuracy_of(z + 1, 1, test, 10);
			double ens = accuracy_of(z, 2, test, 10), fu = accuracy_of(z + 2, 1, test, 10);
			ok(fabs(m->parent_acc[0] - a) < 1e-12 && fabs(m->parent_acc[1] - b) < 1e-12 &&
				   fabs(m->ensemble_acc - ens) < 1e-12 && fabs(m->fused_acc - fu) < 1e-12 &&
				   isnan(m->average_acc),
			   "accuracies as recomputed here: A %.4f (%.4f) B %.4f (%.4f) ensemble %.4f "
			   "(%.4f) fused %.4f (%.4f); no average of different architectures",
			   m->parent_acc[0], a, m->parent_acc[1], b, m->ensemble_acc, ens,
			   m->fused_acc, fu);
		}
		for (int k = 0; k < 3; k++)
			free(z[k]);
	}
	{
		int good = 0;
		for (int l = 0; l < L; l++) {
			const cf_fusion_layer *y = cf_session_fusion_layer(s, l);
			good += y && y->M && y->plan && y->ot.status == CF_OT_OPTIMAL;
		}
		ok(L > 0 && good == L, "every layer has M, T and an optimal exact plan (%d/%d)", good, L);
	}
	solves = cf_session_layer_solves(s);
	ok(solves == L, "%lld layer solves for %d layers", (long long)solves, L);

	/* changing ot.reg: fusion and after stale, alignment fresh */
	ok(cf_session_set(s, "ot.reg", "0.05", &e) == 0, "set ot.reg 0.05");
	ok(all_fresh(s, CF_STEP_BALANCE) && cf_session_state(s, CF_STEP_FUSE) == CF_STATE_STALE &&
		   cf_session_state(s, CF_STEP_EVAL) == CF_STATE_STALE,
	   "ot.reg marks fusion and evaluation stale, not the alignment");
	ok(cf_session_set(s, "ot.reg", "0.05", &e) == 0 && cf_session_runs(s, CF_STEP_FUSE) == 1,
	   "setting the same value again changes nothing");
	ok(cf_session_run(s, CF_STEP_EVAL, &e) == 0, "re-run to evaluation");
	ok(cf_session_runs(s, CF_STEP_ACTS) == 1 && cf_session_runs(s, CF_STEP_COSTS) == 1 &&
		   cf_session_runs(s, CF_STEP_ALIGN) == 1 && cf_session_runs(s, CF_STEP_BALANCE) == 1 &&
		   cf_session_runs(s, CF_STEP_FUSE) == 2 && cf_session_runs(s, CF_STEP_EVAL) == 2,
	   "only fusion and evaluation recomputed (runs 1,1,1,1,2,2)");

	/* cla.start: alignment and after stale, costs fresh */
	cf_session_set(s, "cla.start", "1", &e);
	ok(all_fresh(s, CF_STEP_COSTS) && cf_session_state(s, CF_STEP_ALIGN) == CF_STATE_STALE &&
		   cf_session_state(s, CF_STEP_BALANCE) == CF_STATE_STALE,
	   "cla.start marks alignment and after stale, not the costs");
	ok(cf_session_run(s, CF_STEP_EVAL, &e) == 0 && cf_session_runs(s, CF_STEP_COSTS) == 1 &&
		   cf_session_runs(s, CF_STEP_ALIGN) == 2 && cf_session_runs(s, CF_STEP_BALANCE) == 2,
	   "re-run recomputes alignment, balance, fusion (costs once)");
	map = cf_session_unit_map(s, &n);
	ok(n == 2 && map[0] == 1 && map[1] == 4, "s=1, f=1 -> [1,4]");

	/* per-layer override: re-solve layer 3 and after only */
	{
		const double *plan1 = cf_session_fusion_layer(s, 0)->plan;
		const double *plan2 = cf_session_fusion_layer(s, 1)->plan;
		solves = cf_session_layer_solves(s);
		ok(cf_session_set_layer(s, 3, "ot.solver", "sinkhorn-log", &e) == 0,
		   "override ot.solver for layer 3");
		ok(cf_session_state(s, CF_STEP_FUSE) == CF_STATE_STALE && all_fresh(s, CF_STEP_BALANCE),
		   "fusion stale, balance fresh");
		ok(cf_session_run(s, CF_STEP_FUSE, &e) == 0, "re-fuse");
		ok(cf_session_layer_solves(s) - solves == L - 2,
		   "only layers 3..%d re-solved (%lld solves)", L,
		   (long long)(cf_session_layer_solves(s) - solves));
		ok(cf_session_fusion_layer(s, 0)->plan == plan1 && cf_session_fusion_layer(s, 1)->plan == plan2,
		   "layers 1 and 2 keep their plans");
		ok(cf_session_fusion_layer(s, 2)->ot.kind == CF_OT_SINKHORN_LOG &&
			   cf_session_fusion_layer(s, 3)->ot.kind != CF_OT_SINKHORN_LOG,
		   "layer 3 solved by sinkhorn-log, layer 4 by the exact solver");
		ok(cf_session_get_layer(s, 3, "ot.solver", buf, sizeof buf) && !strcmp(buf, "sinkhorn-log"),
		   "the override reads back");
		ok(cf_session_set_layer(s, 3, "cla.start", "1", &e) == CF_EINVAL,
		   "cla.start is not per-layer: %s", e.msg);
		ok(cf_session_set_layer(s, 9, "ot.reg", "1", &e) == CF_EINVAL, "layer 9 of 5: %s", e.msg);
	}

	/* stepping the fusion one layer at a time */
	cf_session_set(s, "fusion.step", "0.25", &e);
	ok(cf_session_fuse_step(s, &e) == 0 && cf_session_state(s, CF_STEP_FUSE) == CF_STATE_RUNNING &&
		   cf_session_fusion_cursor(s) == 1 && !cf_session_fused(s),
	   "one fusion step: layer 1 done, state running");
	for (int l = 1; l < L; l++)
		cf_session_fuse_step(s, &e);
	ok(cf_session_state(s, CF_STEP_FUSE) == CF_STATE_FRESH && cf_session_fused(s) &&
		   cf_session_fusion_layer(s, 4)->par.step == 0.25,
	   "after %d steps the fusion is fresh with s = 0.25", L);

	/* a failing step keeps its previous results */
	{
		int m, nn;
		const double *C = cf_session_costs(s, &m, &nn);
		ok(cf_session_set(s, "cla.metric", "cka", &e) == 0 &&
			   cf_session_run(s, CF_STEP_ALIGN, &e) == CF_EINVAL,
		   "neuron measure with cka fails: %s", e.msg);
		ok(cf_session_state(s, CF_STEP_COSTS) == CF_STATE_FAILED &&
			   cf_session_costs(s, &m, &nn) == C && strstr(cf_session_error(s, CF_STEP_COSTS), "cka"),
		   "costs marked failed, previous C kept");
		cf_session_set(s, "cla.measure", "activation", &e);
		rc = cf_session_run(s, CF_STEP_EVAL, &e);
		ok(rc == 0 && cf_session_state(s, CF_STEP_COSTS) == CF_STATE_FRESH,
		   "activation/cka recovers (%s)", rc ? e.msg : "ok");
		C = cf_session_costs(s, &m, &nn);
		ok(m == 4 && nn == 2 && C[0] > -1e-9 && C[0] < 1, "CKA costs in [0,1): C[1][1] = %.4f", C[0]);
	}

	/* a model with BatchNorm is folded (same function in eval mode) when added */
	{
		cf_session *t = NULL;
		cf_net *bn = mk("vgg 4 M classes 10 in 1x4x4 bn"), *m;
		cf_session_new(&t, &e);
		rc = cf_session_add_model(t, bn, "E", &e);
		m = cf_session_model(t, 0);
		ok(rc == 0 && cf_session_nmodels(t) == 1 && cf_session_model_folded(t, 0) == 1 &&
			   !cf_net_has_bn(m) && cf_net_param_find(m, "features.0.bias"),
		   "a model with BatchNorm: added with BN folded into its conv (%s)", rc ? e.msg : "ok");
		ok(cf_session_model_folded(s, 0) == 0 && cf_session_model_folded(t, 1) == 0,
		   "BN-free models and bad indices are not folded");
		cf_session_free(t);
	}

	/* bad input: the session stays as it was */
	{
		int st[CF_STEP_COUNT];
		for (int k = 0; k < CF_STEP_COUNT; k++)
			st[k] = cf_session_state(s, k);
		ok(cf_session_set(s, "ot.nosuch", "1", &e) == CF_EINVAL && strstr(e.msg, "ot.nosuch"),
		   "unknown parameter: %s", e.msg);
		ok(cf_session_set(s, "fusion.step", "1.5", &e) == CF_EINVAL && strstr(e.msg, "range"),
		   "out of range: %s", e.msg);
		ok(cf_session_set(s, "ot.solver", "magic", &e) == CF_EINVAL, "bad choice: %s", e.msg);
		ok(cf_session_set(s, "data.samples", "12.5", &e) == CF_EINVAL, "not an integer: %s", e.msg);
		ok(cf_session_add_model(s, mk("mlp 25-10-10 nobias"), "C", &e) == CF_EINVAL &&
			   cf_session_nmodels(s) == 2, "mismatched input shape: %s", e.msg);
		ok(cf_session_add_model(s, mk("mlp 16-10-7 nobias"), "D", &e) == CF_EINVAL &&
			   cf_session_nmodels(s) == 2, "mismatched classes: %s", e.msg);
		ok(cf_session_add_model(s, mk("net in 1x4x4: conv 4 p1, maxpool 2, bn, linear 10"), "F",
					&e) == CF_EINVAL && cf_session_nmodels(s) == 2 &&
			   strstr(e.msg, "model F: ") && strstr(e.msg, "unit 3"),
		   "a BatchNorm that cannot be folded: %s", e.msg);
		ok(cf_session_set_data(s, fx_data(50, 1, 5, 5, 10, 3), fx_data(50, 1, 5, 5, 10, 4), &e) ==
			   CF_EINVAL && cf_session_data(s, 0)->h == 4, "data that does not fit: %s", e.msg);
		{
			int same = 1;
			for (int k = 0; k < CF_STEP_COUNT; k++)
				same &= st[k] == cf_session_state(s, k);
			ok(same && cf_session_get_num(s, "fusion.step") == 0.25, "states and values unchanged");
		}
	}
	cf_session_free(s);
}

/* A stop during a later layer keeps the layers solved before it: the
 * callback stops the first report of layer 4's solver (sinkhorn-log at a
 * tiny ε and no iteration limit would run for minutes there), and the
 * next run solves layers 4 on only, the plans of 1-3 untouched. */
struct stop_at {
	cf_session *s;
	int layer;   /* stop while the fusion's cursor is here (0-based) */
	int solver;  /* 1: only the solver's reports; 0: also the fusion's own */
	int reports; /* reports that stopped */
};

static int stop_at_layer(void *ud, const char *what, double fraction)
{
	struct stop_at *st = ud;
	(void)fraction;
	if (cf_session_state(st->s, CF_STEP_FUSE) != CF_STATE_RUNNING ||
	    cf_session_fusion_cursor(st->s) != st->layer ||
	    (st->solver && !strstr(what, "iteration")))
		return 0;
	st->reports++;
	return 1;
}

static void test_stop_keeps_layers(void)
{
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	struct stop_at st = { NULL, 3, 1, 0 };
	cf_progress prog = { stop_at_layer, &st };
	const double *plan[3];
	int64_t solves;
	int rc, L, same = 1;

	cf_session_new(&s, &e);
	st.s = s;
	cf_session_add_model(s, mk("mlp 16-40-30-20-12-10 nobias"), "A", &e);
	cf_session_add_model(s, mk("mlp 16-40-30-10 nobias"), "B", &e);
	cf_session_set_data(s, fx_data(400, 1, 4, 4, 10, 1), fx_data(300, 1, 4, 4, 10, 2), &e);
	cf_session_set(s, "data.samples", "100", &e);
	ok(cf_session_set_layer(s, 4, "ot.solver", "sinkhorn-log", &e) == 0 &&
		   cf_session_set_layer(s, 4, "ot.reg", "1e-6", &e) == 0,
	   "layer 4: sinkhorn-log at ε 1e-6, no iteration limit");
	cf_session_set_progress(s, &prog);
	rc = cf_session_run(s, CF_STEP_FUSE, &e);
	L = cf_session_fusion_layers(s);
	ok(rc == CF_ESTOPPED && st.reports == 1 && cf_session_state(s, CF_STEP_FUSE) == CF_STATE_STOPPED,
	   "stopped in layer 4's solver: state stopped (%s)", rc == CF_ESTOPPED ? "ok" : e.msg);
	solves = cf_session_layer_solves(s);
	ok(cf_session_fusion_cursor(s) == 3 && solves == 3 && !cf_session_fused(s),
	   "layers 1-3 solved and kept (cursor %d, %lld solves), no fused model yet",
	   cf_session_fusion_cursor(s), (long long)solves);
	for (int l = 0; l < 3; l++) {
		const cf_fusion_layer *fl = cf_session_fusion_layer(s, l);
		plan[l] = fl ? fl->plan : NULL;
		same &= fl && fl->done && fl->plan;
	}
	ok(same, "layers 1-3 keep their plans after the stop");
	/* the next run: the override lifted to a sane ε so that layer 4 ends */
	st.layer = -1;
	ok(cf_session_set_layer(s, 4, "ot.reg", "0.1", &e) == 0 &&
		   cf_session_run(s, CF_STEP_FUSE, &e) == 0 &&
		   cf_session_state(s, CF_STEP_FUSE) == CF_STATE_FRESH && cf_session_fused(s),
	   "the next run finishes the fusion");
	for (int l = 0; l < 3; l++)
		same &= cf_session_fusion_layer(s, l)->plan == plan[l];
	ok(same && cf_session_layer_solves(s) - solves == L - 3,
	   "it solves layers 4-%d only (%lld solves), layers 1-3 keep their plans", L,
	   (long long)(cf_session_layer_solves(s) - solves));

	/* the same through the stepped fusion (the workbench's Space) */
	st.layer = 1;
	st.reports = 0;
	cf_session_set(s, "fusion.step", "0.25", &e);
	cf_session_set_layer(s, 2, "ot.solver", "sinkhorn-log", &e);
	cf_session_set_layer(s, 2, "ot.reg", "1e-6", &e);
	ok(cf_session_fuse_step(s, &e) == 0 && cf_session_fusion_cursor(s) == 1,
	   "stepped: layer 1 fused");
	plan[0] = cf_session_fusion_layer(s, 0)->plan;
	solves = cf_session_layer_solves(s);
	ok(cf_session_fuse_step(s, &e) == CF_ESTOPPED && st.reports == 1 &&
		   cf_session_fusion_cursor(s) == 1 &&
		   cf_session_state(s, CF_STEP_FUSE) == CF_STATE_STOPPED,
	   "stepped: a stop in layer 2's solver keeps layer 1");
	st.layer = -1;
	cf_session_set_layer(s, 2, "ot.reg", "0.1", &e);
	ok(cf_session_fuse_step(s, &e) == 0 && cf_session_fusion_cursor(s) == 2 &&
		   cf_session_fusion_layer(s, 0)->plan == plan[0] &&
		   cf_session_layer_solves(s) - solves == 1,
	   "stepped: the next step solves layer 2 alone, layer 1 keeps its plan");

	/* a stop that arrives as a layer ends (the fusion's own report) keeps
	 * that layer too, and counts it as solved */
	st.layer = 3;
	st.solver = 0;
	st.reports = 0;
	solves = cf_session_layer_solves(s);
	rc = cf_session_run(s, CF_STEP_FUSE, &e);
	ok(rc == CF_ESTOPPED && cf_session_fusion_cursor(s) == 3 &&
		   cf_session_fusion_layer(s, 2)->done && cf_session_layer_solves(s) - solves == 1,
	   "a stop after layer 3 keeps it: cursor %d, %lld solve counted",
	   cf_session_fusion_cursor(s), (long long)(cf_session_layer_solves(s) - solves));
	cf_session_set_progress(s, NULL);
	cf_session_free(s);
}

static void test_structures(void)
{
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	int rc;
	cf_net *netA;
	cf_dataset *test;

	/* different numbers of stages: one clear message from the costs step */
	cf_session_new(&s, &e);
	cf_session_add_model(s, mk("vgg 4 M 4 M classes 10 in 1x4x4 nobias"), "vgg", &e);
	cf_session_add_model(s, mk("mlp 16-8-10 nobias"), "mlp", &e);
	cf_session_set_data(s, fx_data(100, 1, 4, 4, 10, 1), fx_data(50, 1, 4, 4, 10, 2), &e);
	cf_session_set(s, "data.samples", "20", &e);
	ok(cf_session_run_all(s, &e) == CF_EINVAL && strstr(e.msg, "stages"),
	   "VGG vs MLP: %s", e.msg);
	cf_session_free(s);

	/* a VGG pair of different depths, activation/cka, through finetuning */
	cf_session_new(&s, &e);
	netA = mk("vgg 4 M 6 M classes 10 in 1x4x4 nobias");
	cf_session_add_model(s, netA, "short", &e);
	cf_session_add_model(s, mk("vgg 4 4 M 6 6 M classes 10 in 1x4x4 nobias"), "deep", &e);
	test = fx_data(100, 1, 4, 4, 10, 2);
	cf_session_set_data(s, fx_data(200, 1, 4, 4, 10, 1), test, &e);
	cf_session_set(s, "data.samples", "50", &e);
	cf_session_set(s, "cla.measure", "activation", &e);
	cf_session_set(s, "cla.metric", "cka", &e);
	cf_session_set(s, "finetune.epochs", "2", &e);
	cf_session_set(s, "finetune.parents", "1", &e);
	cf_session_set(s, "finetune.lr", "0.5", &e); /* the parents' accuracy moves in 2 epochs */
	rc = cf_session_run_all(s, &e);
	ok(rc == 0, "VGG pair of depths 3 and 5 fused and finetuned (%s)", rc ? e.msg : "ok");
	if (!rc) {
		int i0, i1;
		const cf_session_finetune *ft = cf_session_finetune_get(s);
		const cf_session_metrics *m = cf_session_metrics_get(s);
		cf_session_pair(s, &i0, &i1);
		ok(i0 == 1 && i1 == 0, "the deeper model (given second) is model 0");
		ok(m->balanced_acc == m->parent_acc[0], "balanced 'short' has its accuracy (%.3f)",
		   m->balanced_acc);
		float *z = ft->net ? logits_of(ft->net, test) : NULL;
		double last = z ? accuracy_of(&z, 1, test, 10) : -1;
		int be = ft->res[0].test_acc >= ft->res[1].test_acc ? 1 : 2;
		ok(ft->epochs == 2 && fabs(ft->res[1].test_acc - last) < 1e-12 &&
			   ft->best_acc == ft->res[be - 1].test_acc && ft->best_epoch == be,
		   "finetuning: the last epoch's %.4f is the finetuned model's accuracy as recomputed "
		   "here (%.4f); best %.4f at epoch %d of %.4f, %.4f", ft->res[1].test_acc, last,
		   ft->best_acc, ft->best_epoch, ft->res[0].test_acc, ft->res[1].test_acc);
		free(z);
		{
			cf_net *fu = cf_session_fused(s);
			int64_t nt = cf_net_ntrainable(fu), moved = 0;
			const float *w0 = cf_net_train_values(fu), *w1 = cf_net_train_values(ft->net);
			for (int64_t i = 0; nt == cf_net_ntrainable(ft->net) && i < nt; i++)
				moved += w0[i] != w1[i];
			ok(moved > nt / 2, "finetuning changed %lld of the fused model's %lld weights",
			   (long long)moved, (long long)nt);
		}
		{
			/* parent 'short' finetuned here as the session does: its recipe
			 * with the session's finetune.* values */
			cf_train_params tp;
			cf_epoch_result r[2];
			cf_net *c = NULL;
			cf_train_params_default(&tp);
			tp.epochs = 2;
			tp.lr = cf_session_get_num(s, "finetune.lr");
			tp.momentum = cf_session_get_num(s, "finetune.momentum");
			tp.weight_decay = cf_session_get_num(s, "finetune.weight_decay");
			tp.batch = (int)cf_session_get_num(s, "finetune.batch");
			tp.gamma = cf_session_get_num(s, "finetune.gamma");
			tp.seed = (unsigned long)cf_session_get_num(s, "finetune.seed");
			tp.eval_batch = (int)cf_session_get_num(s, "eval.batch");
			if (!cf_net_copy(netA, &c, &e) &&
			    !cf_train(c, cf_session_data(s, 1), test, &tp, r, NULL, &e)) {
				double best = r[0].test_acc > r[1].test_acc ? r[0].test_acc : r[1].test_acc;
				ok(ft->parent_best[0] == best,
				   "parent 'short' finetuned: best %.4f, as when trained here (%.4f)",
				   ft->parent_best[0], best);
			} else {
				ok(0, "finetuning a copy of 'short' here: %s", e.msg);
			}
			cf_net_free(c);
		}
	}
	cf_session_free(s);

	/* three models: iterative and many-to-one */
	for (int many = 0; many < 2; many++) {
		cf_session_new(&s, &e);
		cf_session_add_model(s, mk("mlp 16-20-16-12-10 nobias"), "A", &e);
		cf_session_add_model(s, mk("mlp 16-20-12-10 nobias"), "B", &e);
		cf_session_add_model(s, mk("mlp 16-20-12-10 nobias"), "C", &e);
		cf_session_set_data(s, fx_data(200, 1, 4, 4, 10, 1), fx_data(100, 1, 4, 4, 10, 2), &e);
		cf_session_set(s, "data.samples", "40", &e);
		cf_session_set(s, "fusion.multi", many ? "many-to-one" : "iterative", &e);
		rc = cf_session_run(s, CF_STEP_EVAL, &e);
		ok(rc == 0 && cf_session_fused(s) && cf_session_metrics_get(s)->have,
		   "three models, %s: fused acc %.3f, ensemble %.3f (%s)",
		   many ? "many-to-one" : "iterative", cf_session_metrics_get(s)->fused_acc,
		   cf_session_metrics_get(s)->ensemble_acc, rc ? e.msg : "ok");
		if (!rc)
			ok(cf_net_nwlayers(cf_session_fused(s)) == (many ? 4 : 4),
			   "fused model has %d weight layers", cf_net_nwlayers(cf_session_fused(s)));
		cf_session_free(s);
	}

	/* same architecture: plain OTFusion and plain averaging */
	cf_session_new(&s, &e);
	cf_session_add_model(s, mk("mlp 16-12-10 nobias"), "A", &e);
	cf_session_add_model(s, mk("mlp 16-12-10 nobias"), "B", &e);
	cf_session_set_data(s, fx_data(200, 1, 4, 4, 10, 1), fx_data(100, 1, 4, 4, 10, 2), &e);
	cf_session_set(s, "data.samples", "40", &e);
	rc = cf_session_run(s, CF_STEP_EVAL, &e);
	ok(rc == 0 && cf_session_balanced_rebuilt(s) == -1 && !isnan(cf_session_metrics_get(s)->average_acc),
	   "same depths: no balancing, plain average acc %.3f", cf_session_metrics_get(s)->average_acc);
	cf_session_free(s);
}

/* The decisive details of ALGORITHM.md on a pair of different depths (the
 * checks of share/doc/results.md, made tests): the ground costs are those
 * of model 0's own recording (taken before balancing, never recomputed) and
 * of B′'s forward pass, in which an inserted identity layer records the
 * previous layer's post-ReLU output; with s = 0 the fused model is model 0
 * fully transported — for a bias-free ReLU MLP whose widths are divisors
 * of its partner's (6 → 12, 3 → 12: every exact plan copies each model-0
 * neuron onto whole model-1 neurons) that is model 0 with its logits
 * multiplied by one positive constant (here 2·2·4 = 16: a neuron copied k
 * times is summed k times by the next layer), so the same predictions;
 * with s = 1 it is B′ itself. */
static void test_decisive(void)
{
	cf_session *s;
	cf_error e = { 0, "" };
	cf_dataset *test = fx_data(100, 1, 4, 4, 10, 8);
	int rc, L, ok_m = 1, ok_id = 1, nid = 0, ok_scale = 1;
	cf_activations *rb = NULL;
	float *z0 = malloc(sizeof *z0 * 100 * 10), *zf = malloc(sizeof *zf * 100 * 10);
	double ratio = NAN;

	cf_session_new(&s, &e);
	cf_session_add_model(s, mk("mlp 16-12-6-6-3-10 nobias"), "A", &e);
	cf_session_add_model(s, mk("mlp 16-12-12-10 nobias"), "B", &e);
	cf_session_set_data(s, fx_data(300, 1, 4, 4, 10, 7), fx_data(100, 1, 4, 4, 10, 8), &e);
	cf_session_set(s, "data.samples", "50", &e);
	rc = cf_session_run(s, CF_STEP_FUSE, &e);
	ok(rc == 0, "pair 12-6-6-3 / 12-12 fused (%s)", rc ? e.msg : "ok");
	if (rc)
		goto out;
	L = cf_session_fusion_layers(s);
	ok(L == 5 && cf_session_balanced(s, 0) == cf_session_model(s, 0),
	   "add: model 0 is A itself, %d layers", L);
	cf_acts_record(cf_session_balanced(s, 1), cf_session_sample(s), NULL, &rb, &e);
	for (int l = 0; rb && l < L; l++) {
		const cf_fusion_layer *y = cf_session_fusion_layer(s, l);
		const cf_activations *a0 = cf_session_acts(s, 0);
		int64_t d = cf_acts_neuron_features(a0, l);
		float *X = malloc(sizeof *X * (size_t)(y->n0 * d)), *Y = malloc(sizeof *Y * (size_t)(y->n1 * d));
		double *M = malloc(sizeof *M * (size_t)(y->n0 * y->n1));
		const cf_net_wlayer *w = cf_net_wlayer_at(cf_session_balanced(s, 1), l);
		cf_acts_neuron_major(a0, l, X);
		cf_acts_neuron_major(rb, l, Y);
		cf_ground_cost_f(X, y->n0, Y, y->n1, d, CF_GROUND_EUCLIDEAN, 0, M, &e);
		for (int64_t k = 0; k < y->n0 * y->n1; k++)
			ok_m &= fabs(M[k] - y->M[k]) <= 1e-9 * (1 + fabs(M[k]));
		if (l > 0 && w->in == w->out) {
			const float *W = cf_net_param_at(cf_session_balanced(s, 1), w->weight)->t.data;
			int ident = 1;
			for (int64_t k = 0; k < (int64_t)w->in * w->in; k++)
				ident &= W[k] == (k / w->in == k % w->in ? 1.0f : 0.0f);
			if (ident) {
				nid++;
				for (int64_t k = 0; k < rb->a[l]->size; k++)
					ok_id &= rb->a[l]->data[k] == fmaxf(rb->a[l - 1]->data[k], 0.0f);
			}
		}
		free(X);
		free(Y);
		free(M);
	}
	ok(rb && ok_m, "every layer's ground cost = Euclidean distances of A's and B′'s own recordings");
	ok(nid == 2 && ok_id, "%d identity layers record relu(previous layer)", nid);

	cf_session_set(s, "fusion.step", "0", &e);
	rc = cf_session_run(s, CF_STEP_FUSE, &e);
	if (!rc)
		rc = cf_net_forward(cf_session_model(s, 0), test->x, 100, CF_NET_EVAL, NULL, z0, &e);
	if (!rc)
		rc = cf_net_forward(cf_session_fused(s), test->x, 100, CF_NET_EVAL, NULL, zf, &e);
	for (int k = 0; !rc && k < 1000; k++) {
		/* the output layer has its own plan (a permutation of the classes
		 * between these untrained models): compare with T̃ᵀ z0 */
		const cf_fusion_layer *yo = cf_session_fusion_layer(s, L - 1);
		double want = 0;
		for (int i = 0; i < 10; i++)
			want += yo->Tc[i * 10 + k % 10] * z0[k - k % 10 + i];
		if (fabs(want) < 1e-3)
			continue;
		if (isnan(ratio))
			ratio = zf[k] / want;
		ok_scale &= fabs(zf[k] / want - ratio) <= 1e-3 * ratio;
	}
	ok(!rc && fabs(ratio - 16) < 1e-3 && ok_scale,
	   "s=0: logits = %.4g × model 0's logits (classes through the output plan)", ratio);
	cf_session_set(s, "fusion.step", "1", &e);
	rc = cf_session_run(s, CF_STEP_FUSE, &e);
	if (!rc) {
		cf_net *b = cf_session_balanced(s, 1), *f = cf_session_fused(s);
		int same = 1;
		for (int p = 0; p < cf_net_nparams(b); p++)
			same &= !memcmp(cf_net_param_at(b, p)->t.data, cf_net_param_at(f, p)->t.data,
					sizeof(float) * (size_t)cf_net_param_at(b, p)->t.size);
		ok(same, "s=1: the fused model is B′");
	} else {
		ok(0, "s=1 fusion: %s", e.msg);
	}
out:
	cf_activations_free(rb);
	cf_dataset_free(test);
	free(z0);
	free(zf);
	cf_session_free(s);
}

/* The report of a session stepped part way, then run: text and JSON. */
static void test_report(void)
{
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	json_t *j;

	cf_session_new(&s, &e);
	cf_session_add_model(s, mk("mlp 16-40-30-20-12-10 nobias"), "A", &e);
	cf_session_add_model(s, mk("mlp 16-40-30-10 nobias"), "B", &e);
	cf_session_set_data(s, fx_data(400, 1, 4, 4, 10, 1), fx_data(300, 1, 4, 4, 10, 2), &e);
	cf_session_set(s, "data.samples", "100", &e);
	cf_session_fuse_step(s, &e);
	f = open_memstream(&text, &len);
	ok(cf_session_report(s, f, 0, &e) == 0 && fclose(f) == 0, "report of a stepped fusion");
	ok(strstr(text, "model 0: A (5 weight layers)\nmodel 1: B (3 weight layers)\n") &&
		   strstr(text, "alignment (units, 1-based): [1,4]\n") &&
		   strstr(text, "balanced model 1: mlp 16-40-40-40-30-10 nobias") &&
		   strstr(text, "\n1    fc1 ") && strstr(text, "\n2    fc2 ") && strstr(text, " - pending") &&
		   !strstr(text, "accuracy on") && strstr(text, "step times (s): activations "),
	   "the text has the pair, the map, the balanced model, done and pending layers, no accuracy yet");
	j = cf_session_report_json(s);
	ok(j && json_array_size(json_object_get(j, "layers")) == 5 &&
		   !strcmp(json_string_value(json_object_get(json_array_get(json_object_get(j, "layers"), 4),
							     "status")), "pending") &&
		   json_is_null(json_object_get(j, "fused_acc")) &&
		   !strcmp(json_string_value(json_object_get(json_object_get(j, "params"), "ot.solver")),
			   "exact"),
	   "JSON: five layers, the last pending, no accuracy yet, the parameters");
	json_decref(j);
	free(text);
	text = NULL;
	cf_session_run_all(s, &e);
	f = open_memstream(&text, &len);
	ok(cf_session_report(s, f, CF_REPORT_QUIET, &e) == 0 && fclose(f) == 0 &&
		   !strstr(text, "fc1") && strstr(text, "accuracy on synthetic/2:\n  A ") &&
		   strstr(text, "  fused "),
	   "after the run, quiet: accuracies, no layer table");
	j = cf_session_report_json(s);
	ok(j && json_real_value(json_object_get(j, "fused_acc")) == cf_session_metrics_get(s)->fused_acc,
	   "JSON fused_acc is the session's (%.4f)", cf_session_metrics_get(s)->fused_acc);
	json_decref(j);
	free(text);
	cf_session_free(s);
}

/* The parameter table: indices, choices as the modules' enum values. */
static void test_params(void)
{
	cf_session *s = NULL;
	cf_error e = { 0, "" };
	char buf[256];
	int n, good = 0;
	const cf_param_info *p = cf_session_params(&n);

	cf_session_new(&s, &e);
	ok(n == CF_SP_COUNT && !strcmp(p[CF_SP_OT_REG].name, "ot.reg") &&
		   !strcmp(p[CF_SP_FINETUNE_PARENTS].name, "finetune.parents"),
	   "%d rows, indexed by CF_SP_*", n);
	for (int i = 0; i < n; i++)
		good += (p[i].type == CF_PARAM_CHOICE) == (p[i].names != NULL);
	ok(good == n, "exactly the choice rows have a name table");
	ok(cf_session_value(s, CF_SP_FUSION_STEP) == 0.5 && cf_session_value(s, CF_SP_DATA_SAMPLES) == 200 &&
		   isnan(cf_session_value(s, CF_SP_COUNT)),
	   "typed reads: fusion.step 0.5, data.samples 200, out of range NaN");
	cf_session_set(s, "ot.solver", "sinkhorn-log", &e);
	cf_session_set(s, "ground.metric", "cosine", &e);
	cf_session_set(s, "balance.method", "merge", &e);
	cf_session_set(s, "cla.method", "random", &e);
	ok(cf_session_value(s, CF_SP_OT_SOLVER) == CF_OT_SINKHORN_LOG &&
		   cf_session_value(s, CF_SP_GROUND_METRIC) == CF_GROUND_COSINE &&
		   cf_session_value(s, CF_SP_BALANCE_METHOD) == CF_BALANCE_MERGE &&
		   cf_session_value(s, CF_SP_CLA_METHOD) == CF_CLA_RANDOM,
	   "a choice's value is its module's enum value");
	ok(!strcmp(cf_session_param_choices(&p[CF_SP_GROUND_NORM], buf, sizeof buf),
		   "none|max|median|mean|log1p") &&
		   !strcmp(cf_session_param_choices(&p[CF_SP_OT_REG], buf, sizeof buf), ""),
	   "choices as text: %s", cf_session_param_choices(&p[CF_SP_GROUND_NORM], buf, sizeof buf));
	ok(cf_session_set(s, "fusion.multi", "one-by-one", &e) == CF_EINVAL &&
		   strstr(e.msg, "iterative|many-to-one"),
	   "a bad choice lists the names: %s", e.msg);
	cf_session_free(s);
}

int main(void)
{
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 5);
	test_pipeline();
	test_stop_keeps_layers();
	test_structures();
	test_decisive();
	test_params();
	test_report();
	gsl_rng_free(rng);
	return tap_done();
}
