/* diag_fusion.c — diagnostics of one fusion of two models, for
 * share/doc/results.md (built and run by diag_fusion.sh).
 *
 *   diag_fusion A.safetensors B.safetensors [NAME=VALUE ...]
 *
 * Runs a fusion session on Fashion-MNIST with the given parameters and
 * prints, besides the per-layer plan statistics:
 *   - checks of the decisive details: model 0's recording is the one taken
 *     before balancing (never recomputed), and an inserted identity layer's
 *     recorded pre-activation equals the previous layer's post-ReLU output;
 *   - per layer, the norms of the transported model-0 weights T̃ᵀŴ0 and of
 *     model 1's weights (the two halves of the average);
 *   - the accuracy of the fused model for s = 0 (model 0 fully transported),
 *     0.5 and 1 (model 1, or the balanced B′);
 *   - hybrids: fused layers 1..l followed by model 1's (balanced) layers
 *     l+1..L, which is well defined because the fused model keeps model 1's
 *     neuron order — it shows where the accuracy is lost;
 *   - (MLPs only) a counterfactual that is NOT the method: the same plans,
 *     but the incoming map normalised by its rows (so a model-0 neuron
 *     split over k model-1 neurons is averaged instead of summed k times).
 * A diagnostic tool, not part of clafuse: it exits on the first error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "train.h"

static cf_error err;

static void die(const char *what)
{
	fprintf(stderr, "diag_fusion: %s: %s\n", what, err.msg);
	exit(1);
}

static double acc_of(cf_session *s, cf_net *net)
{
	double a;
	if (cf_evaluate(net, cf_session_data(s, 0), 1000, &a, NULL, NULL, &err))
		die("evaluate");
	return a;
}

static double fnorm(const float *x, int64_t n)
{
	double t = 0;
	for (int64_t i = 0; i < n; i++)
		t += (double)x[i] * x[i];
	return sqrt(t);
}

static float *wdata(const cf_net *n, int l)
{
	return cf_net_param_at((cf_net *)n, cf_net_wlayer_at(n, l)->weight)->t.data;
}

int main(int argc, char **argv)
{
	cf_session *s;
	int i0, i1, L, reb;
	cf_net *b0, *b1, *fused, *hyb;

	if (argc < 3) {
		fprintf(stderr, "usage: diag_fusion A B [NAME=VALUE ...]\n");
		return 2;
	}
	if (cf_session_new(&s, &err) || cf_session_load_model(s, argv[1], &err) ||
	    cf_session_load_model(s, argv[2], &err) ||
	    cf_session_load_data(s, "fashion-mnist", &err))
		die("setup");
	for (int i = 3; i < argc; i++) {
		char name[128], *eq = strchr(argv[i], '=');
		if (!eq)
			return 2;
		snprintf(name, sizeof name, "%.*s", (int)(eq - argv[i]), argv[i]);
		if (cf_session_set(s, name, eq + 1, &err))
			die(argv[i]);
	}
	if (cf_session_run(s, CF_STEP_EVAL, &err))
		die("run");
	cf_session_pair(s, &i0, &i1);
	b0 = cf_session_balanced(s, 0);
	b1 = cf_session_balanced(s, 1);
	reb = cf_session_balanced_rebuilt(s);
	L = cf_session_fusion_layers(s);
	{
		int n;
		const int *map = cf_session_layer_map(s, &n);
		printf("model 0 = %s, model 1 = %s; layer map [", cf_session_model_name(s, i0),
		       cf_session_model_name(s, i1));
		for (int k = 0; k < n; k++)
			printf("%s%d", k ? "," : "", map[k]);
		printf("]; balanced: %s rebuilt\n", reb < 0 ? "none" : reb ? "model 1" : "model 0");
	}

	/* Decisive detail 1: recordings fed to the fusion. */
	{
		const cf_activations *a0 = cf_session_acts(s, 0), *a1 = cf_session_acts(s, 1);
		cf_activations *r0 = NULL, *rb = NULL;
		if (cf_acts_record(b0, cf_session_sample(s), NULL, &r0, &err) ||
		    cf_acts_record(b1, cf_session_sample(s), NULL, &rb, &err))
			die("record");
		if (reb == 1) {
			double d = 0;
			for (int l = 0; l < a0->n; l++)
				for (int64_t k = 0; k < a0->a[l]->size; k++)
					d = fmax(d, fabs(a0->a[l]->data[k] - r0->a[l]->data[k]));
			printf("check: model 0 (unbalanced A) recording reproduced, max |diff| %.3g\n", d);
			/* identity layers of B′: weight = I; recorded = relu(previous) */
			for (int l = 1; l < L; l++) {
				const cf_net_wlayer *w = cf_net_wlayer_at(b1, l);
				const float *W = wdata(b1, l);
				int ident = !w->conv && w->in == w->out;
				for (int64_t k = 0; ident && k < (int64_t)w->out * w->in; k++)
					ident = W[k] == ((k / w->in == k % w->in) ? 1.0f : 0.0f);
				if (ident) {
					double d = 0;
					for (int64_t k = 0; k < rb->a[l]->size; k++)
						d = fmax(d, fabs(rb->a[l]->data[k] -
								 fmaxf(rb->a[l - 1]->data[k], 0.0f)));
					printf("check: identity layer %d of B': pre-activation = relu(layer %d), "
					       "max |diff| %.3g\n", l + 1, l, d);
				}
			}
		}
		(void)a1;
		cf_activations_free(r0);
		cf_activations_free(rb);
	}

	printf("\n%-3s %-8s %9s %10s %8s %10s %10s %7s\n", "L", "layer", "n0xn1", "OT cost", "trace",
	       "|T'W0^|", "|W1|", "ratio");
	for (int l = 0; l < L; l++) {
		const cf_fusion_layer *y = cf_session_fusion_layer(s, l);
		const cf_net_wlayer *w = cf_net_wlayer_at(b1, l);
		int64_t n = (int64_t)w->out * w->in * w->kh * w->kw;
		double a = fnorm(y->w0t, n), b = fnorm(wdata(b1, l), n);
		char sz[32];
		snprintf(sz, sizeof sz, "%lldx%lld", (long long)y->n0, (long long)y->n1);
		printf("%-3d %-8s %9s %10.4g %8.4f %10.4g %10.4g %7.3f\n", l + 1, y->name, sz,
		       y->plan ? y->ot.cost : NAN, y->trace_ratio, a, b, a / b);
	}

	{
		/* the output layer's ground cost and plan (classes) */
		const cf_fusion_layer *y = cf_session_fusion_layer(s, L - 1);
		if (y->M && y->n1 <= 10) {
			printf("\noutput layer: ground cost M (rows: model-0 classes), * = plan\n");
			for (int64_t i = 0; i < y->n0; i++) {
				for (int64_t j = 0; j < y->n1; j++)
					printf(" %7.2f%c", y->M[i * y->n1 + j],
					       y->plan[i * y->n1 + j] > 1e-9 ? '*' : ' ');
				printf("\n");
			}
		}
	}
	fused = cf_session_fused(s);
	printf("\naccuracy: model 0 %.2f%%, model 1 %.2f%%, fused(s=0.5) %.2f%%\n",
	       100 * acc_of(s, b0), 100 * acc_of(s, b1), 100 * acc_of(s, fused));

	/* Hybrids: fused 1..l, then model 1' from l+1. */
	if (cf_net_copy(b1, &hyb, &err))
		die("copy");
	printf("hybrid fused[1..l] + model1'[l+1..L]:");
	for (int l = 0; l <= L; l++) {
		if (l > 0) {
			const cf_net_wlayer *w = cf_net_wlayer_at(b1, l - 1);
			memcpy(wdata(hyb, l - 1), wdata(fused, l - 1),
			       sizeof(float) * (size_t)((int64_t)w->out * w->in * w->kh * w->kw));
		}
		printf(" l=%d %.2f%%", l, 100 * acc_of(s, hyb));
		fflush(stdout);
	}
	printf("\n");

	/* Counterfactual (MLP): incoming maps normalised by rows. */
	{
		int mlp = 1;
		for (int l = 0; l < L; l++)
			mlp &= !cf_net_wlayer_at(b1, l)->conv && cf_net_wlayer_at(b0, l)->bias < 0;
		if (mlp) {
			float *R = NULL;
			int64_t rr = 0, rc = 0;
			for (int l = 0; l < L; l++) {
				const cf_fusion_layer *y = cf_session_fusion_layer(s, l);
				const cf_net_wlayer *w0 = cf_net_wlayer_at(b0, l), *w1 = cf_net_wlayer_at(b1, l);
				int64_t o0 = w0->out, i0n = w0->in, o1 = w1->out, i1n = w1->in;
				const float *W0 = wdata(b0, l), *W1 = wdata(b1, l);
				float *hat = malloc(sizeof *hat * (size_t)(o0 * i1n)), *F = wdata(hyb, l);
				for (int64_t a = 0; a < o0; a++)
					for (int64_t j = 0; j < i1n; j++) {
						double t = 0;
						if (!R)
							t = W0[a * i0n + j];
						else
							for (int64_t k = 0; k < i0n; k++)
								t += (double)W0[a * i0n + k] * R[k * rc + j];
						hat[a * i1n + j] = (float)t;
					}
				for (int64_t b = 0; b < o1; b++)
					for (int64_t j = 0; j < i1n; j++) {
						double t = 0;
						for (int64_t a = 0; a < o0; a++)
							t += (double)y->Tc[a * o1 + b] * hat[a * i1n + j];
						F[b * i1n + j] = (float)(0.5 * t + 0.5 * W1[b * i1n + j]);
					}
				free(hat);
				free(R);
				rr = o0;
				rc = o1;
				R = malloc(sizeof *R * (size_t)(rr * rc));
				for (int64_t a = 0; a < rr; a++) {
					double t = 0;
					for (int64_t b = 0; b < rc; b++)
						t += y->Tc[a * rc + b];
					for (int64_t b = 0; b < rc; b++)
						R[a * rc + b] = t > 0 ? (float)(y->Tc[a * rc + b] / t) : 0.0f;
				}
			}
			free(R);
			printf("counterfactual (not the method): row-normalised incoming maps, s=0.5: "
			       "%.2f%%\n", 100 * acc_of(s, hyb));
		}
	}
	cf_net_free(hyb);

	/* s = 0 and s = 1 (only the fusion re-runs). */
	for (int k = 0; k < 2; k++) {
		if (cf_session_set(s, "fusion.step", k ? "1" : "0", &err) ||
		    cf_session_run(s, CF_STEP_FUSE, &err))
			die("fusion.step");
		printf("fused with s=%d: %.2f%%\n", k, 100 * acc_of(s, cf_session_fused(s)));
	}
	cf_session_free(s);
	return 0;
}
