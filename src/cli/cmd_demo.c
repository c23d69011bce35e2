/* cmd_demo.c — `clafuse demo`: a guided tour of cross-layer alignment and
 * OT fusion on two bundled networks of different depths.
 *
 * Every number on screen comes from a real fusion session run step by step
 * (the same object `clafuse fuse`, the console and scripts drive); between
 * steps the tour explains what was computed and, on a terminal, waits for
 * Enter, so a teacher can walk a class through the method.
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
#include "tui/tui.h"

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

static void widths(cf_net *net, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int u = 0; u < cf_net_nunits(net) && used + 16 < len; u++)
		used += (size_t)snprintf(buf + used, len - used, "%s%d", u ? "-" : "",
					 cf_net_unit_at(net, u)->width);
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

	printf(bold_on ? "\033[1m%s\033[0m\n\n" : "%s\n\n",
	       "clafuse demo: fusing two networks of different depths");
	printf("Two networks were trained separately on the same task (Fashion-MNIST).\n"
	       "Model 0 has more hidden layers than model 1.  CLAFusion (1) finds which\n"
	       "layer of model 0 matches each layer of model 1, (2) makes the depths equal,\n"
	       "(3) matches neurons layer by layer with optimal transport and averages\n"
	       "the matched weights.  The result is ONE network with model 1's shape.\n");

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
	widths(cf_session_model(s, i0), wa, sizeof wa);
	widths(cf_session_model(s, i1), wb, sizeof wb);
	title(1, "The two networks");
	printf("   model 0 (deeper)     %-22s widths %s\n",
	       base(cf_session_model_name(s, i0)), wa);
	printf("   model 1 (shallower)  %-22s widths %s\n",
	       base(cf_session_model_name(s, i1)), wb);
	printf("   (widths of the hidden layers, then the 10 classes)\n");
	if (next())
		goto quit;

	title(2, "Activations");
	if (run_step(s, CF_STEP_ACTS, &t))
		goto done;
	printf("   %g training images (seed %g) go through both networks; each layer's\n"
	       "   pre-activations are recorded: %.3f s.  They describe every neuron by\n"
	       "   what it does on real inputs.\n",
	       cf_session_get_num(s, "data.samples"), cf_session_get_num(s, "data.seed"), t);
	if (next())
		goto quit;

	title(3, "Layer costs and the alignment");
	if (run_step(s, CF_STEP_COSTS, &t) || run_step(s, CF_STEP_ALIGN, &t))
		goto done;
	{
		int m, n, nm;
		const double *C = cf_session_costs(s, &m, &n);
		const int *map = cf_session_unit_map(s, &nm);
		char metric[32];
		cf_session_get(s, "cla.metric", metric, sizeof metric, NULL);
		printf("   Cost C[i][j] of matching hidden layer i of model 0 with layer j of\n"
		       "   model 1 (%s on widths); [brackets] mark the alignment found by the\n"
		       "   dynamic program (first %g-1 layers fixed, last %g matched to last):\n\n",
		       metric, cf_session_get_num(s, "cla.start"),
		       cf_session_get_num(s, "cla.free_end"));
		printf("          ");
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
	if (next())
		goto quit;

	title(4, "Balancing the depths");
	if (run_step(s, CF_STEP_BALANCE, &t))
		goto done;
	{
		char w1[256];
		widths(cf_session_balanced(s, 1), w1, sizeof w1);
		printf("   Identity layers are inserted into model 1 after each matched layer,\n"
		       "   up to the next match:\n\n       %s  ->  %s\n\n"
		       "   The balanced model computes exactly the same function (an identity\n"
		       "   layer after a ReLU passes its non-negative input through).\n",
		       wb, w1);
	}
	if (next())
		goto quit;

	title(5, "Optimal transport, layer by layer");
	printf("   For each layer a cost between every neuron of model 0 and of model 1\n"
	       "   (distance of their activations), then an exact transport plan T; model\n"
	       "   0's neurons are moved onto model 1's and the two are averaged.\n\n");
	if (run_step(s, CF_STEP_FUSE, &t))
		goto done;
	printf("   %-12s %11s %12s %-9s %8s %9s\n", "layer", "size", "OT cost", "status",
	       "trace", "time");
	for (int l = 0; l < cf_session_fusion_layers(s); l++) {
		const cf_fusion_layer *L = cf_session_fusion_layer(s, l);
		char size[32];
		snprintf(size, sizeof size, "%lldx%lld", (long long)L->n0, (long long)L->n1);
		printf("   %-12s %11s %12.5g %-9s %8.3f %8.1fms\n", L->name, size, L->ot.cost,
		       L->plan ? cf_ot_status_name(L->ot.status) : "-", L->trace_ratio,
		       1e3 * L->time);
	}
	printf("\n   trace = share of each plan on the diagonal: 1.0 means neuron i of\n"
	       "   model 0 went to neuron i of model 1 (e.g. the 10 output classes).\n");
	if (next())
		goto quit;

	title(6, "Results on the 10000 test images");
	if (run_step(s, CF_STEP_EVAL, &t))
		goto done;
	{
		const cf_session_metrics *mt = cf_session_metrics_get(s);
		printf("   model 0                %6.2f%%\n", 100 * mt->parent_acc[i0]);
		printf("   model 1                %6.2f%%\n", 100 * mt->parent_acc[i1]);
		printf("   balanced model 1       %6.2f%%  (same function as model 1)\n",
		       100 * mt->balanced_acc);
		printf("   prediction ensemble    %6.2f%%  (needs both networks at run time)\n",
		       100 * mt->ensemble_acc);
		printf("   fused (one network)    %6.2f%%\n", 100 * mt->fused_acc);
	}
	if (finetune > 0) {
		if (run_step(s, CF_STEP_FINETUNE, &t))
			goto done;
		const cf_session_finetune *ft = cf_session_finetune_get(s);
		char label[40];
		snprintf(label, sizeof label, "fused + %ld epoch%s SGD", finetune,
			 finetune > 1 ? "s" : "");
		printf("   %-22s %6.2f%%  (%.1f s)\n", label, 100 * ft->res[ft->epochs - 1].test_acc,
		       t);
	}
	printf("\nNext: try `clafuse fuse A B --data fashion-mnist --set cla.method=chain`,\n"
	       "or the console (`clafuse`, then help()).\n");
quit:
	rc = 0;
done:
	cf_session_free(s);
	return rc;
}
