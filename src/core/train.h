/* train.h — training and evaluation of networks on in-memory data sets.
 *
 * Cross-entropy loss, SGD with momentum and weight decay in PyTorch's
 * semantics (g += wd·w; v = μ·v + g; w -= lr·v), a step learning-rate
 * schedule like MultiStepLR (lr = lr0·gamma^(milestones passed), changed
 * between epochs), mini-batches drawn through a seeded shuffle per epoch
 * (the last batch may be smaller, as with drop_last=False).
 *
 * Structured as INITIALIZE / ITERATE / TEST so that a front end can step
 * it: cf_trainer_alloc, then cf_trainer_step (one batch) or
 * cf_trainer_epoch (the rest of an epoch), until cf_trainer_done.  After
 * every step the network is consistent (it can be evaluated or saved).
 */
#ifndef CF_TRAIN_H
#define CF_TRAIN_H

#include <stdint.h>

#include "data.h"
#include "error.h"
#include "net.h"
#include "progress.h"

#define CF_TRAIN_MAXMILESTONES 16

typedef struct cf_train_params {
	int epochs;              /* default 10 */
	int batch;               /* default 64 */
	double lr;               /* default 0.01 */
	double momentum;         /* default 0.5 */
	double weight_decay;     /* default 0 */
	int nmilestones;         /* epochs after which lr *= gamma */
	int milestones[CF_TRAIN_MAXMILESTONES];
	double gamma;            /* default 0.1 */
	unsigned long seed;      /* shuffling seed, default 1 */
	int eval_batch;          /* batch size for evaluation, default 500 */
} cf_train_params;

/* The defaults above (the reference MLP recipe). */
void cf_train_params_default(cf_train_params *p);

/* Figures of one finished epoch. */
typedef struct cf_epoch_result {
	int epoch;               /* 1-based */
	double lr;               /* learning rate used in the epoch */
	double train_loss;       /* mean over the epoch's samples, as trained */
	double train_acc;        /* fraction correct during training, in [0,1] */
	int have_test;
	double test_loss, test_acc; /* of the model at the end of the epoch */
} cf_epoch_result;

typedef struct cf_trainer cf_trainer;

/* INITIALIZE: check the data set against the network (sample shape,
 * labels within the classes) and the parameters, allocate the momentum
 * and batch buffers.  net and train are borrowed and must outlive t. */
int cf_trainer_alloc(cf_net *net, const cf_dataset *train, const cf_train_params *p,
		     cf_trainer **out, cf_error *err);
void cf_trainer_free(cf_trainer *t);

/* ITERATE one mini-batch (shuffling at the start of an epoch); *loss
 * (optional) gets the batch loss.  Returns CF_EINVAL when already done. */
int cf_trainer_step(cf_trainer *t, double *loss, cf_error *err);

/* ITERATE the rest of the current epoch, reporting progress after each
 * batch ("epoch 2/10", fraction of the epoch).  When the callback asks to
 * stop, returns CF_ESTOPPED after a whole batch (the net is consistent and
 * the epoch can be resumed).  res (optional) receives the epoch figures
 * (without test figures). */
int cf_trainer_epoch(cf_trainer *t, const cf_progress *prog, cf_epoch_result *res,
		     cf_error *err);

/* TEST: nonzero when every epoch has run. */
int cf_trainer_done(const cf_trainer *t);
/* Position: epochs completed, batch within the epoch, batches per epoch. */
void cf_trainer_position(const cf_trainer *t, int *epoch, int *batch, int *nbatches);

/* Check that d fits net: sample shape and labels in [0, nclasses). */
int cf_train_check_data(const cf_net *net, const cf_dataset *d, cf_error *err);

/* Accuracy (fraction in [0,1]) and mean cross-entropy of net on d, in EVAL
 * mode, batch at a time (0 = 500).  Either output may be NULL. */
int cf_evaluate(cf_net *net, const cf_dataset *d, int batch, double *acc, double *loss,
		const cf_progress *prog, cf_error *err);

/* Train for p->epochs epochs, evaluating on test (optional) after each;
 * res (optional) has p->epochs entries.  CF_ESTOPPED when stopped. */
int cf_train(cf_net *net, const cf_dataset *train, const cf_dataset *test,
	     const cf_train_params *p, cf_epoch_result *res, const cf_progress *prog,
	     cf_error *err);

#endif
