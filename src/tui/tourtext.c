/* tourtext.c — the guided tour's words, composed from a session (see
 * tourtext.h).  Every claim is decided from the numbers it accompanies:
 * which model is deeper, the fused network's shape, where an accuracy
 * lies against the parents', whether plain averaging was possible.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "tourtext.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"

static const char *const titles[CF_TOUR_NSTAGES] = {
	"1/8 Two networks",       "2/8 Activations",          "3/8 Layer costs, alignment",
	"4/8 Similarity by CKA",  "5/8 Balancing the depths", "6/8 OT, layer by layer",
	"7/8 Fused vs baselines", "8/8 Finetuning",           "Done",
	"Optional: beyond the paper"};

/* The combination share/doc/beyond.md measures as the best before
 * finetuning on the MLP pair (width-aware transport lowers it there). */
const cf_tour_option cf_tour_beyond[] = {{"fusion.repair", "1"},
					 {"fusion.repair_logits", "1"},
					 {"ground.metric", "cosine"},
					 {NULL, NULL}};

const char *cf_tour_title(int stage)
{
	return stage >= 0 && stage < CF_TOUR_NSTAGES ? titles[stage] : "";
}

static void say(const cf_tour_out *o, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void say(const cf_tour_out *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	o->say(o->ud, buf);
}

const char *cf_tour_versus(double acc, double a, double b)
{
	if (acc < fmin(a, b))
		return "below both parents";
	if (acc > fmax(a, b))
		return "above both parents";
	return "between the two parents";
}

int cf_tour_widths(const cf_net *net, char *buf, size_t size)
{
	size_t used = 0;
	int n = net ? cf_net_nunits(net) : 0;
	if (!size)
		return n;
	buf[0] = '\0';
	for (int u = 0; u < n && used + 16 < size; u++)
		used += (size_t)snprintf(buf + used, size - used, "%s%d", u ? "-" : "",
					 cf_net_unit_at(net, u)->width);
	return n;
}

static void models_text(const cf_session *s, int i0, int i1, const cf_tour_out *o)
{
	char wa[128], wb[128];
	int da = cf_tour_widths(cf_session_model(s, i0), wa, sizeof wa);
	int db = cf_tour_widths(cf_session_model(s, i1), wb, sizeof wb);

	say(o, "Two networks trained separately on the same task. A (model %d) has %d layers of "
	       "widths %s, B (model %d) %d layers of widths %s.", i0, da, wa, i1, db, wb);
	if (da != db)
		say(o, "%s is deeper, so the layers cannot be paired one to one, and plain "
		       "averaging of the weights is not even defined.", da > db ? "A" : "B");
	say(o, "CLAFusion (1) finds which layer of A matches each layer of B, (2) makes the "
	       "depths equal, (3) matches neurons layer by layer with optimal transport and "
	       "averages the matched weights: ONE network instead of two.");
}

static void acts_text(const cf_session *s, const cf_tour_out *o)
{
	say(o, "%g training images went through both networks (%.2f s). Each neuron is now "
	       "described by its activations on them: two neurons that fire alike are alike.",
	    cf_session_get_num(s, "data.samples"), cf_session_time(s, CF_STEP_ACTS));
	say(o, "Next: compare the layers of A with those of B.");
}

/* "A1→B1, A2→B2, A5→B3" and its total cost from the session's C and map. */
static int path_text(const cf_session *s, char *buf, size_t size, double *cost)
{
	int m, n, nm;
	const double *C = cf_session_costs(s, &m, &n);
	const int *map = cf_session_unit_map(s, &nm);
	size_t used = 0;

	buf[0] = '\0';
	*cost = 0;
	if (!C || !map)
		return 0;
	for (int j = 0; j < nm && j < n && used + 16 < size; j++) {
		used += (size_t)snprintf(buf + used, size - used, "%sA%d→B%d", j ? ", " : "",
					 map[j], j + 1);
		if (map[j] >= 1 && map[j] <= m)
			*cost += C[(size_t)(map[j] - 1) * (size_t)n + (size_t)j];
	}
	return nm;
}

static void align_text(const cf_session *s, const cf_tour_out *o)
{
	char measure[32] = "", metric[32] = "", path[256];
	int st = (int)cf_session_get_num(s, "cla.start"), fe = (int)cf_session_get_num(s, "cla.free_end");
	int m = 0, n = 0, nm;
	double cost;

	cf_session_get(s, "cla.measure", measure, sizeof measure, NULL);
	cf_session_get(s, "cla.metric", metric, sizeof metric, NULL);
	cf_session_costs(s, &m, &n);
	say(o, "C[Ai,Bj] is the cost of matching hidden layer i of A with hidden layer j of B.");
	if (!strcmp(measure, "neuron") && !strcmp(metric, "euclidean"))
		say(o, "Here a layer is described by its number of neurons (cla.measure = neuron), "
		       "so C is the squared width difference: 0 for equal widths, whatever the "
		       "layers compute. Step 4 compares what they compute.");
	else
		say(o, "Here layers are compared by their %s with the %s measure (cla.measure, "
		       "cla.metric).", measure, metric);
	say(o, "A dynamic program picks one layer of A for each layer of B, in order, at least "
	       "total cost. B's first %d and last %d hidden layer%s paired by rule (cla.start = "
	       "%d, cla.free_end = %d); it chooses the rest. The chosen cells are %s.",
	    st - 1, fe, st - 1 + fe == 1 ? " is" : "s are", st, fe, o->marks ? o->marks : "marked");
	nm = path_text(s, path, sizeof path, &cost);
	if (nm)
		say(o, "Here: %s, total cost %.4g.%s", path, cost,
		    nm < m ? " A's other hidden layers have no partner." : "");
}

static void cka_text(const cf_session *s, const cf_tour_out *o)
{
	char path[256];
	int m, n, nm;
	const double *C = cf_session_costs(s, &m, &n);
	double cost;
	int diag_min = 0, rows = m < n ? m : n;

	say(o, "Now each layer is described by its activations on the images and two layers are "
	       "compared by CKA (cla.measure = activation, cla.metric = cka): C = 1 - CKA, 0 when "
	       "the layers' activations are the same up to a rotation and scale, whatever the "
	       "widths.");
	if (C) {
		/* rows i < min(m, n) whose smallest cost is on the diagonal */
		for (int i = 0; i < rows; i++) {
			int best = 0;
			for (int j = 1; j < n; j++)
				if (C[(size_t)i * n + j] < C[(size_t)i * n + best])
					best = j;
			diag_min += best == i;
		}
		int first_min = 1;
		for (int j = 1; j < n; j++)
			first_min &= C[0] <= C[j];
		say(o, "C[A1,B1] = %.3f, %s. In %d of the first %d rows of C the smallest cost is on "
		       "the diagonal%s.", C[0],
		    first_min ? "the smallest in its row: the first layers compute alike"
			      : "not the smallest in its row",
		    diag_min, rows,
		    2 * diag_min > rows ? ": similar depth, similar function" : "");
	}
	nm = path_text(s, path, sizeof path, &cost);
	if (nm)
		say(o, "The alignment: %s (total %.3g). The tour keeps this measure from here on.",
		    path, cost);
}

static void balance_text(const cf_session *s, int i0, int i1, const cf_tour_out *o)
{
	int rb = cf_session_balanced_rebuilt(s);
	char wa[128], wb[128], wc[128] = "", method[16] = "";

	cf_tour_widths(cf_session_model(s, i0), wa, sizeof wa);
	cf_tour_widths(cf_session_model(s, i1), wb, sizeof wb);
	cf_session_get(s, "balance.method", method, sizeof method, NULL);
	if (rb >= 0)
		cf_tour_widths(cf_session_balanced(s, rb), wc, sizeof wc);
	if (!strcmp(method, "add")) {
		say(o, "Where the deeper model has layers with no partner, the shallower gets "
		       "identity layers of the same width as the layer before: %s becomes %s.",
		    rb == i0 ? wa : wb, wc[0] ? wc : "?");
		say(o, "It computes exactly the same function: an identity layer passes the "
		       "non-negative output of a ReLU through unchanged.");
	} else
		say(o, "Layers of the deeper model are merged (balance.method = %s) until the "
		       "depths are equal: %s.", method, wc[0] ? wc : "?");
	if (o->screens)
		say(o, "The network screen shows A, B and the balanced model (inserted identity "
		       "layers marked \"id\") with the alignment as connectors.");
}

void cf_tour_plan_reach(const cf_fusion_layer *fl, int64_t *most, int64_t *fewest)
{
	*most = *fewest = 0;
	if (!fl->plan || fl->n0 <= 0 || fl->n1 <= 0)
		return;
	*fewest = fl->n1;
	for (int64_t i = 0; i < fl->n0; i++) {
		const double *row = fl->plan + i * fl->n1;
		double big = 0;
		int64_t k = 0;
		for (int64_t j = 0; j < fl->n1; j++)
			big = fmax(big, row[j]);
		for (int64_t j = 0; j < fl->n1; j++)
			k += big > 0 && row[j] > 1e-12 * big;
		*most = k > *most ? k : *most;
		*fewest = k < *fewest ? k : *fewest;
	}
}

/* One fusion layer; `intro`: the first shown, with the explanations
 * around it (later layers say only what is new, to fit the panel). */
static void layer_sentence(const cf_fusion_layer *fl, int l, int nl, int intro,
			   const cf_tour_out *o)
{
	int64_t most, fewest;

	say(o, "Layer %d of %d (%s): %lld×%lld neurons, %s, cost %.4g. Trace ratio %.3f%s",
	    l + 1, nl, fl->name, (long long)fl->n0, (long long)fl->n1,
	    cf_ot_status_name(fl->ot.status), fl->ot.cost, fl->trace_ratio,
	    intro ? ": the share of T on the diagonal." : ".");
	cf_tour_plan_reach(fl, &most, &fewest);
	if (most == 0)
		return;
	/* what the matching is, read from T itself */
	if (most == 1 && fl->n0 == fl->n1)
		say(o, "T is a permutation: each neuron of A goes to exactly one of B.%s",
		    !intro && fl->trace_ratio < 0.5
			    ? " The low trace only says it is not neuron i to i."
			    : "");
	else if (most == fewest)
		say(o, "Each neuron of A is spread over %lld neurons of B.", (long long)most);
	else
		say(o, "Each neuron of A is spread over %lld to %lld neurons of B.", (long long)fewest,
		    (long long)most);
	/* said once, on the first layer drawn so */
	if (o->screens && o->sorted && l == 1)
		say(o, "Drawn in matching order now (o): rows sorted by the column they go to, "
		       "the matching is a diagonal band.");
}

static void ot_text(const cf_session *s, const cf_tour_out *o)
{
	int nl = cf_session_fusion_layers(s), done = cf_session_state(s, CF_STEP_FUSE) == CF_STATE_FRESH;
	const cf_fusion_layer *fl = o->layer >= 0 && o->layer < nl ? cf_session_fusion_layer(s, o->layer)
								    : NULL;
	/* on the workbench one layer per key press: the explanation comes
	 * with the first layer, later layers say only what is new, so each
	 * fits the panel and one press shows it */
	int intro = !o->screens || o->layer <= 0;

	if (intro)
		say(o, "For each layer: a ground cost M between every neuron of A and every neuron "
		       "of B (distance of their activations), then a transport plan T that moves A's "
		       "neurons onto B's at least total cost.");
	if (fl && fl->done)
		layer_sentence(fl, o->layer, nl, intro, o);
	if (intro)
		say(o, "Hidden neurons have no order of their own, so a low trace says nothing bad: "
		       "it only says the matching is not neuron i to neuron i.%s",
		    o->screens && !o->sorted ? " The next layer is drawn in matching order." : "");
	if (done && nl > 0 && (!o->screens || o->layer == nl - 1)) {
		const cf_fusion_layer *last = cf_session_fusion_layer(s, nl - 1);
		/* the output neurons are the classes, in one order in both */
		say(o, "The %lld output neurons are the classes, in the same order in both; %s",
		    (long long)last->n1,
		    last->trace_ratio > 0.999 ? "there T is the identity (trace ratio 1)."
					      : "yet there T is not the identity: the two disagree "
						"on what the classes look like.");
	}
	if (!o->screens)
		say(o, "Column \"to\": how many neurons of B each neuron of A goes to, 1 where T is "
		       "a permutation, more where A's neurons are split over B's.");
	if (intro)
		say(o, "A's weights, reordered by T, are averaged with B's.");
	say(o, "%s", done ? "Every layer is fused." : "Space fuses the next layer.");
}

static void eval_text(const cf_session *s, int i0, int i1, const cf_tour_out *o)
{
	const cf_session_metrics *mt = cf_session_metrics_get(s);
	char wf[128];
	double a, b;
	int df;

	if (!mt || !mt->have)
		return;
	a = mt->parent_acc[i0];
	b = mt->parent_acc[i1];
	df = cf_tour_widths(cf_session_fused(s), wf, sizeof wf);
	if (df) {
		int da = cf_net_nunits(cf_session_model(s, i0)), db = cf_net_nunits(cf_session_model(s, i1));
		say(o, "The fused network has widths %s: %s%s.", wf,
		    df == da && df == db ? "the depth of both"
		    : df == da	 ? "the depth of A"
		    : df == db	 ? "the depth of B"
				 : "a depth of its own",
		    df == da && df != db ? " with B's widths, A's neurons moved onto them" : "");
	}
	say(o, "Test accuracy: A %.2f%%, B %.2f%%. The fused network: %.2f%%, %s.", 100 * a,
	    100 * b, 100 * mt->fused_acc, cf_tour_versus(mt->fused_acc, a, b));
	if (isnan(mt->average_acc))
		say(o, "Baseline 1, plain averaging without alignment: impossible here, the shapes "
		       "differ. Only the alignment makes one network out of these two.");
	else
		say(o, "Baseline 1, plain averaging of the weights without alignment: %.2f%%; the "
		       "alignment is what makes averaging work (%+.2f points).",
		    100 * mt->average_acc, 100 * (mt->fused_acc - mt->average_acc));
	say(o, "Baseline 2, the ensemble (average of both networks' predictions, so both must "
	       "run): %.2f%%, %s.", 100 * mt->ensemble_acc, cf_tour_versus(mt->ensemble_acc, a, b));
	if (mt->fused_acc < fmin(a, b))
		say(o, "Averaging moved the weights away from what each network learned; a little "
		       "training brings them back.");
}

static void finetune_text(const cf_session *s, int i0, int i1, const cf_tour_out *o)
{
	const cf_session_finetune *ft = cf_session_finetune_get(s);
	const cf_session_metrics *mt = cf_session_metrics_get(s);

	if (ft && ft->epochs > 0) {
		double acc = ft->res[ft->epochs - 1].test_acc;
		say(o, "After %d epoch%s of SGD the fused network reaches %.2f%% (best %.2f%%).",
		    ft->epochs, ft->epochs > 1 ? "s" : "", 100 * acc, 100 * ft->best_acc);
		if (mt && mt->have)
			say(o, "That is %s (A %.2f%%, B %.2f%%), up from %.2f%% right after fusion.",
			    cf_tour_versus(acc, mt->parent_acc[i0], mt->parent_acc[i1]),
			    100 * mt->parent_acc[i0], 100 * mt->parent_acc[i1], 100 * mt->fused_acc);
	} else if (cf_session_get_num(s, "finetune.epochs") > 0)
		say(o, "Finetuning the fused network with SGD on the training set (q stops; the "
		       "session is kept).");
	else
		say(o, "Finetuning is off (finetune.epochs = 0).");
}

static void end_text(const cf_session *s, int i0, int i1, const cf_tour_out *o)
{
	const cf_session_metrics *mt = cf_session_metrics_get(s);
	const cf_session_finetune *ft = cf_session_finetune_get(s);

	if (mt && mt->have)
		say(o, "Test accuracy: A %.2f%%, B %.2f%%, fused %.2f%%.", 100 * mt->parent_acc[i0],
		    100 * mt->parent_acc[i1], 100 * mt->fused_acc);
	if (mt && mt->have && ft && ft->epochs > 0)
		say(o, "Fused and finetuned: %.2f%% after %d epoch%s.",
		    100 * ft->res[ft->epochs - 1].test_acc, ft->epochs, ft->epochs > 1 ? "s" : "");
	if (o->screens)
		say(o, "That is the whole method. Explore: 1-6 screens, [ ] layers, 4 to change a "
		       "parameter (later steps turn stale), r to re-run, : for Lua, ? for every key, "
		       "q to quit. Space: one optional step more, three options beyond the paper.");
	else
		say(o, "Next: `clafuse tui A B` to explore the same session on screen, `clafuse "
		       "fuse A B --set cla.method=chain` for the chain baseline, or the console "
		       "(`clafuse`, then help()). One optional step follows: three options beyond "
		       "the paper.");
}

/* The options of cf_tour_beyond switched on, against the published
 * method's fused accuracy taken before. */
static void beyond_text(const cf_session *s, int i0, int i1, const cf_tour_out *o)
{
	const cf_session_metrics *mt = cf_session_metrics_get(s);
	double was = o->published_acc, now, a, b;

	say(o, "Three options beyond the published method (share/doc/beyond.md) aim at the "
	       "fused network before finetuning. All are off by default: the steps above are "
	       "the paper's method.");
	say(o, "fusion.repair (REPAIR) resets each hidden neuron of the fused network to the "
	       "mean and spread of its pre-activation interpolated between the parents, "
	       "measured on %g training images; fusion.repair_logits does the same for each "
	       "class's output. ground.metric=cosine pairs neurons by the direction of their "
	       "responses, not their size, so the plans are solved again.",
	    cf_session_get_num(s, "fusion.repair_samples"));
	if (!mt || !mt->have || isnan(was))
		return;
	now = mt->fused_acc;
	a = mt->parent_acc[i0];
	b = mt->parent_acc[i1];
	say(o, "All three on, with the same layer alignment, the fused network reaches %.2f%% "
	       "instead of %.2f%% (%+.2f points), %s (A %.2f%%, B %.2f%%).", 100 * now,
	    100 * was, 100 * (now - was), cf_tour_versus(now, a, b), 100 * a, 100 * b);
	if (now > was && now < fmin(a, b))
		say(o, "A gain, not a cure: what remains of the loss is not a matter of each "
		       "neuron's mean and spread.");
	else if (now <= was)
		say(o, "No gain on these two networks: the options are not a free improvement.");
	if (o->screens)
		say(o, "The parameter screen (4) marks the three as changed; reset them for the "
		       "published method again.");
	else
		say(o, "`clafuse fuse A B --set fusion.repair=1 --set fusion.repair_logits=1 --set "
		       "ground.metric=cosine` does the same.");
}

void cf_tour_text(const cf_session *s, int stage, const cf_tour_out *o)
{
	int i0 = 0, i1 = 1;

	if (!s || cf_session_nmodels(s) < 2) {
		say(o, "The tour needs two models and the data set.");
		return;
	}
	cf_session_pair(s, &i0, &i1);
	switch (stage) {
	case CF_TOUR_MODELS: models_text(s, i0, i1, o); break;
	case CF_TOUR_ACTS: acts_text(s, o); break;
	case CF_TOUR_ALIGN: align_text(s, o); break;
	case CF_TOUR_CKA: cka_text(s, o); break;
	case CF_TOUR_BALANCE: balance_text(s, i0, i1, o); break;
	case CF_TOUR_OT: ot_text(s, o); break;
	case CF_TOUR_EVAL: eval_text(s, i0, i1, o); break;
	case CF_TOUR_FINETUNE: finetune_text(s, i0, i1, o); break;
	case CF_TOUR_BEYOND: beyond_text(s, i0, i1, o); break;
	default: end_text(s, i0, i1, o); break;
	}
}
