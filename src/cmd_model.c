/* cmd_model.c — the model subcommands: `clafuse train`, `clafuse eval` and
 * `clafuse info`.  Thin wrappers over the core's network, training and
 * model-file modules; all figures they print come from those modules.
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "cli.h"
#include "cmd.h"
#include "data.h"
#include "lua/host.h"
#include "model.h"
#include "net.h"
#include "st.h"
#include "train.h"

static int load_data(const char *cmd, const char *spec, int train, cf_dataset **d)
{
	cf_error err = {0};
	if (cf_data_load(spec, train, NULL, NULL, d, &err)) {
		fprintf(stderr, "clafuse %s: %s\n", cmd, err.msg);
		return -1;
	}
	return 0;
}

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

static void train_usage(FILE *f)
{
	fprintf(f,
		"usage: clafuse train (--arch DESC | --from MODEL) -o OUT.safetensors [options]\n"
		"Train a network with SGD on a data set and save it.\n\n"
		"  --arch DESC        architecture, e.g. 'mlp 784-400-200-100-10 nobias'\n"
		"  --from MODEL       start from a saved model instead (finetuning)\n"
		"  -o, --output FILE  where to save the trained model\n"
		"  --data SPEC        fashion-mnist (default), idx:IMG,LBL[,TIMG,TLBL],\n"
		"                     cifar10:DIR, cifar100:DIR\n"
		"  --epochs N         default 10\n"
		"  --batch N          default 64\n"
		"  --lr X             default 0.01\n"
		"  --momentum X       default 0.5\n"
		"  --wd X             weight decay, default 0\n"
		"  --milestones E,E   epochs after which lr *= gamma\n"
		"  --gamma X          default 0.1\n"
		"  --seed N           initialisation and shuffling seed, default 1\n"
		"  --subset N         train on the first N samples of a seeded shuffle\n"
		"  --threads N        BLAS threads, default 1\n"
		"  --no-test          skip the test-set evaluation after each epoch\n");
}

int cmd_train(int argc, char **argv)
{
	static const struct option opts[] = {
		{"arch", required_argument, 0, 'a'}, {"from", required_argument, 0, 'f'},
		{"output", required_argument, 0, 'o'}, {"data", required_argument, 0, 'd'},
		{"epochs", required_argument, 0, 'e'}, {"batch", required_argument, 0, 'b'},
		{"lr", required_argument, 0, 'l'}, {"momentum", required_argument, 0, 'm'},
		{"wd", required_argument, 0, 'w'}, {"milestones", required_argument, 0, 'M'},
		{"gamma", required_argument, 0, 'g'}, {"seed", required_argument, 0, 's'},
		{"subset", required_argument, 0, 'S'}, {"threads", required_argument, 0, 't'},
		{"no-test", no_argument, 0, 'T'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *arch = NULL, *from = NULL, *out = NULL, *spec = "fashion-mnist";
	cf_train_params p;
	long v, subset = 0, threads = 1;
	int c, notest = 0, rc = 1;
	cf_error err = {0};
	cf_net *net = NULL;
	cf_dataset *train = NULL, *test = NULL, *sub = NULL;
	gsl_rng *r = NULL;

	cf_train_params_default(&p);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': arch = optarg; break;
		case 'f': from = optarg; break;
		case 'o': out = optarg; break;
		case 'd': spec = optarg; break;
		case 'e': if (cli_int("train", "--epochs", optarg, 1, 100000, &v)) return 2;
			p.epochs = (int)v; break;
		case 'b': if (cli_int("train", "--batch", optarg, 1, 1 << 20, &v)) return 2;
			p.batch = (int)v; break;
		case 'l': if (cli_double("train", "--lr", optarg, 0, 1e6, &p.lr)) return 2; break;
		case 'm': if (cli_double("train", "--momentum", optarg, 0, 1, &p.momentum)) return 2;
			break;
		case 'w': if (cli_double("train", "--wd", optarg, 0, 1e3, &p.weight_decay)) return 2;
			break;
		case 'M': if (parse_milestones(optarg, &p)) return 2; break;
		case 'g': if (cli_double("train", "--gamma", optarg, 0, 1e3, &p.gamma)) return 2; break;
		case 's': if (cli_int("train", "--seed", optarg, 0, 0x7fffffffL, &v)) return 2;
			p.seed = (unsigned long)v; break;
		case 'S': if (cli_int("train", "--subset", optarg, 1, 1L << 40, &subset)) return 2;
			break;
		case 't': if (cli_int("train", "--threads", optarg, 1, 256, &threads)) return 2;
			break;
		case 'T': notest = 1; break;
		case 'h': train_usage(stdout); return 0;
		default: train_usage(stderr); return 2;
		}
	}
	if (optind < argc || (!arch == !from) || !out) {
		fprintf(stderr, "clafuse train: give exactly one of --arch and --from, and -o\n");
		train_usage(stderr);
		return 2;
	}
	cli_set_threads((int)threads);

	if (from ? cf_model_load(from, NULL, &net, &err) : cf_net_create_str(arch, &net, &err)) {
		fprintf(stderr, "clafuse train: %s\n", err.msg);
		goto done;
	}
	r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(r, p.seed);
	if (!from)
		cf_net_init(net, r);
	if (load_data("train", spec, 1, &train) || (!notest && load_data("train", spec, 0, &test)))
		goto done;
	if (subset > 0 && subset < train->n) {
		int64_t *idx = malloc((size_t)train->n * sizeof *idx);
		if (!idx)
			goto done;
		cf_data_permutation(idx, train->n, r);
		if (cf_data_subset(train, idx, subset, &sub, &err)) {
			free(idx);
			fprintf(stderr, "clafuse train: %s\n", err.msg);
			goto done;
		}
		free(idx);
	}
	{
		char *desc = cf_arch_print(cf_net_arch(net));
		const cf_dataset *tr = sub ? sub : train;
		printf("model   %s\ndata    %s: %lld training samples%s\n"
		       "recipe  %d epochs, batch %d, lr %g, momentum %g, wd %g, seed %lu, %d thread%s\n",
		       desc ? desc : "?", spec, (long long)tr->n,
		       test ? ", evaluated on the test split" : "", p.epochs, p.batch, p.lr,
		       p.momentum, p.weight_decay, p.seed, (int)threads, threads > 1 ? "s" : "");
		free(desc);
	}
	{
		const cf_dataset *tr = sub ? sub : train;
		cf_trainer *t = NULL;
		cf_progress prog = {cf_lua_progress, NULL};
		if (cf_trainer_alloc(net, tr, &p, &t, &err)) {
			fprintf(stderr, "clafuse train: %s\n", err.msg);
			goto done;
		}
		printf("%-7s %-9s %-8s %-8s %-8s %-8s %-8s %s\n", "epoch", "lr", "loss", "train",
		       "test", "t-loss", "time", "samples/s");
		fflush(stdout);
		for (int e = 1; !cf_trainer_done(t); e++) {
			cf_epoch_result er;
			double t0 = cli_now(), dt;
			int s = cf_trainer_epoch(t, &prog, &er, &err);
			dt = cli_now() - t0;
			cf_lua_progress_done();
			if (s) {
				fprintf(stderr, "clafuse train: %s\n", err.msg);
				cf_trainer_free(t);
				goto done;
			}
			if (test && cf_evaluate(net, test, 0, &er.test_acc, &er.test_loss, NULL, &err)) {
				fprintf(stderr, "clafuse train: %s\n", err.msg);
				cf_trainer_free(t);
				goto done;
			}
			printf("%3d/%-3d %-9.3g %-8.4f %6.2f%%  ", e, p.epochs, er.lr, er.train_loss,
			       100 * er.train_acc);
			if (test)
				printf("%6.2f%%  %-8.4f ", 100 * er.test_acc, er.test_loss);
			else
				printf("%-8s %-8s ", "-", "-");
			printf("%6.1fs  %.0f\n", dt, (double)tr->n / dt);
			fflush(stdout);
		}
		cf_trainer_free(t);
	}
	{
		char seed[32];
		const char *k[] = {"clafuse.trained"}, *val[1];
		char recipe[512];
		snprintf(seed, sizeof seed, "%lu", p.seed);
		snprintf(recipe, sizeof recipe,
			 "data=%s epochs=%d batch=%d lr=%g momentum=%g wd=%g seed=%s%s%s", spec,
			 p.epochs, p.batch, p.lr, p.momentum, p.weight_decay, seed,
			 from ? " from=" : "", from ? from : "");
		val[0] = recipe;
		if (cf_model_save(net, out, k, val, 1, &err)) {
			fprintf(stderr, "clafuse train: %s\n", err.msg);
			goto done;
		}
		printf("saved   %s\n", out);
	}
	rc = 0;
done:
	gsl_rng_free(r);
	cf_dataset_free(sub);
	cf_dataset_free(train);
	cf_dataset_free(test);
	cf_net_free(net);
	return rc;
}

static void eval_usage(FILE *f)
{
	fprintf(f, "usage: clafuse eval MODEL [--data SPEC] [--arch DESC] [--train] [--threads N]\n"
		   "Accuracy and mean cross-entropy of a model on a data set's test split\n"
		   "(--train: the training split).  --arch gives the architecture of a file\n"
		   "written without clafuse's metadata (e.g. by PyTorch).\n");
}

int cmd_evaluate(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data", required_argument, 0, 'd'}, {"arch", required_argument, 0, 'a'},
		{"train", no_argument, 0, 'T'}, {"threads", required_argument, 0, 't'},
		{"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
	const char *spec = "fashion-mnist", *arch = NULL;
	int c, split_train = 0, rc = 1;
	long threads = 1;
	cf_error err = {0};
	cf_net *net = NULL;
	cf_dataset *d = NULL;
	double acc, loss, t0;
	cf_progress prog = {cf_lua_progress, NULL};

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': spec = optarg; break;
		case 'a': arch = optarg; break;
		case 'T': split_train = 1; break;
		case 't': if (cli_int("eval", "--threads", optarg, 1, 256, &threads)) return 2;
			break;
		case 'h': eval_usage(stdout); return 0;
		default: eval_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		eval_usage(stderr);
		return 2;
	}
	cli_set_threads((int)threads);
	if (cf_model_load(argv[optind], arch, &net, &err)) {
		fprintf(stderr, "clafuse eval: %s\n", err.msg);
		return 1;
	}
	if (load_data("eval", spec, split_train, &d))
		goto done;
	t0 = cli_now();
	if (cf_evaluate(net, d, 0, &acc, &loss, &prog, &err)) {
		cf_lua_progress_done();
		fprintf(stderr, "clafuse eval: %s\n", err.msg);
		goto done;
	}
	cf_lua_progress_done();
	printf("%s on %s (%s, %lld samples): accuracy %.2f%%, loss %.4f (%.2f s)\n",
	       argv[optind], spec, split_train ? "train" : "test", (long long)d->n, 100 * acc,
	       loss, cli_now() - t0);
	rc = 0;
done:
	cf_dataset_free(d);
	cf_net_free(net);
	return rc;
}

static const char *kind_name(enum cf_unit_kind k)
{
	switch (k) {
	case CF_UNIT_LINEAR: return "linear";
	case CF_UNIT_CONV: return "conv";
	case CF_UNIT_BLOCK: return "block";
	default: return "?";
	}
}

int cmd_info(int argc, char **argv)
{
	cf_error err = {0};
	cf_net *net = NULL;
	cf_st_file *f = NULL;
	char *desc;
	int s, u, c, h, w;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(argc == 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
			"usage: clafuse info MODEL\nThe architecture, stages, units, weight layers "
			"and metadata of a model file.\n");
		return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	if (cf_model_load(argv[1], NULL, &net, &err) || cf_model_read(argv[1], &f, &err)) {
		fprintf(stderr, "clafuse info: %s\n", err.msg);
		cf_net_free(net);
		return 1;
	}
	desc = cf_arch_print(cf_net_arch(net));
	cf_net_input_shape(net, &c, &h, &w);
	printf("file        %s\narchitecture %s\ninput       %dx%dx%d, %d classes\n"
	       "parameters  %lld trainable\n",
	       argv[1], desc ? desc : "?", c, h, w, cf_net_nclasses(net),
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
