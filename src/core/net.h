/* net.h — networks built from an architecture: parameters with PyTorch
 * state-dict names, stages of units, forward (with recording) and backward.
 *
 * A network is a sequence of *stages* separated by resolution changes
 * (pooling, a strided conv or downsampling block, flatten / global
 * average pooling); a stage is a sequence of *units* (a Linear, a Conv2d or
 * a residual block).  The *weight layers* are the Linear/Conv2d modules in
 * PyTorch parameter order (inside a downsampling block: conv1, conv2, then
 * the projection shortcut), which is what the fusion code walks.
 *
 * All parameters and buffers live in one arena, in state-dict order;
 * trainable values (weights, biases, BN weight/bias) are contiguous at its
 * start, with a matching gradient array, so the optimiser updates them in
 * one vectorised loop.  Forward keeps every intermediate output in a
 * per-network workspace that grows on demand to the largest batch seen, so
 * neither training nor evaluation allocates per batch.  A network is not
 * safe to use from two threads at once.
 */
#ifndef CF_NET_H
#define CF_NET_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "arch.h"
#include "error.h"
#include "tensor.h"

#define CF_NET_NAME_MAX 64

enum cf_param_kind {
	CF_PARAM_WEIGHT,     /* Linear / Conv2d weight */
	CF_PARAM_BIAS,       /* Linear / Conv2d bias */
	CF_PARAM_BN_WEIGHT,  /* BatchNorm gamma */
	CF_PARAM_BN_BIAS,    /* BatchNorm beta */
	CF_PARAM_BN_MEAN,    /* buffer running_mean */
	CF_PARAM_BN_VAR,     /* buffer running_var */
	CF_PARAM_BN_COUNT    /* buffer num_batches_tracked (a scalar) */
};

typedef struct cf_net_param {
	char name[CF_NET_NAME_MAX];  /* state-dict name, e.g. "layer1.0.bn1.running_mean" */
	enum cf_param_kind kind;
	cf_tensor t;                 /* view into the arena */
	float *grad;                 /* gradient (same size), NULL for buffers */
} cf_net_param;

enum cf_wl_role {
	CF_WL_PLAIN,     /* a Linear or Conv2d unit of its own (incl. a ResNet stem) */
	CF_WL_CONV1,     /* first conv of a residual block */
	CF_WL_CONV2,     /* second conv: records conv2 (+BN) + shortcut */
	CF_WL_SHORTCUT   /* 1x1 projection shortcut of a block */
};

typedef struct cf_net_wlayer {
	char name[CF_NET_NAME_MAX];  /* module name, e.g. "layer2.0.shortcut.0" */
	int conv;                    /* 1 for Conv2d, 0 for Linear */
	enum cf_wl_role role;
	int weight, bias;            /* parameter indices (bias -1 when absent) */
	int bn;                      /* index of the BN weight that follows, or -1 */
	int unit, stage;             /* indices into units / stages */
	int out, in, kh, kw, stride, pad;
	int oc, oh, ow;              /* recorded activation per sample: oc×oh×ow (1×1 for Linear) */
} cf_net_wlayer;

typedef struct cf_net_unit {
	enum cf_unit_kind kind;      /* CF_UNIT_LINEAR, CF_UNIT_CONV or CF_UNIT_BLOCK */
	int arch_unit;               /* index into the architecture's unit list */
	int stage;
	int width;                   /* output channels / features */
	int in_c, in_h, in_w;        /* input of the unit */
	int out_c, out_h, out_w;     /* output of the unit */
	int wl_first, wl_n;          /* its weight layers */
} cf_net_unit;

typedef struct cf_net_stage {
	int unit_first, unit_n;
	int h, w;                    /* resolution inside the stage (1×1 after flatten) */
} cf_net_stage;

enum cf_net_mode { CF_NET_EVAL = 0, CF_NET_TRAIN = 1 };

typedef struct cf_net cf_net;

/* Recorded pre-activations: one N×(oc·oh·ow) float block per weight layer
 * (layout N×C×H×W for convs, N×out for linears).  `branches` chooses what
 * a residual block's layers record: 0 (what cf_activations_alloc gives,
 * and what alignment and ground costs read) the engine's rule, a block's
 * conv2 records the block's pre-ReLU sum; 1 each branch of the sum on its
 * own, before the add: conv2 after its BN, the projection shortcut after
 * its BN (without BN these are the layers' own outputs).  REPAIR of the
 * residual branches renormalises those values (repair.h).  Every other
 * layer records the same in both. */
typedef struct cf_activations {
	int n;                       /* weight layers */
	int64_t N;                   /* samples the buffers hold */
	cf_tensor **a;               /* a[l] is N×oc×oh×ow (ndim 4) or N×out (ndim 2) */
	int branches;                /* 1: a block's layers record their own branch */
} cf_activations;

/* ---- building ---------------------------------------------------------- */

/* Build a network for an architecture (copied).  Parameters are zero until
 * cf_net_init or a model load fills them; BN running variance is 1. */
int cf_net_create(const cf_arch *arch, cf_net **out, cf_error *err);
/* The same from a description string. */
int cf_net_create_str(const char *desc, cf_net **out, cf_error *err);
void cf_net_free(cf_net *net);
/* A deep copy of parameters and buffers (workspace not copied). */
int cf_net_copy(const cf_net *net, cf_net **out, cf_error *err);

/* PyTorch default initialisation from r: Linear/Conv2d weight and bias
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt 5),
 * BN weight 1, bias 0, running mean 0, var 1, count 0. */
void cf_net_init(cf_net *net, gsl_rng *r);

/* ---- structure ---------------------------------------------------------- */

const cf_arch *cf_net_arch(const cf_net *net);
int cf_net_nparams(const cf_net *net);                  /* entries of the state dict */
cf_net_param *cf_net_param_at(cf_net *net, int i);
const cf_net_param *cf_net_param_find(const cf_net *net, const char *name); /* NULL if absent */
int64_t cf_net_ntrainable(const cf_net *net);          /* trainable scalars */
/* The contiguous trainable values and their gradients (ntrainable each). */
float *cf_net_train_values(cf_net *net);
float *cf_net_train_grads(cf_net *net);

int cf_net_nwlayers(const cf_net *net);
/* Nonzero when the network has any BatchNorm (a bn unit or a block with BN). */
int cf_net_has_bn(const cf_net *net);
const cf_net_wlayer *cf_net_wlayer_at(const cf_net *net, int i);
int cf_net_nunits(const cf_net *net);
const cf_net_unit *cf_net_unit_at(const cf_net *net, int i);
int cf_net_nstages(const cf_net *net);
const cf_net_stage *cf_net_stage_at(const cf_net *net, int i);
/* Input shape and number of classes. */
void cf_net_input_shape(const cf_net *net, int *c, int *h, int *w);
int cf_net_nclasses(const cf_net *net);
/* Values per input sample (c·h·w). */
int64_t cf_net_input_size(const cf_net *net);

/* The input normalisation the network expects (norm.h), or NULL when
 * nobody stated it.  Copies (cf_net_copy, BN folding) keep it. */
struct cf_norm;
const struct cf_norm *cf_net_norm(const cf_net *net);
/* State it (NULL: forget it).  Its channels are the data's (an MLP's input
 * is flat), so they are checked against a data set, not here. */
void cf_net_set_norm(cf_net *net, const struct cf_norm *norm);

/* ---- running ---------------------------------------------------------- */

/* Recording buffers for N samples; free with cf_activations_free. */
int cf_activations_alloc(const cf_net *net, int64_t N, cf_activations **out, cf_error *err);
void cf_activations_free(cf_activations *a);

/* Forward N samples x (N × input size, contiguous).  TRAIN mode uses batch
 * statistics in BN and updates its running statistics; EVAL uses the running
 * statistics.  rec (optional) receives every weight layer's pre-activation
 * output (rec->N must equal N): its own output, except a block's conv2,
 * which records conv2 (after its BN) + shortcut, the block's pre-ReLU sum
 * (with rec->branches set: each branch before the add, see above).
 * logits (optional) receives N × nclasses.  x must stay valid until the
 * next forward if cf_net_backward is called.  Errors: CF_ENOMEM growing the
 * workspace, CF_EINVAL for a bad N or rec. */
int cf_net_forward(cf_net *net, const float *x, int64_t N, enum cf_net_mode mode,
		   cf_activations *rec, float *logits, cf_error *err);
/* Part of the network, in evaluation mode: weight layers from..to
 * (0-based, from <= to) on x, N inputs of layer `from`'s unit, giving in
 * out layer `to`'s pre-activation output (N × its values per sample;
 * to = the last layer gives the logits).  `from` must start its unit and
 * `to` must not lie inside a residual block (CF_EINVAL saying so).
 * cf_net_part_sizes gives the values per sample of x and of out.  Not a
 * forward for cf_net_backward. */
int cf_net_part_sizes(const cf_net *net, int from, int to, int64_t *in, int64_t *out,
		      cf_error *err);
int cf_net_forward_part(cf_net *net, int from, int to, const float *x, int64_t N, float *out,
			cf_error *err);
/* Forward again after the parameters of weight layer `from` changed, and
 * none of the layers before it: the ops from `from`'s unit run again on
 * the inputs the last forward left there (it must have been a whole EVAL
 * forward, whose input x is still valid), and rec (optional, as for
 * cf_net_forward, of the same N) gets every layer from that unit on anew.
 * The result is the whole forward's, bit for bit, at the cost of the
 * layers from `from` on.  Errors (CF_EINVAL): no such forward before it,
 * a layer out of range, rec of another size. */
int cf_net_forward_again(cf_net *net, int from, cf_activations *rec, cf_error *err);
/* The logits of the last forward (N × nclasses), owned by the net. */
const float *cf_net_logits(const cf_net *net);

/* Backward through the last forward: ACCUMULATES parameter gradients from
 * dlogits (N × nclasses).  Errors: CF_EINVAL when no forward preceded it. */
int cf_net_backward(cf_net *net, const float *dlogits, cf_error *err);
void cf_net_zero_grad(cf_net *net);

#endif
