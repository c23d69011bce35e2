/* arch.h — architecture descriptions: the short text that says what a
 * network is, e.g. "mlp 784-400-200-100-10 nobias".
 *
 * A description is parsed into a cf_arch: the family (which decides the
 * PyTorch state-dict names), the input shape, and a flat list of units
 * (linear, conv, relu, pools, flatten, bn, residual block) with every
 * width explicit.  Named presets (vgg11_half, resnet18_nobias_nobn, ...)
 * are only shorthands: they expand to the same list, and printing always
 * gives the canonical expanded form, which parses back to the same list.
 *
 * Grammar (tokens are separated by blanks; ',' and ':' are tokens of their
 * own; keywords are case-insensitive; see share/doc/arch.md):
 *
 *   desc   := mlp | vgg | resnet | net | PRESET opts
 *   mlp    := "mlp" W0-W1-...-Wk  { "nobias" | "bias" | "in" CxHxW }
 *             W0 is the flattened input size, Wk the number of classes.
 *   vgg    := "vgg" { INT | "M" }  { "classes" K | "in" CxHxW | "nobias"
 *             | "bias" | "bn" | "nobn" }
 *             3x3 pad-1 convs + ReLU (BN between them with "bn"), M = 2x2
 *             max-pool stride 2, then flatten and Linear(C*H*W -> K).
 *   resnet := "resnet" B1,B2,... { "width" W | "widths" W1,W2,... |
 *             "classes" K | "in" CxHxW | "nobn" | "bn" | "nobias" | "bias"
 *             | "convbias" | "noconvbias" }
 *             CIFAR-style: stem conv3x3 (+BN) + ReLU, stage s has Bs basic
 *             blocks of width W*2^(s-1) (first block of stage >= 2 has
 *             stride 2), global average pool, Linear(last width -> K).
 *             "nobias" removes the classifier's bias; the convs have none
 *             unless "convbias" (stem and every block conv: what folding
 *             BatchNorm into them produces, see fold.h).
 *   net    := "net" { "in" CxHxW | "nobias" } ":" unit { "," unit }
 *   unit   := "linear" N ["nobias"]
 *           | "conv" N ["k" K | "k" KHxKW] ["s" S] ["p" P] ["nobias"]
 *             (also written k3, s2, p1; defaults k3 s1 p0)
 *           | "relu" | "maxpool" K ["s" S] | "avgpool" K ["s" S]
 *           | "gap" | "flatten" | "bn"
 *           | "block" N ["mid" M] ["s" S] ["nobn"] ["bias"]
 *             residual basic block: conv3x3(M, stride S) BN ReLU conv3x3(N)
 *             BN, plus identity or (when S != 1 or channels change) a 1x1
 *             projection with BN; ReLU after the sum.  Convs bias-free
 *             unless "bias" (conv1, conv2 and the projection all get one).
 *   PRESET := vgg8 | vgg11 | vgg13 | vgg16 | vgg19 with optional suffixes
 *             _half _doub _quad (vgg11, vgg13), _student (vgg13), then
 *             _nobias, _bn; resnet18 | resnet34 with optional _eighth
 *             _fourth _half _doub, _nobias, _nobn.  Options as above.
 *
 * Defaults: in 3x32x32 and classes 10 for vgg/resnet, width 64 for resnet;
 * biases on (PyTorch's default) unless "nobias".  The network must end with
 * a linear layer (the classifier).
 */
#ifndef CF_ARCH_H
#define CF_ARCH_H

#include <stdint.h>

#include "error.h"

enum cf_arch_family { CF_ARCH_MLP, CF_ARCH_VGG, CF_ARCH_RESNET, CF_ARCH_NET };

enum cf_unit_kind {
	CF_UNIT_LINEAR, CF_UNIT_CONV, CF_UNIT_RELU, CF_UNIT_MAXPOOL, CF_UNIT_AVGPOOL,
	CF_UNIT_GAP, CF_UNIT_FLATTEN, CF_UNIT_BN, CF_UNIT_BLOCK
};

typedef struct cf_arch_unit {
	enum cf_unit_kind kind;
	int out;          /* linear/conv/block: output width */
	int mid;          /* block: width of conv1 */
	int kh, kw;       /* conv kernel; pools: window (kh = kw) */
	int stride, pad;  /* conv, pools (pad 0), block (stride of conv1) */
	int bias;         /* linear/conv: has a bias; block: all its convs have one */
	int bn;           /* block: BN after each conv and in the shortcut */
	int col;          /* column of the unit in the parsed text, 0 if none */
} cf_arch_unit;

#define CF_ARCH_MAXSTAGES 16

typedef struct cf_arch {
	enum cf_arch_family family;
	int c, h, w;               /* input shape (an MLP's may be W0x1x1) */
	int nunits;
	cf_arch_unit *unit;        /* owned */
	int nclasses;              /* out of the last unit */
	/* family parameters (for printing and naming) */
	int bias;                  /* mlp/vgg: every layer; resnet: classifier */
	int convbias;              /* resnet: stem and block convs have biases */
	int bn;                    /* vgg: BN after convs; resnet: BN everywhere */
	int nstages;               /* resnet: stages and blocks per stage */
	int blocks[CF_ARCH_MAXSTAGES];
	int widths[CF_ARCH_MAXSTAGES];
} cf_arch;

/* Parse a description.  On success *out is a new architecture (free with
 * cf_arch_free) whose shapes chain from the input to the classifier.
 * Errors (CF_EINVAL): where (column and token) and what was expected, or
 * which unit cannot take which input shape. */
int cf_arch_parse(const char *text, cf_arch **out, cf_error *err);

void cf_arch_free(cf_arch *a);

/* The canonical description (malloc'd string; NULL on allocation failure).
 * cf_arch_parse(cf_arch_print(a)) gives the same units. */
char *cf_arch_print(const cf_arch *a);

/* The output of a unit: c×h×w, or a flat vector of c values (flat set,
 * h = w = 1), and its parameter and buffer values. */
typedef struct cf_arch_shape {
	int c, h, w, flat;
	int64_t params;
} cf_arch_shape;

/* Walk the units from the input shape: out[i] (nunits entries; out may be
 * NULL) receives unit i's output.  Every unit is checked against its input
 * and against the limits of limit.h (units, widths, parameters,
 * activations), in overflow-checked arithmetic, so a network built from a
 * checked architecture has sizes that fit.  Errors name the unit. */
int cf_arch_shapes(const cf_arch *a, cf_arch_shape *out, cf_error *err);

/* Check that the units chain from the input shape and fill nclasses
 * (used by the parser; call it after building a cf_arch by hand, e.g. when
 * balancing inserts units).  Errors name the unit and both shapes. */
int cf_arch_check(cf_arch *a, cf_error *err);

/* A deep copy; NULL on allocation failure. */
cf_arch *cf_arch_copy(const cf_arch *a);

/* Nonzero when two architectures describe the same network (family, input
 * and every unit; source columns ignored). */
int cf_arch_equal(const cf_arch *a, const cf_arch *b);

/* A unit as text in the net grammar, e.g. "conv 64 k3 s2 p1", into buf. */
const char *cf_arch_unit_str(const cf_arch_unit *u, char *buf, int len);

#endif
