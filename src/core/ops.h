/* ops.h — the numerical kernels of the network engine, on raw float32
 * arrays, batch-major (N samples, each C×H×W channel-major, or a vector).
 *
 * These are the only places where the engine does arithmetic: linear
 * layers and convolutions go through cblas_sgemm (convolution as im2col +
 * GEMM), the rest are simple loops.  Forward functions overwrite their
 * output; backward functions OVERWRITE dx and ACCUMULATE (+=) into
 * parameter gradients (dW, db, dgamma, dbeta), so a caller zeroes
 * parameter gradients once per step.  Any pointer documented as optional
 * may be NULL.  No function here allocates, fails or prints: shapes are
 * validated when a network is built.
 */
#ifndef CF_OPS_H
#define CF_OPS_H

#include <stddef.h>
#include <stdint.h>

/* ---- linear: y[N×out] = x[N×in] · Wᵀ + b,  W is out×in (PyTorch layout) */
void cf_linear_forward(const float *x, int64_t N, int in, int out,
		       const float *W, const float *b /* optional */, float *y);
/* dx[N×in] = dy·W (dx optional); dW += dyᵀ·x; db += Σ_n dy (db optional). */
void cf_linear_backward(const float *x, const float *dy, int64_t N, int in, int out,
			const float *W, float *dx, float *dW, float *db);

/* ---- 2-D convolution, dilation 1, W is cout×cin×kh×kw (PyTorch layout) */
typedef struct cf_conv_shape {
	int cin, h, w;        /* input */
	int cout, kh, kw;     /* kernel */
	int stride, pad;      /* same in both directions */
	int oh, ow;           /* output: (h + 2 pad − kh) / stride + 1 */
} cf_conv_shape;

/* Fill oh, ow; returns 0, or -1 when the output would be empty. */
int cf_conv_shape_init(cf_conv_shape *s, int cin, int h, int w, int cout,
		       int kh, int kw, int stride, int pad);
/* Floats of scratch space the conv functions need for a batch of N. */
size_t cf_conv_workspace(const cf_conv_shape *s, int64_t N);
void cf_conv_forward(const cf_conv_shape *s, const float *x, int64_t N,
		     const float *W, const float *b /* optional */, float *y, float *work);
/* dx optional (skip for the first layer); dW, db accumulate; db optional. */
void cf_conv_backward(const cf_conv_shape *s, const float *x, const float *dy, int64_t N,
		      const float *W, float *dx, float *dW, float *db, float *work);

/* ---- pooling over k×k windows with the given stride and padding 0
 * (PyTorch MaxPool2d/AvgPool2d defaults, floor mode).  Output size
 * oh = (h − k)/stride + 1.  Max pooling records the argmax (index into the
 * sample's channel plane) for the backward pass. */
void cf_maxpool_forward(const float *x, int64_t N, int c, int h, int w, int k, int stride,
			float *y, int32_t *argmax);
void cf_maxpool_backward(const float *dy, const int32_t *argmax, int64_t N, int c,
			 int h, int w, int oh, int ow, float *dx);
void cf_avgpool_forward(const float *x, int64_t N, int c, int h, int w, int k, int stride,
			float *y);
void cf_avgpool_backward(const float *dy, int64_t N, int c, int h, int w, int k, int stride,
			 float *dx);
/* Global average pooling: y[N×c] = mean over h×w. */
void cf_gap_forward(const float *x, int64_t N, int c, int hw, float *y);
void cf_gap_backward(const float *dy, int64_t N, int c, int hw, float *dx);

/* ---- ReLU (in place allowed: y may equal x; dx may equal dy) */
void cf_relu_forward(const float *x, int64_t n, float *y);
/* dx = dy where y > 0 else 0 (y is the forward output). */
void cf_relu_backward(const float *y, const float *dy, int64_t n, float *dx);

/* ---- BatchNorm2d over N×c×hw, PyTorch semantics (eps, momentum; running
 * variance updated with the unbiased batch variance).  Training mode uses
 * batch statistics, saves mean and inverse std per channel in
 * save_mean/save_invstd (c each) and updates the running statistics
 * (when running_mean is not NULL).  Eval mode uses the running statistics. */
void cf_batchnorm_forward_train(const float *x, int64_t N, int c, int hw,
				const float *gamma, const float *beta, float eps, float momentum,
				float *running_mean, float *running_var,
				float *save_mean, float *save_invstd, float *y);
void cf_batchnorm_forward_eval(const float *x, int64_t N, int c, int hw,
			       const float *gamma, const float *beta, float eps,
			       const float *running_mean, const float *running_var, float *y);
void cf_batchnorm_backward(const float *x, const float *dy, int64_t N, int c, int hw,
			   const float *gamma, const float *save_mean, const float *save_invstd,
			   float *dx, float *dgamma, float *dbeta);

/* ---- softmax cross-entropy, mean over the batch.  logits N×k, labels in
 * [0,k).  Returns the mean loss; dlogits (optional) = (softmax − onehot)/N.
 * Numerically stable (max subtracted). */
double cf_softmax_xent(const float *logits, const int32_t *labels, int64_t N, int k,
		       float *dlogits);

/* y += alpha·x */
void cf_axpy(int64_t n, float alpha, const float *x, float *y);

/* ---- BLAS backend (ops_blas.c).  The name of the kernel set OpenBLAS is
 * running ("Prescott", "Haswell", "SkylakeX", ...), or "reference" without
 * OpenBLAS.  Static string. */
const char *cf_ops_blas_core(void);
/* When OpenBLAS runs kernels weaker than this CPU supports (it falls back
 * to "Prescott" on CPU models newer than itself: GEMM 3-7x slower), the
 * value to give OPENBLAS_CORETYPE — which OpenBLAS reads only when it is
 * loaded, so a front end sets it and re-executes itself.  NULL when the
 * choice is fine, when OPENBLAS_CORETYPE is already set, or off x86-64. */
const char *cf_ops_blas_coretype_hint(void);

#endif
