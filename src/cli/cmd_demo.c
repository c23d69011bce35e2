/* cmd_demo.c — `clafuse demo`: a guided tour of cross-layer alignment and
 * OT fusion on two bundled networks of different depths.
 *
 * Every number on screen comes from a real fusion session run step by step
 * (the same object `clafuse fuse`, the console and scripts drive); between
 * steps the tour explains what was computed and, on a terminal, waits for
 * Enter, so a teacher can walk a class through the method.  The words are
 * the workbench tour's (src/tui/tourtext.c); this file adds the tables the
 * workbench shows as screens.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/model.h"
#include "core/session.h"
#include "lua/host.h"
#include "term/progress.h"
#include "tui/app.h"
#include "tui/grid.h"
#include "tui/tourtext.h"

static int pause_on;

/* Wait for Enter between steps; returns 1 when the user typed q. */
static int next(void)
{
	char line[64];
	if (!pause_on)
		return 0;
	printf("\n  [Enter] next step, q quit > ");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 1;
	return line[0] == 'q';
}

static int bold_on;

static void title(int k, const char *t)
{
	printf(bold_on ? "\n\033[1m%d. %s\033[0m\n" : "\n%d. %s\n", k, t);
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* A paragraph of the tour's text, wrapped to 76 columns under an indent. */
static void print_paragraph(void *ud, const char *text)
{
	char line[256];
	(void)ud;
	while (cf_utf8_wrap(&text, 73, line, sizeof line))
		printf("   %s\n", line);
}

/* The published method's fused accuracy, for the optional last stage. */
static double published_acc = NAN;

/* Stage k's title and text (the words the workbench's tour shows too). */
static void stage(cf_session *s, int k)
{
	cf_tour_out o = {.say = print_paragraph, .layer = -1, .marks = "[bracketed]",
			 .published_acc = published_acc};
	/* "3/8 Layer costs" loses its "3/8": the printed tour numbers its own */
	const char *t = cf_tour_title(k), *sp = strchr(t, ' ');
	title(k + 1, sp && t[0] >= '0' && t[0] <= '9' ? sp + 1 : t);
	cf_tour_text(s, k, &o);
}

static int run_step(cf_session *s, int step, double *t)
{
	cf_error err = {0};
	double t0 = cf_progress_clock();
	if (cf_session_run(s, step, &err)) {
		cf_term_progress_done();
		if (err.code == CF_ESTOPPED)
			cli_error("demo", &err);
		else
			fprintf(stderr, "clafuse demo: %s: %s\n", cf_session_step_name(step), err.msg);
		return -1;
	}
	cf_term_progress_done();
	*t = cf_progress_clock() - t0;
	return 0;
}

enum { O_BATCH, O_NO_PAUSE, O_FINETUNE, O_NORM };

static const struct cli_opt opts[] = {
	[O_BATCH] = {0, "batch", CLI_FLAG, NULL,
		     "the printed tour, also on a terminal (default there: the\n"
		     "full-screen workbench with a guided tour)"},
	[O_NO_PAUSE] = {0, "no-pause", CLI_FLAG, NULL,
			"do not wait for Enter between steps (implies --batch)"},
	[O_FINETUNE] = {0, "finetune", CLI_INT, "N",
			"finetune the fused model for N epochs (default 1, 0: none)", 0, 100},
	[O_NORM] = {0, "norm", CLI_STR, "M,S|M1,../S1,..",
		    "input normalisation the models expect (default: what\n"
		    "they state, else Fashion-MNIST's own statistics)"},
	{0}
};

/* Steps 1-2: the two networks, then their activations. */
static int tour_networks(cf_session *s, int i0, int i1)
{
	char wa[256], wb[256];
	double t;

	cf_tour_widths(cf_session_model(s, i0), wa, sizeof wa);
	cf_tour_widths(cf_session_model(s, i1), wb, sizeof wb);
	stage(s, CF_TOUR_MODELS);
	printf("\n   model 0  %-22s widths %s\n", base(cf_session_model_name(s, i0)), wa);
	printf("   model 1  %-22s widths %s\n", base(cf_session_model_name(s, i1)), wb);
	if (next())
		return 1;
	if (run_step(s, CF_STEP_ACTS, &t))
		return -1;
	stage(s, CF_TOUR_ACTS);
	return next();
}

/* The layer cost matrix with the alignment [bracketed], then the map. */
static void print_costs(cf_session *s)
{
	int m, n, nm;
	const double *C = cf_session_costs(s, &m, &n);
	const int *map = cf_session_unit_map(s, &nm);

	printf("\n          ");
	for (int j = 0; j < n; j++)
		printf("   B%-8d", j + 1);
	printf("\n");
	for (int i = 0; i < m; i++) {
		printf("     A%-3d ", i + 1);
		for (int j = 0; j < n; j++) {
			int on = j < nm && map[j] == i + 1;
			printf(" %s%9.4g%s", on ? "[" : " ", C[(size_t)i * n + j], on ? "]" : " ");
		}
		printf("\n");
	}
	printf("\n   map: model 1 layer k -> model 0 layer");
	for (int j = 0; j < nm; j++)
		printf(" %d", map[j]);
	printf("\n");
}

/* Steps 3-4: the layer costs and the alignment, by widths and by CKA. */
static int tour_alignment(cf_session *s)
{
	cf_error err = {0};
	double t;

	if (run_step(s, CF_STEP_ALIGN, &t))
		return -1;
	stage(s, CF_TOUR_ALIGN);
	print_costs(s);
	if (next())
		return 1;
	if (cf_session_set(s, "cla.measure", "activation", &err) ||
	    cf_session_set(s, "cla.metric", "cka", &err)) {
		fprintf(stderr, "clafuse demo: %s\n", err.msg);
		return -1;
	}
	if (run_step(s, CF_STEP_ALIGN, &t))
		return -1;
	stage(s, CF_TOUR_CKA);
	print_costs(s);
	return next();
}

/* Steps 5-6: balancing the depths, then OT layer by layer. */
static int tour_fusion(cf_session *s)
{
	char w0[256], w1[256];
	int rb;
	double t;

	if (run_step(s, CF_STEP_BALANCE, &t))
		return -1;
	stage(s, CF_TOUR_BALANCE);
	rb = cf_session_balanced_rebuilt(s);
	cf_tour_widths(cf_session_model(s, rb), w0, sizeof w0);
	cf_tour_widths(cf_session_balanced(s, rb), w1, sizeof w1);
	printf("\n       %s  ->  %s\n", w0, w1);
	if (next())
		return 1;
	if (run_step(s, CF_STEP_FUSE, &t))
		return -1;
	stage(s, CF_TOUR_OT);
	printf("\n   %-12s %11s %12s %-9s %8s %5s %9s\n", "layer", "size", "OT cost", "status",
	       "trace", "to", "time");
	for (int l = 0; l < cf_session_fusion_layers(s); l++) {
		const cf_fusion_layer *L = cf_session_fusion_layer(s, l);
		char size[32], to[32];
		int64_t most, fewest;
		cf_tour_plan_reach(L, &most, &fewest);
		snprintf(size, sizeof size, "%lldx%lld", (long long)L->n0, (long long)L->n1);
		if (most == fewest)
			snprintf(to, sizeof to, "%lld", (long long)most);
		else
			snprintf(to, sizeof to, "%lld-%lld", (long long)fewest, (long long)most);
		printf("   %-12s %11s %12.5g %-9s %8.3f %5s %8.1fms\n", L->name, size, L->ot.cost,
		       L->plan ? cf_ot_status_name(L->ot.status) : "-", L->trace_ratio,
		       most ? to : "-", 1e3 * L->time);
	}
	return next();
}

/* Steps 7-8: the fused network against the baselines, and finetuning. */
static int tour_results(cf_session *s, int i0, int i1, long finetune)
{
	const cf_session_metrics *mt;
	int rb;
	char wf[256];
	double t;

	if (run_step(s, CF_STEP_EVAL, &t))
		return -1;
	stage(s, CF_TOUR_EVAL);
	mt = cf_session_metrics_get(s);
	rb = cf_session_balanced_rebuilt(s);
	cf_tour_widths(cf_session_fused(s), wf, sizeof wf);
	printf("\n   on the %lld test images:\n", (long long)cf_session_data(s, 0)->n);
	printf("   model 0                %6.2f%%\n", 100 * mt->parent_acc[i0]);
	printf("   model 1                %6.2f%%\n", 100 * mt->parent_acc[i1]);
	printf("   balanced model %d       %6.2f%%  (same function as model %d)\n", rb,
	       100 * mt->balanced_acc, rb);
	if (isnan(mt->average_acc))
		printf("   plain average             n/a  (the shapes differ)\n");
	else
		printf("   plain average          %6.2f%%  (no alignment)\n", 100 * mt->average_acc);
	printf("   prediction ensemble    %6.2f%%  (needs both networks at run time)\n",
	       100 * mt->ensemble_acc);
	printf("   fused (one network)    %6.2f%%  (widths %s)\n", 100 * mt->fused_acc, wf);
	if (finetune > 0) {
		const cf_session_finetune *ft;
		char label[40];
		if (next())
			return 1;
		if (run_step(s, CF_STEP_FINETUNE, &t))
			return -1;
		stage(s, CF_TOUR_FINETUNE);
		ft = cf_session_finetune_get(s);
		snprintf(label, sizeof label, "fused + %ld epoch%s SGD", finetune,
			 finetune > 1 ? "s" : "");
		printf("\n   %-22s %6.2f%%  (%.1f s)\n", label,
		       100 * ft->res[ft->epochs - 1].test_acc, t);
	}
	stage(s, CF_TOUR_END);
	return next();
}

/* The optional last step: the options beyond the published method on,
 * the fused network evaluated again. */
static int tour_beyond(cf_session *s)
{
	cf_error err = {0};
	double t, was = cf_session_metrics_get(s)->fused_acc;

	for (int i = 0; cf_tour_beyond[i].param; i++)
		if (cf_session_set(s, cf_tour_beyond[i].param, cf_tour_beyond[i].value, &err)) {
			fprintf(stderr, "clafuse demo: %s\n", err.msg);
			return -1;
		}
	if (run_step(s, CF_STEP_EVAL, &t))
		return -1;
	published_acc = was;
	stage(s, CF_TOUR_BEYOND);
	printf("\n   fused, as published            %6.2f%%\n", 100 * was);
	printf("   fused, the three options       %6.2f%%  (%.1f s)\n",
	       100 * cf_session_metrics_get(s)->fused_acc, t);
	return 0;
}

/* The session on the two models with the demo's settings; NULL after a
 * message. */
static cf_session *open_session(const char *fa, const char *fb, int bundled, long finetune,
				const char *norm, cf_progress *prog)
{
	cf_error err = {0};
	cf_session *s = NULL;
	char buf[32];

	if (cf_session_new(&s, &err) || cf_session_load_model(s, fa, &err) ||
	    cf_session_load_model(s, fb, &err)) {
		fprintf(stderr, "clafuse demo: %s\n", err.msg);
		if (bundled)
			fprintf(stderr, "clafuse demo: the bundled models live in %s/models; "
					"set CLAFUSE_SHARE if the share directory moved\n",
				cf_lua_sharedir());
		cf_session_free(s);
		return NULL;
	}
	cf_session_set_progress(s, prog);
	snprintf(buf, sizeof buf, "%ld", finetune);
	if (cf_session_set(s, "finetune.epochs", buf, &err) ||
	    (norm && cf_session_set(s, "data.norm", norm, &err)) ||
	    cf_session_load_data(s, "fashion-mnist", &err)) {
		fprintf(stderr, "clafuse demo: %s\n", err.msg);
		cf_session_free(s);
		return NULL;
	}
	return s;
}

static int run(const struct cli_args *a)
{
	char pa[1024], pb[1024];
	const char *fa = pa, *fb = pb;
	long finetune = cli_long(a, O_FINETUNE, 1);
	int rc, i0, i1, batch = cli_flag(a, O_BATCH) || cli_flag(a, O_NO_PAUSE);
	cf_session *s;
	cf_progress prog = {cf_term_progress, NULL};
	cf_norm check;

	if (cli_norm("demo", cli_str(a, O_NORM, NULL), &check))
		return 2;
	pause_on = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !cli_flag(a, O_NO_PAUSE);
	bold_on = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	if (a->npos == 2) {
		fa = a->pos[0];
		fb = a->pos[1];
	} else if (a->npos != 0) {
		fprintf(stderr, "clafuse demo: give two model files or none\n");
		return 2;
	} else {
		snprintf(pa, sizeof pa, "%s/models/mlp_a.safetensors", cf_lua_sharedir());
		snprintf(pb, sizeof pb, "%s/models/mlp_b.safetensors", cf_lua_sharedir());
	}
	/* on a terminal the tour runs in the full-screen workbench */
	if (!batch && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		return cf_tui_demo(fa, fb, cli_str(a, O_NORM, NULL));

	printf(bold_on ? "\033[1m%s\033[0m\n" : "%s\n",
	       "clafuse demo: fusing two networks of different depths");
	cf_term_interrupt_install();
	if (!(s = open_session(fa, fb, fa == pa, finetune, cli_str(a, O_NORM, NULL), &prog)))
		return 1;
	cf_session_pair(s, &i0, &i1);
	if (!(rc = tour_networks(s, i0, i1)) && !(rc = tour_alignment(s)) &&
	    !(rc = tour_fusion(s)))
		if (!(rc = tour_results(s, i0, i1, finetune)))
			rc = tour_beyond(s);
	cf_session_free(s);
	return rc < 0 ? 1 : 0; /* rc 1: the user quit */
}

const struct cf_command cf_cmd_demo = {
	.name = "demo",
	.synopsis = "[A B] [options]",
	.summary = "a guided tour of the method on bundled models",
	.about = "A guided tour of CLAFusion on two networks of different depths (by default\n"
		 "the bundled Fashion-MNIST MLPs 400-200-100-50-25 and 400-200-100).\n",
	.opts = opts,
	.min_args = 0,
	.max_args = 2,
	.run = run,
};
