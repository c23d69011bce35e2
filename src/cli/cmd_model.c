/* cmd_model.c — the model subcommands `clafuse eval` and `clafuse info`.
 * Thin wrappers over the core's network and model-file modules; all
 * figures they print come from those modules.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/data.h"
#include "core/model.h"
#include "core/net.h"
#include "core/st.h"
#include "core/train.h"
#include "term/progress.h"

enum { E_DATA, E_ARCH, E_TRAIN, E_THREADS };

static const struct cli_opt eval_opts[] = {
	[E_DATA] = {0, "data", CLI_STR, "SPEC", "data set (default fashion-mnist)"},
	[E_ARCH] = {0, "arch", CLI_STR, "DESC", "architecture of a file written without\n"
						 "clafuse's metadata (e.g. by PyTorch)"},
	[E_TRAIN] = {0, "train", CLI_FLAG, NULL, "evaluate on the training split"},
	[E_THREADS] = {0, "threads", CLI_INT, "N", "BLAS threads, default 1", 1, 256},
	{0}
};

static int eval_run(const struct cli_args *a)
{
	const char *spec = cli_str(a, E_DATA, "fashion-mnist"), *path = a->pos[0];
	int split_train = cli_flag(a, E_TRAIN), rc = 1;
	cf_error err = {0};
	cf_net *net = NULL;
	cf_dataset *d = NULL;
	double acc, loss, t0;
	cf_progress prog = {cf_term_progress, NULL};

	cli_set_threads((int)cli_long(a, E_THREADS, 1));
	cf_term_interrupt_install();
	if (cf_model_load(path, cli_str(a, E_ARCH, NULL), &net, &err)) {
		cli_error("eval", &err);
		return 1;
	}
	if (cf_data_load(spec, split_train, NULL, NULL, &d, &err)) {
		cli_error("eval", &err);
		goto done;
	}
	t0 = cf_progress_clock();
	if (cf_evaluate(net, d, 0, &acc, &loss, &prog, &err)) {
		cf_term_progress_done();
		cli_error("eval", &err);
		goto done;
	}
	cf_term_progress_done();
	printf("%s on %s (%s, %lld samples): accuracy %.2f%%, loss %.4f (%.2f s)\n", path, spec,
	       split_train ? "train" : "test", (long long)d->n, 100 * acc, loss, cf_progress_clock() - t0);
	rc = 0;
done:
	cf_dataset_free(d);
	cf_net_free(net);
	return rc;
}

const struct cf_command cf_cmd_eval = {
	.name = "eval",
	.synopsis = "MODEL [--data SPEC] [options]",
	.summary = "accuracy of a model on a data set",
	.about = "Accuracy and mean cross-entropy of a model on a data set's test split.\n",
	.opts = eval_opts,
	.min_args = 1,
	.max_args = 1,
	.run = eval_run,
};

static const char *kind_name(enum cf_unit_kind k)
{
	switch (k) {
	case CF_UNIT_LINEAR: return "linear";
	case CF_UNIT_CONV: return "conv";
	case CF_UNIT_BLOCK: return "block";
	default: return "?";
	}
}

static const struct cli_opt info_opts[] = {{0}};

static int info_run(const struct cli_args *a)
{
	const char *path = a->pos[0];
	cf_error err = {0};
	cf_net *net = NULL;
	cf_st_file *f = NULL;
	char *desc;
	int s, u, c, h, w;

	if (cf_model_load(path, NULL, &net, &err) || cf_model_read(path, &f, &err)) {
		cli_error("info", &err);
		cf_net_free(net);
		return 1;
	}
	desc = cf_arch_print(cf_net_arch(net));
	cf_net_input_shape(net, &c, &h, &w);
	printf("file        %s\narchitecture %s\ninput       %dx%dx%d, %d classes\n"
	       "parameters  %lld trainable\n",
	       path, desc ? desc : "?", c, h, w, cf_net_nclasses(net),
	       (long long)cf_net_ntrainable(net));
	free(desc);
	printf("\nstage unit kind    width  output      weight layers\n");
	for (s = 0; s < cf_net_nstages(net); s++) {
		const cf_net_stage *st = cf_net_stage_at(net, s);
		for (u = st->unit_first; u < st->unit_first + st->unit_n; u++) {
			const cf_net_unit *un = cf_net_unit_at(net, u);
			char shape[32];
			snprintf(shape, sizeof shape, "%dx%dx%d", un->out_c, un->out_h, un->out_w);
			printf("%5d %4d %-7s %5d  %-11s", s + 1, u + 1, kind_name(un->kind), un->width,
			       shape);
			for (int l = un->wl_first; l < un->wl_first + un->wl_n; l++)
				printf(" %s", cf_net_wlayer_at(net, l)->name);
			printf("\n");
		}
	}
	if (f->nmeta) {
		printf("\nmetadata\n");
		for (size_t i = 0; i < f->nmeta; i++)
			printf("  %s = %s\n", f->meta_key[i], f->meta_val[i]);
	}
	cf_st_free(f);
	cf_net_free(net);
	return 0;
}

const struct cf_command cf_cmd_info = {
	.name = "info",
	.synopsis = "MODEL",
	.summary = "architecture, units and metadata of a model file",
	.about = "The architecture, stages, units, weight layers and metadata of a model file.\n",
	.opts = info_opts,
	.min_args = 1,
	.max_args = 1,
	.run = info_run,
};
