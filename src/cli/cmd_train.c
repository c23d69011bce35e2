/* cmd_train.c — `clafuse train`: train a network with SGD on a data set
 * and save it.  A thin wrapper over the core's network, training and
 * model-file modules; all figures it prints come from those modules.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "cli/cmd.h"
#include "core/data.h"
#include "core/model.h"
#include "core/net.h"
#include "core/train.h"
#include "term/progress.h"

enum {
	O_ARCH, O_FROM, O_OUT, O_DATA, O_EPOCHS, O_BATCH, O_LR, O_MOMENTUM, O_WD,
	O_MILESTONES, O_GAMMA, O_SEED, O_SUBSET, O_THREADS, O_NOTEST
};

static const struct cli_opt opts[] = {
	[O_ARCH] = {0, "arch", CLI_STR, "DESC", "architecture, e.g. 'mlp 784-400-200-100-10 nobias'"},
	[O_FROM] = {0, "from", CLI_STR, "MODEL", "start from a saved model instead (finetuning)"},
	[O_OUT] = {'o', "output", CLI_STR, "FILE", "where to save the trained model"},
	[O_DATA] = {0, "data", CLI_STR, "SPEC", "fashion-mnist (default), idx:IMG,LBL[,TIMG,TLBL],\n"
						 "cifar10:DIR, cifar100:DIR"},
	[O_EPOCHS] = {0, "epochs", CLI_INT, "N", "default 10", 1, 100000},
	[O_BATCH] = {0, "batch", CLI_INT, "N", "default 64", 1, 1 << 20},
	[O_LR] = {0, "lr", CLI_REAL, "X", "default 0.01", 0, 1e6},
	[O_MOMENTUM] = {0, "momentum", CLI_REAL, "X", "default 0.5", 0, 1},
	[O_WD] = {0, "wd", CLI_REAL, "X", "weight decay, default 0", 0, 1e3},
	[O_MILESTONES] = {0, "milestones", CLI_STR, "E,E", "epochs after which lr *= gamma"},
	[O_GAMMA] = {0, "gamma", CLI_REAL, "X", "default 0.1", 0, 1e3},
	[O_SEED] = {0, "seed", CLI_INT, "N", "initialisation and shuffling seed, default 1", 0,
		    0x7fffffffL},
	[O_SUBSET] = {0, "subset", CLI_INT, "N", "train on the first N samples of a seeded shuffle",
		      1, (double)(1L << 40)},
	[O_THREADS] = {0, "threads", CLI_INT, "N", "BLAS threads, default 1", 1, 256},
	[O_NOTEST] = {0, "no-test", CLI_FLAG, NULL,
		      "skip the test-set evaluation after each epoch"},
	{0}
};

static int parse_milestones(const char *s, cf_train_params *p)
{
	char buf[256], *tok, *save = NULL;
	long v;

	snprintf(buf, sizeof buf, "%s", s);
	p->nmilestones = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (p->nmilestones == CF_TRAIN_MAXMILESTONES) {
			fprintf(stderr, "clafuse train: --milestones: at most %d epochs\n",
				CF_TRAIN_MAXMILESTONES);
			return -1;
		}
		if (cli_int("train", "--milestones", tok, 1, 100000, &v))
			return -1;
		p->milestones[p->nmilestones++] = (int)v;
	}
	return 0;
}

/* The recipe from the options; -1 after a message. */
static int recipe(const struct cli_args *a, cf_train_params *p)
{
	cf_train_params_default(p);
	p->epochs = (int)cli_long(a, O_EPOCHS, p->epochs);
	p->batch = (int)cli_long(a, O_BATCH, p->batch);
	p->lr = cli_real(a, O_LR, p->lr);
	p->momentum = cli_real(a, O_MOMENTUM, p->momentum);
	p->weight_decay = cli_real(a, O_WD, p->weight_decay);
	p->gamma = cli_real(a, O_GAMMA, p->gamma);
	p->seed = (unsigned long)cli_long(a, O_SEED, (long)p->seed);
	if (cli_flag(a, O_MILESTONES) && parse_milestones(cli_str(a, O_MILESTONES, ""), p))
		return -1;
	return 0;
}

static int load_data(const char *spec, int train, cf_dataset **d)
{
	cf_error err = {0};
	if (cf_data_load(spec, train, NULL, NULL, d, &err)) {
		fprintf(stderr, "clafuse train: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* The training split (a seeded subset of it with --subset) and, unless
 * --no-test, the test split; -1 after a message. */
static int load_splits(const char *spec, long subset, gsl_rng *r, int notest,
		       cf_dataset **train, cf_dataset **test)
{
	cf_error err = {0};
	cf_dataset *all = NULL;
	int64_t *idx;

	if (load_data(spec, 1, &all) || (!notest && load_data(spec, 0, test))) {
		cf_dataset_free(all);
		return -1;
	}
	if (subset <= 0 || subset >= all->n) {
		*train = all;
		return 0;
	}
	idx = malloc((size_t)all->n * sizeof *idx);
	if (!idx) {
		fprintf(stderr, "clafuse train: out of memory\n");
		cf_dataset_free(all);
		return -1;
	}
	cf_data_permutation(idx, all->n, r);
	if (cf_data_subset(all, idx, subset, train, &err))
		fprintf(stderr, "clafuse train: %s\n", err.msg);
	free(idx);
	cf_dataset_free(all);
	return *train ? 0 : -1;
}

/* The epochs, one line each; 0, or -1 after a message. */
static int train_epochs(cf_net *net, const cf_dataset *tr, const cf_dataset *test,
			const cf_train_params *p)
{
	cf_error err = {0};
	cf_trainer *t = NULL;
	cf_progress prog = {cf_term_progress, NULL};
	int rc = -1;

	if (cf_trainer_alloc(net, tr, p, &t, &err)) {
		fprintf(stderr, "clafuse train: %s\n", err.msg);
		return -1;
	}
	printf("%-7s %-9s %-8s %-8s %-8s %-8s %-8s %s\n", "epoch", "lr", "loss", "train", "test",
	       "t-loss", "time", "samples/s");
	fflush(stdout);
	for (int e = 1; !cf_trainer_done(t); e++) {
		cf_epoch_result er;
		double t0 = cf_progress_clock(), dt;
		int s = cf_trainer_epoch(t, &prog, &er, &err);
		dt = cf_progress_clock() - t0;
		cf_term_progress_done();
		if (s || (test && cf_evaluate(net, test, 0, &er.test_acc, &er.test_loss, &prog, &err))) {
			cf_term_progress_done();
			cli_error("train", &err);
			goto done;
		}
		printf("%3d/%-3d %-9.3g %-8.4f %6.2f%%  ", e, p->epochs, er.lr, er.train_loss,
		       100 * er.train_acc);
		if (test)
			printf("%6.2f%%  %-8.4f ", 100 * er.test_acc, er.test_loss);
		else
			printf("%-8s %-8s ", "-", "-");
		printf("%6.1fs  %.0f\n", dt, (double)tr->n / dt);
		fflush(stdout);
	}
	rc = 0;
done:
	cf_trainer_free(t);
	return rc;
}

static int save(const cf_net *net, const char *out, const char *spec, const char *from,
		const cf_train_params *p)
{
	cf_error err = {0};
	const char *k[] = {"clafuse.trained"}, *val[1];
	char recipe_s[512];

	snprintf(recipe_s, sizeof recipe_s,
		 "data=%s epochs=%d batch=%d lr=%g momentum=%g wd=%g seed=%lu%s%s", spec, p->epochs,
		 p->batch, p->lr, p->momentum, p->weight_decay, p->seed, from ? " from=" : "",
		 from ? from : "");
	val[0] = recipe_s;
	if (cf_model_save(net, out, k, val, 1, &err)) {
		fprintf(stderr, "clafuse train: %s\n", err.msg);
		return -1;
	}
	printf("saved   %s\n", out);
	return 0;
}

static int run(const struct cli_args *a)
{
	const char *arch = cli_str(a, O_ARCH, NULL), *from = cli_str(a, O_FROM, NULL);
	const char *out = cli_str(a, O_OUT, NULL), *spec = cli_str(a, O_DATA, "fashion-mnist");
	long threads = cli_long(a, O_THREADS, 1);
	cf_train_params p;
	int rc = 1;
	cf_error err = {0};
	cf_net *net = NULL;
	cf_dataset *train = NULL, *test = NULL;
	gsl_rng *r = NULL;

	if (!arch == !from || !out) {
		fprintf(stderr, "clafuse train: give exactly one of --arch and --from, and -o\n");
		return 2;
	}
	if (recipe(a, &p))
		return 2;
	cli_set_threads((int)threads);
	cf_term_interrupt_install();
	if (from ? cf_model_load(from, NULL, &net, &err) : cf_net_create_str(arch, &net, &err)) {
		fprintf(stderr, "clafuse train: %s\n", err.msg);
		return 1;
	}
	if (!(r = gsl_rng_alloc(gsl_rng_mt19937))) {
		fprintf(stderr, "clafuse train: out of memory\n");
		goto done;
	}
	gsl_rng_set(r, p.seed);
	if (!from)
		cf_net_init(net, r);
	if (load_splits(spec, cli_long(a, O_SUBSET, 0), r, cli_flag(a, O_NOTEST), &train, &test))
		goto done;
	{
		char *desc = cf_arch_print(cf_net_arch(net));
		printf("model   %s\ndata    %s: %lld training samples%s\n"
		       "recipe  %d epochs, batch %d, lr %g, momentum %g, wd %g, seed %lu, %d thread%s\n",
		       desc ? desc : "?", spec, (long long)train->n,
		       test ? ", evaluated on the test split" : "", p.epochs, p.batch, p.lr,
		       p.momentum, p.weight_decay, p.seed, (int)threads, threads > 1 ? "s" : "");
		free(desc);
	}
	if (train_epochs(net, train, test, &p) || save(net, out, spec, from, &p))
		goto done;
	rc = 0;
done:
	gsl_rng_free(r);
	cf_dataset_free(train);
	cf_dataset_free(test);
	cf_net_free(net);
	return rc;
}

const struct cf_command cf_cmd_train = {
	.name = "train",
	.synopsis = "(--arch DESC | --from MODEL) -o OUT [options]",
	.summary = "train a network on a data set",
	.about = "Train a network with SGD on a data set and save it (safetensors).\n",
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
	.run = run,
};
