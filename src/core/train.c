/* train.c — SGD training and evaluation (see train.h).
 *
 * The optimiser works on the network's contiguous trainable arena, so one
 * step is a GEMM-dominated forward/backward plus a single vectorisable loop;
 * the batch buffers and momentum are allocated once, at INITIALIZE.
 */
#include "train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "ops.h"

struct cf_trainer {
	cf_net *net;
	const cf_dataset *d;
	cf_train_params p;
	gsl_rng *rng;
	int64_t *perm;
	float *xb, *dlogits, *velocity;
	int32_t *yb;
	int64_t insz;
	int epoch, batch, nbatches;   /* epochs completed; next batch in the epoch */
	double lr;
	/* running figures of the current epoch */
	double loss_sum;
	int64_t seen, correct;
};

void cf_train_params_default(cf_train_params *p)
{
	memset(p, 0, sizeof *p);
	p->epochs = 10;
	p->batch = 64;
	p->lr = 0.01;
	p->momentum = 0.5;
	p->weight_decay = 0.0;
	p->gamma = 0.1;
	p->seed = 1;
	p->eval_batch = 500;
}

int cf_train_check_data(const cf_net *net, const cf_dataset *d, cf_error *err)
{
	int c, h, w, k = cf_net_nclasses(net);
	const cf_arch *a = cf_net_arch(net);
	int flat_ok;

	cf_net_input_shape(net, &c, &h, &w);
	/* A network whose first layer is linear only needs the right count. */
	flat_ok = a->nunits > 0 && (a->unit[0].kind == CF_UNIT_LINEAR || a->unit[0].kind == CF_UNIT_FLATTEN);
	if (!(d->c == c && d->h == h && d->w == w) &&
	    !(flat_ok && (int64_t)d->c * d->h * d->w == (int64_t)c * h * w))
		return cf_error_set(err, CF_EINVAL,
				    "data set %s: samples are %dx%dx%d but the network takes %dx%dx%d",
				    d->name, d->c, d->h, d->w, c, h, w);
	for (int64_t i = 0; i < d->n; i++)
		if (d->y[i] < 0 || d->y[i] >= k)
			return cf_error_set(err, CF_EINVAL,
					    "data set %s: sample %lld has label %d but the network has %d classes",
					    d->name, (long long)i, (int)d->y[i], k);
	return CF_OK;
}

static double lr_for_epoch(const cf_train_params *p, int epoch)
{
	double lr = p->lr;
	for (int i = 0; i < p->nmilestones; i++)
		if (epoch >= p->milestones[i])
			lr *= p->gamma;
	return lr;
}

int cf_trainer_alloc(cf_net *net, const cf_dataset *train, const cf_train_params *p,
		     cf_trainer **out, cf_error *err)
{
	cf_trainer *t;
	int rc, k = cf_net_nclasses(net);

	*out = NULL;
	if (p->epochs <= 0 || p->batch <= 0 || !(p->lr > 0) || p->momentum < 0 ||
	    p->weight_decay < 0 || p->nmilestones < 0 || p->nmilestones > CF_TRAIN_MAXMILESTONES)
		return cf_error_set(err, CF_EINVAL,
				    "training: need epochs > 0, batch > 0, lr > 0, momentum >= 0, weight decay >= 0 and at most %d milestones (got %d, %d, %g, %g, %g, %d)",
				    CF_TRAIN_MAXMILESTONES, p->epochs, p->batch, p->lr, p->momentum,
				    p->weight_decay, p->nmilestones);
	if (train->n <= 0)
		return cf_error_set(err, CF_EINVAL, "training: data set %s is empty", train->name);
	if ((rc = cf_train_check_data(net, train, err)))
		return rc;
	t = calloc(1, sizeof *t);
	if (!t)
		return cf_error_set(err, CF_ENOMEM, "training: out of memory");
	t->net = net;
	t->d = train;
	t->p = *p;
	t->insz = cf_net_input_size(net);
	t->nbatches = (int)((train->n + p->batch - 1) / p->batch);
	t->rng = gsl_rng_alloc(gsl_rng_mt19937);
	t->perm = malloc(sizeof *t->perm * (size_t)train->n);
	t->xb = malloc(sizeof *t->xb * (size_t)(p->batch * t->insz));
	t->yb = malloc(sizeof *t->yb * (size_t)p->batch);
	t->dlogits = malloc(sizeof *t->dlogits * (size_t)p->batch * (size_t)k);
	t->velocity = calloc((size_t)cf_net_ntrainable(net) + 1, sizeof *t->velocity);
	if (!t->rng || !t->perm || !t->xb || !t->yb || !t->dlogits || !t->velocity) {
		cf_trainer_free(t);
		return cf_error_set(err, CF_ENOMEM, "training: out of memory for batch buffers");
	}
	gsl_rng_set(t->rng, p->seed);
	t->lr = lr_for_epoch(p, 0);
	*out = t;
	return CF_OK;
}

void cf_trainer_free(cf_trainer *t)
{
	if (!t)
		return;
	gsl_rng_free(t->rng);
	free(t->perm);
	free(t->xb);
	free(t->yb);
	free(t->dlogits);
	free(t->velocity);
	free(t);
}

int cf_trainer_done(const cf_trainer *t)
{
	return t->epoch >= t->p.epochs;
}

void cf_trainer_position(const cf_trainer *t, int *epoch, int *batch, int *nbatches)
{
	if (epoch)
		*epoch = t->epoch;
	if (batch)
		*batch = t->batch;
	if (nbatches)
		*nbatches = t->nbatches;
}

/* w -= lr·v with v = μ·v + g + wd·w, over the whole trainable arena.  In
 * fixed blocks of 8 (as ops_vec.h does) so that gcc -O2 vectorises it. */
/* How many of n samples have their label y[i] as the first largest of
 * their k logits (row i of logits). */
static int64_t count_correct(const float *logits, const int32_t *y, int64_t n, int k)
{
	int64_t right = 0;
	for (int64_t i = 0; i < n; i++) {
		const float *r = logits + i * k;
		int best = 0;
		for (int j = 1; j < k; j++)
			if (r[j] > r[best])
				best = j;
		right += best == y[i];
	}
	return right;
}

static void sgd_update(float *restrict w, const float *restrict g, float *restrict v, int64_t n,
		       float lr, float mu, float wd)
{
	int64_t i = 0;
	for (; i + 8 <= n; i += 8)
		for (int j = 0; j < 8; j++) {
			const float vi = mu * v[i + j] + (g[i + j] + wd * w[i + j]);
			v[i + j] = vi;
			w[i + j] -= lr * vi;
		}
	for (; i < n; i++) {
		const float vi = mu * v[i] + (g[i] + wd * w[i]);
		v[i] = vi;
		w[i] -= lr * vi;
	}
}

int cf_trainer_step(cf_trainer *t, double *loss, cf_error *err)
{
	const cf_dataset *d = t->d;
	int64_t first, nb;
	int k = cf_net_nclasses(t->net), rc;
	const float *logits;
	double l;

	if (cf_trainer_done(t))
		return cf_error_set(err, CF_EINVAL, "training: all %d epochs have run", t->p.epochs);
	if (t->batch == 0) {
		cf_data_permutation(t->perm, d->n, t->rng);
		t->lr = lr_for_epoch(&t->p, t->epoch);
		t->loss_sum = 0;
		t->seen = t->correct = 0;
	}
	first = (int64_t)t->batch * t->p.batch;
	nb = d->n - first < t->p.batch ? d->n - first : t->p.batch;
	for (int64_t i = 0; i < nb; i++) {
		int64_t s = t->perm[first + i];
		memcpy(t->xb + i * t->insz, cf_dataset_sample(d, s), sizeof(float) * (size_t)t->insz);
		t->yb[i] = d->y[s];
	}
	if ((rc = cf_net_forward(t->net, t->xb, nb, CF_NET_TRAIN, NULL, NULL, err)))
		return rc;
	logits = cf_net_logits(t->net);
	l = cf_softmax_xent(logits, t->yb, nb, k, t->dlogits);
	if (!isfinite(l))
		/* stop before the update spreads Inf/NaN through every weight */
		return cf_error_set(err, CF_EFAILED,
				    "training diverged in epoch %d at batch %d/%d: the loss is %s (try a smaller learning rate than %g)",
				    t->epoch + 1, t->batch + 1, t->nbatches, isnan(l) ? "NaN" : "infinite", t->lr);
	t->correct += count_correct(logits, t->yb, nb, k);
	cf_net_zero_grad(t->net);
	if ((rc = cf_net_backward(t->net, t->dlogits, err)))
		return rc;
	sgd_update(cf_net_train_values(t->net), cf_net_train_grads(t->net), t->velocity,
		   cf_net_ntrainable(t->net), (float)t->lr, (float)t->p.momentum,
		   (float)t->p.weight_decay);
	t->loss_sum += l * (double)nb;
	t->seen += nb;
	if (loss)
		*loss = l;
	if (++t->batch == t->nbatches) {
		t->batch = 0;
		t->epoch++;
	}
	return CF_OK;
}

int cf_trainer_epoch(cf_trainer *t, const cf_progress *prog, cf_epoch_result *res,
		     cf_error *err)
{
	int epoch = t->epoch, rc;
	char what[64];

	if (cf_trainer_done(t))
		return cf_error_set(err, CF_EINVAL, "training: all %d epochs have run", t->p.epochs);
	while (t->epoch == epoch) {
		double l;
		int b;
		if ((rc = cf_trainer_step(t, &l, err)))
			return rc;
		b = t->epoch == epoch ? t->batch : t->nbatches;
		snprintf(what, sizeof what, "epoch %d/%d batch %d/%d loss %.4f", epoch + 1,
			 t->p.epochs, b, t->nbatches, l);
		if (cf_progress_report(prog, what, (double)b / t->nbatches) && t->epoch == epoch)
			return cf_error_set(err, CF_ESTOPPED, "training stopped in epoch %d at batch %d/%d",
					    epoch + 1, b, t->nbatches);
	}
	if (res) {
		memset(res, 0, sizeof *res);
		res->epoch = epoch + 1;
		res->lr = t->lr;
		res->train_loss = t->seen ? t->loss_sum / (double)t->seen : 0;
		res->train_acc = t->seen ? (double)t->correct / (double)t->seen : 0;
	}
	return CF_OK;
}

int cf_evaluate(cf_net *net, const cf_dataset *d, int batch, double *acc, double *loss,
		const cf_progress *prog, cf_error *err)
{
	int k = cf_net_nclasses(net), rc;
	int64_t insz = cf_net_input_size(net), correct = 0;
	double lsum = 0;

	if (batch <= 0)
		batch = 500;
	if ((rc = cf_train_check_data(net, d, err)))
		return rc;
	if (d->n <= 0)
		return cf_error_set(err, CF_EINVAL, "evaluation: data set %s is empty", d->name);
	for (int64_t first = 0; first < d->n; first += batch) {
		int64_t nb = d->n - first < batch ? d->n - first : batch;
		const float *logits;
		if ((rc = cf_net_forward(net, d->x + first * insz, nb, CF_NET_EVAL, NULL, NULL, err)))
			return rc;
		logits = cf_net_logits(net);
		lsum += cf_softmax_xent(logits, d->y + first, nb, k, NULL) * (double)nb;
		correct += count_correct(logits, d->y + first, nb, k);
		if (cf_progress_report(prog, "evaluating", (double)(first + nb) / (double)d->n))
			return cf_error_set(err, CF_ESTOPPED, "evaluation stopped");
	}
	if (acc)
		*acc = (double)correct / (double)d->n;
	if (loss)
		*loss = lsum / (double)d->n;
	return CF_OK;
}

int cf_train(cf_net *net, const cf_dataset *train, const cf_dataset *test,
	     const cf_train_params *p, cf_epoch_result *res, const cf_progress *prog,
	     cf_error *err)
{
	cf_trainer *t;
	int rc;

	if (test && (rc = cf_train_check_data(net, test, err)))
		return rc;
	if ((rc = cf_trainer_alloc(net, train, p, &t, err)))
		return rc;
	while (!cf_trainer_done(t)) {
		cf_epoch_result r;
		if ((rc = cf_trainer_epoch(t, prog, &r, err)))
			break;
		if (test) {
			r.have_test = 1;
			if ((rc = cf_evaluate(net, test, p->eval_batch, &r.test_acc, &r.test_loss, NULL, err)))
				break;
		}
		if (res)
			res[r.epoch - 1] = r;
	}
	cf_trainer_free(t);
	return rc;
}
