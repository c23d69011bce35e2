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

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd.h"
#include "lua/host.h"
#include "model.h"
#include "session.h"
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

/* Stage k's title and text (tourtext.c, the words the workbench's tour
 * shows too). */
static void stage(cf_session *s, int k)
{
	cf_tour_out o = {print_paragraph, NULL, 0, -1, "[bracketed]"};
	const char *t = strchr(cf_tour_title(k), ' ');
	title(k + 1, t ? t + 1 : cf_tour_title(k));
	cf_tour_text(s, k, &o);
}

/* C with the alignment [bracketed], then the map. */
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

static int run_step(cf_session *s, int step, double *t)
{
	cf_error err = {0};
	double t0 = cli_now();
	if (cf_session_run(s, step, &err)) {
		cf_lua_progress_done();
		fprintf(stderr, "clafuse demo: %s: %s\n", cf_session_step_name(step), err.msg);
		return -1;
	}
	cf_lua_progress_done();
	*t = cli_now() - t0;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: clafuse demo [--batch] [--no-pause] [--finetune N] [A.safetensors B.safetensors]\n"
		   "A guided tour of CLAFusion on two networks of different depths (by default\n"
		   "the bundled Fashion-MNIST MLPs 400-200-100-50-25 and 400-200-100).\n"
		   "  --batch        the printed tour, also on a terminal (default there: the\n"
		   "                 full-screen workbench with a guided tour)\n"
		   "  --no-pause     do not wait for Enter between steps (implies --batch)\n"
		   "  --finetune N   finetune the fused model for N epochs (default 1, 0: none)\n");
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {{"no-pause", no_argument, 0, 'n'},
					     {"batch", no_argument, 0, 'b'},
					     {"finetune", required_argument, 0, 'f'},
					     {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	char pa[1024], pb[1024], wa[256], wb[256], buf[64];
	const char *fa = pa, *fb = pb;
	long finetune = 1;
	int c, rc = 1, i0, i1, batch = 0;
	double t;
	cf_error err = {0};
	cf_session *s = NULL;
	cf_progress prog = {cf_lua_progress, NULL};

	pause_on = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	bold_on = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': pause_on = 0; batch = 1; break;
		case 'b': batch = 1; break;
		case 'f': if (cli_int("demo", "--finetune", optarg, 0, 100, &finetune)) return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind == 2) {
		fa = argv[optind];
		fb = argv[optind + 1];
	} else if (argc != optind) {
		usage(stderr);
		return 2;
	} else {
		snprintf(pa, sizeof pa, "%s/models/mlp_a.safetensors", cf_lua_sharedir());
		snprintf(pb, sizeof pb, "%s/models/mlp_b.safetensors", cf_lua_sharedir());
	}
	/* on a terminal the tour runs in the full-screen workbench */
	if (!batch && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		return cf_tui_demo(fa, fb);

	printf(bold_on ? "\033[1m%s\033[0m\n" : "%s\n",
	       "clafuse demo: fusing two networks of different depths");
	if (cf_session_new(&s, &err) || cf_session_load_model(s, fa, &err) ||
	    cf_session_load_model(s, fb, &err)) {
		fprintf(stderr, "clafuse demo: %s\n", err.msg);
		if (fa == pa)
			fprintf(stderr, "clafuse demo: the bundled models live in %s/models; "
					"set CLAFUSE_SHARE if the share directory moved\n",
				cf_lua_sharedir());
		goto done;
	}
	cf_session_set_progress(s, &prog);
	snprintf(buf, sizeof buf, "%ld", finetune);
	if (cf_session_set(s, "finetune.epochs", buf, &err) ||
	    cf_session_load_data(s, "fashion-mnist", &err)) {
		fprintf(stderr, "clafuse demo: %s\n", err.msg);
		goto done;
	}
	cf_session_pair(s, &i0, &i1);
	cf_tour_widths(cf_session_model(s, i0), wa, sizeof wa);
	cf_tour_widths(cf_session_model(s, i1), wb, sizeof wb);

	stage(s, CF_TOUR_MODELS);
	printf("\n   model 0  %-22s widths %s\n", base(cf_session_model_name(s, i0)), wa);
	printf("   model 1  %-22s widths %s\n", base(cf_session_model_name(s, i1)), wb);
	if (next())
		goto quit;

	if (run_step(s, CF_STEP_ACTS, &t))
		goto done;
	stage(s, CF_TOUR_ACTS);
	if (next())
		goto quit;

	if (run_step(s, CF_STEP_ALIGN, &t))
		goto done;
	stage(s, CF_TOUR_ALIGN);
	print_costs(s);
	if (next())
		goto quit;

	if (cf_session_set(s, "cla.measure", "activation", &err) ||
	    cf_session_set(s, "cla.metric", "cka", &err)) {
		fprintf(stderr, "clafuse demo: %s\n", err.msg);
		goto done;
	}
	if (run_step(s, CF_STEP_ALIGN, &t))
		goto done;
	stage(s, CF_TOUR_CKA);
	print_costs(s);
	if (next())
		goto quit;

	if (run_step(s, CF_STEP_BALANCE, &t))
		goto done;
	stage(s, CF_TOUR_BALANCE);
	{
		char w1[256];
		cf_tour_widths(cf_session_balanced(s, cf_session_balanced_rebuilt(s)), w1, sizeof w1);
		printf("\n       %s  ->  %s\n", cf_session_balanced_rebuilt(s) == i0 ? wa : wb, w1);
	}
	if (next())
		goto quit;

	if (run_step(s, CF_STEP_FUSE, &t))
		goto done;
	stage(s, CF_TOUR_OT);
	printf("\n   %-12s %11s %12s %-9s %8s %9s\n", "layer", "size", "OT cost", "status",
	       "trace", "time");
	for (int l = 0; l < cf_session_fusion_layers(s); l++) {
		const cf_fusion_layer *L = cf_session_fusion_layer(s, l);
		char size[32];
		snprintf(size, sizeof size, "%lldx%lld", (long long)L->n0, (long long)L->n1);
		printf("   %-12s %11s %12.5g %-9s %8.3f %8.1fms\n", L->name, size, L->ot.cost,
		       L->plan ? cf_ot_status_name(L->ot.status) : "-", L->trace_ratio,
		       1e3 * L->time);
	}
	if (next())
		goto quit;

	if (run_step(s, CF_STEP_EVAL, &t))
		goto done;
	stage(s, CF_TOUR_EVAL);
	{
		const cf_session_metrics *mt = cf_session_metrics_get(s);
		char wf[256];
		cf_tour_widths(cf_session_fused(s), wf, sizeof wf);
		printf("\n   on the %lld test images:\n", (long long)cf_session_data(s, 0)->n);
		printf("   model 0                %6.2f%%\n", 100 * mt->parent_acc[i0]);
		printf("   model 1                %6.2f%%\n", 100 * mt->parent_acc[i1]);
		printf("   balanced model %d       %6.2f%%  (same function as model %d)\n",
		       cf_session_balanced_rebuilt(s), 100 * mt->balanced_acc,
		       cf_session_balanced_rebuilt(s));
		if (isnan(mt->average_acc))
			printf("   plain average             n/a  (the shapes differ)\n");
		else
			printf("   plain average          %6.2f%%  (no alignment)\n", 100 * mt->average_acc);
		printf("   prediction ensemble    %6.2f%%  (needs both networks at run time)\n",
		       100 * mt->ensemble_acc);
		printf("   fused (one network)    %6.2f%%  (widths %s)\n", 100 * mt->fused_acc, wf);
	}
	if (finetune > 0) {
		if (next())
			goto quit;
		if (run_step(s, CF_STEP_FINETUNE, &t))
			goto done;
		stage(s, CF_TOUR_FINETUNE);
		const cf_session_finetune *ft = cf_session_finetune_get(s);
		char label[40];
		snprintf(label, sizeof label, "fused + %ld epoch%s SGD", finetune,
			 finetune > 1 ? "s" : "");
		printf("\n   %-22s %6.2f%%  (%.1f s)\n", label, 100 * ft->res[ft->epochs - 1].test_acc,
		       t);
	}
	stage(s, CF_TOUR_END);
quit:
	rc = 0;
done:
	cf_session_free(s);
	return rc;
}
