/* test_train.c — training: the SGD update against a hand-written reference
 * (momentum, weight decay), the step schedule, a stop request from the
 * progress callback and resuming, reproducibility from the seed, data
 * checks, and short runs on a synthetic separable data set that must reach
 * a stated accuracy (MLP, CNN with BN, ResNet). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "ops.h"
#include "tap.h"
#include "train.h"

/* n samples of c×h×w: class k's mean is a fixed random pattern, plus
 * Gaussian noise of standard deviation `noise`. */
static cf_dataset *synthetic(int64_t n, int c, int h, int w, int k, double noise, unsigned long seed)
{
	cf_dataset *d = calloc(1, sizeof *d);
	int64_t sz = (int64_t)c * h * w;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	float *means = malloc(sizeof *means * (size_t)(k * sz));
	gsl_rng_set(r, 1234); /* same class patterns for every split */
	for (int64_t i = 0; i < k * sz; i++)
		means[i] = (float)gsl_ran_gaussian(r, 1.0);
	gsl_rng_set(r, seed);
	snprintf(d->name, sizeof d->name, "synthetic/%lu", seed);
	d->n = n;
	d->c = c;
	d->h = h;
	d->w = w;
	d->nclasses = k;
	d->x = malloc(sizeof *d->x * (size_t)(n * sz));
	d->y = malloc(sizeof *d->y * (size_t)n);
	for (int64_t i = 0; i < n; i++) {
		int label = (int)(i % k);
		d->y[i] = label;
		for (int64_t j = 0; j < sz; j++)
			d->x[i * sz + j] = means[label * sz + j] + (float)gsl_ran_gaussian(r, noise);
	}
	free(means);
	gsl_rng_free(r);
	return d;
}

static void free_data(cf_dataset *d)
{
	if (!d)
		return;
	free(d->x);
	free(d->y);
	free(d);
}

static cf_net *fresh(const char *desc, unsigned long seed)
{
	cf_net *net = NULL;
	cf_error err = { 0, "" };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	if (cf_net_create_str(desc, &net, &err))
		tap_diag("%s: %s", desc, err.msg);
	gsl_rng_set(r, seed);
	if (net)
		cf_net_init(net, r);
	gsl_rng_free(r);
	return net;
}

/* Two SGD steps by the trainer (batch = whole set, so no shuffling effect)
 * against the formulas run by hand on a copy. */
static void test_sgd_rule(void)
{
	cf_dataset *d = synthetic(5, 1, 1, 3, 2, 0.5, 7);
	cf_net *net = fresh("mlp 3-4-2", 1), *ref = NULL;
	cf_train_params p;
	cf_trainer *t = NULL;
	cf_error err = { 0, "" };
	const double lr = 0.1, mu = 0.9, wd = 0.01;
	int64_t n;
	float *v, dl[10];
	double maxdiff = 0;

	cf_net_copy(net, &ref, &err);
	n = cf_net_ntrainable(ref);
	v = calloc((size_t)n, sizeof *v);
	for (int step = 0; step < 2; step++) {
		float *w = cf_net_train_values(ref), *g = cf_net_train_grads(ref);
		cf_net_zero_grad(ref);
		cf_net_forward(ref, d->x, 5, CF_NET_TRAIN, NULL, NULL, &err);
		cf_softmax_xent(cf_net_logits(ref), d->y, 5, 2, dl);
		cf_net_backward(ref, dl, &err);
		for (int64_t i = 0; i < n; i++) {
			double gi = g[i] + wd * w[i];
			v[i] = (float)(mu * v[i] + gi);
			w[i] = (float)(w[i] - lr * v[i]);
		}
	}
	cf_train_params_default(&p);
	p.batch = 5;
	p.epochs = 2;
	p.lr = lr;
	p.momentum = mu;
	p.weight_decay = wd;
	ok(cf_trainer_alloc(net, d, &p, &t, &err) == CF_OK, "trainer initialises");
	cf_trainer_step(t, NULL, &err);
	cf_trainer_step(t, NULL, &err);
	for (int64_t i = 0; i < n; i++) {
		double diff = fabs(cf_net_train_values(net)[i] - cf_net_train_values(ref)[i]);
		if (diff > maxdiff)
			maxdiff = diff;
	}
	ok(maxdiff < 1e-6, "two SGD steps (momentum 0.9, weight decay 0.01) match v = μv + g + λw, w -= lr·v (max diff %.2g)", maxdiff);
	ok(cf_trainer_done(t), "two epochs of one batch each: done");
	ok(cf_trainer_step(t, NULL, &err) == CF_EINVAL, "stepping past the end is refused: %s", err.msg);
	cf_trainer_free(t);
	free(v);
	cf_net_free(ref);
	cf_net_free(net);
	free_data(d);
}

typedef struct stopper {
	int calls, stop_at;
} stopper;

static int stop_cb(void *ud, const char *what, double fraction)
{
	stopper *s = ud;
	(void)what;
	(void)fraction;
	return ++s->calls == s->stop_at;
}

static void test_schedule_stop_seed(void)
{
	cf_dataset *d = synthetic(100, 1, 2, 2, 3, 0.3, 3);
	cf_net *a = fresh("mlp 4-8-3", 5), *b = fresh("mlp 4-8-3", 5);
	cf_train_params p;
	cf_epoch_result res[3];
	cf_trainer *t = NULL;
	cf_error err = { 0, "" };
	stopper st = { 0, 4 };
	cf_progress prog = { stop_cb, &st };
	int epoch, batch, nb, rc;

	cf_train_params_default(&p);
	p.epochs = 3;
	p.batch = 16;
	p.lr = 0.05;
	p.nmilestones = 2;
	p.milestones[0] = 1;
	p.milestones[1] = 2;
	p.gamma = 0.5;
	ok(cf_train(a, d, d, &p, res, NULL, &err) == CF_OK, "cf_train runs 3 epochs");
	ok(res[0].lr == 0.05 && res[1].lr == 0.025 && res[2].lr == 0.0125 && res[2].epoch == 3 &&
	   res[2].have_test, "milestones 1,2 with gamma 0.5: lr 0.05, 0.025, 0.0125");

	/* Same seed: stopping after 4 batches and resuming gives the same model. */
	cf_trainer_alloc(b, d, &p, &t, &err);
	rc = cf_trainer_epoch(t, &prog, NULL, &err);
	cf_trainer_position(t, &epoch, &batch, &nb);
	ok(rc == CF_ESTOPPED && epoch == 0 && batch == 4 && nb == 7,
	   "the callback stops training after batch 4 of 7: %s", err.msg);
	while (!cf_trainer_done(t))
		if ((rc = cf_trainer_epoch(t, NULL, NULL, &err)))
			break;
	ok(rc == CF_OK && memcmp(cf_net_train_values(a), cf_net_train_values(b),
				 sizeof(float) * (size_t)cf_net_ntrainable(a)) == 0,
	   "resumed training reproduces the uninterrupted run bit for bit");
	cf_trainer_free(t);
	cf_net_free(a);
	cf_net_free(b);
	free_data(d);
}

static void test_data_checks(void)
{
	cf_dataset *d = synthetic(10, 1, 2, 2, 3, 0.3, 3);
	cf_net *net = fresh("vgg 4 classes 3 in 1x3x3", 1);
	cf_error err = { 0, "" };
	double acc;
	ok(cf_evaluate(net, d, 0, &acc, NULL, NULL, &err) == CF_EINVAL &&
	   strstr(err.msg, "samples are 1x2x2 but the network takes 1x3x3"), "shape mismatch: %s", err.msg);
	cf_net_free(net);
	net = fresh("mlp 4-2", 1);
	ok(cf_evaluate(net, d, 0, &acc, NULL, NULL, &err) == CF_EINVAL &&
	   strstr(err.msg, "sample 2 has label 2 but the network has 2 classes"), "label range: %s", err.msg);
	cf_net_free(net);
	free_data(d);
}

static void reach(const char *desc, int epochs, double lr, double momentum, double want)
{
	cf_dataset *tr = synthetic(600, 2, 6, 6, 4, 2.0, 11), *te = synthetic(300, 2, 6, 6, 4, 2.0, 12);
	cf_net *net = fresh(desc, 3);
	cf_train_params p;
	cf_epoch_result *res = calloc((size_t)epochs, sizeof *res);
	cf_error err = { 0, "" };
	double acc0 = 0;
	int rc;

	cf_evaluate(net, te, 0, &acc0, NULL, NULL, &err);
	cf_train_params_default(&p);
	p.epochs = epochs;
	p.batch = 32;
	p.lr = lr;
	p.momentum = momentum;
	rc = cf_train(net, tr, te, &p, res, NULL, &err);
	if (rc)
		tap_diag("%s", err.msg);
	ok(rc == CF_OK && res[epochs - 1].test_acc >= want,
	   "%s: test accuracy %.3f (before training %.3f) >= %.2f after %d epochs", desc,
	   res[epochs - 1].test_acc, acc0, want, epochs);
	free(res);
	cf_net_free(net);
	free_data(tr);
	free_data(te);
}

int main(void)
{
	test_sgd_rule();
	test_schedule_stop_seed();
	test_data_checks();
	/* Noise 2 per value over 72 values: separable only by combining many inputs. */
	reach("mlp 72-32-4 in 2x6x6", 10, 0.02, 0.5, 0.95);
	reach("vgg 8 M 16 classes 4 in 2x6x6 bn", 10, 0.02, 0.9, 0.90);
	reach("resnet 1,1 width 4 classes 4 in 2x6x6", 10, 0.02, 0.9, 0.90);
	return tap_done();
}
