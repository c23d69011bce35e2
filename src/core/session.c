/* session.c — the fusion session (see session.h).
 *
 * Steps form a chain; each has a state, a run counter, the time of its last
 * run and its last error.  A step computes its results into temporaries and
 * swaps them in only on success, so a failure leaves the previous results.
 * Results that borrow another step's results (the balanced pair may alias
 * the recordings, the fusion borrows the balanced pair) are dropped when
 * what they borrow is replaced.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "balance.h"
#include "cla.h"
#include "fold.h"
#include "hybrid.h"
#include "matched.h"
#include "ground.h"
#include "model.h"
#include "norm.h"
#include "names.h"
#include "ot.h"
#include "relu_approx.h"
#include "repair.h"
#include "similarity.h"

/* ---- parameter table ------------------------------------------------------ */

const char *const cf_session_multi_names[] = { "iterative", "many-to-one", NULL };

#define CF_SP_ROW(id, name, type, def, min, max, names, step, per_layer, help) \
	{ name, CF_PARAM_##type, def, min, max, names, CF_STEP_##step, per_layer, help },
static const cf_param_info params[] = { CF_SESSION_PARAMS(CF_SP_ROW) };
#undef CF_SP_ROW
#define NPARAMS CF_SP_COUNT
_Static_assert(sizeof params / sizeof params[0] == CF_SP_COUNT, "one row per parameter");

/* A parameter's value by its index, as in CF_SESSION_PARAMS: V(s, OT_REG). */
#define V(s, id) ((s)->pv[CF_SP_##id])
#define VS(s, id) ((s)->ps[CF_SP_##id] ? (s)->ps[CF_SP_##id] : "")


const cf_param_info *cf_session_params(int *n)
{
	*n = NPARAMS;
	return params;
}

static int param_index(const char *name)
{
	for (int i = 0; i < NPARAMS; i++)
		if (!strcmp(params[i].name, name))
			return i;
	return -1;
}

const cf_param_info *cf_session_param_info(const char *name)
{
	int i = param_index(name);
	return i < 0 ? NULL : &params[i];
}

const char *cf_session_param_choices(const cf_param_info *p, char *buf, int len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int k = 0; p->names && p->names[k] && used < (size_t)len; k++)
		used += (size_t)snprintf(buf + used, (size_t)len - used, "%s%s", k ? "|" : "",
					 p->names[k]);
	return buf;
}

static const char *const step_names[] = { "activations", "costs", "alignment", "balance",
					   "fusion", "evaluation", "finetune" };
static const char *const state_names[] = { "stale", "running", "fresh", "failed", "stopped" };
_Static_assert(sizeof state_names / sizeof state_names[0] == CF_STATE_COUNT, "a name per state");

const char *cf_session_step_name(int step)
{
	return step >= 0 && step < CF_STEP_COUNT ? step_names[step] : "?";
}

int cf_session_step_parse(const char *name)
{
	for (int i = 0; i < CF_STEP_COUNT; i++)
		if (!strcmp(name, step_names[i]))
			return i;
	return -1;
}

const char *cf_step_state_name(int state)
{
	return state >= 0 && state < CF_STATE_COUNT ? state_names[state] : "?";
}

/* ---- the session ------------------------------------------------------------ */

typedef struct override {
	int layer, param;   /* layer 0-based */
	double v;
} override;

struct cf_session {
	int K;
	cf_net *model[CF_SESSION_MAXMODELS];
	char *name[CF_SESSION_MAXMODELS];
	int folded[CF_SESSION_MAXMODELS]; /* BN was folded into the convs when added */
	cf_dataset *train, *test;
	double pv[NPARAMS];
	char *ps[NPARAMS];
	override *ov;
	int nov;
	cf_progress prog;

	int state[CF_STEP_COUNT], runs[CF_STEP_COUNT];
	double time[CF_STEP_COUNT];
	char errmsg[CF_STEP_COUNT][CF_ERROR_MSG_MAX];
	int64_t solves;

	int i0, i1;
	cf_acts_sample *sample;
	cf_activations *acts[2];
	double *C;
	int m, n;
	int *umap, *wmap, nw;
	cf_net *bal[2];
	cf_activations *bacts[2];
	int own_bal[2], own_bacts[2], rebuilt;
	cf_fusion *fusion;
	int fuse_from;            /* re-fuse from this layer; -1 = rebuild the fusion */
	cf_net *multi_fused;      /* K > 2: the result after folding in every model */
	cf_net *repaired;         /* fusion.repair: the pair's fused model, repaired */
	cf_repair_report rep;     /* what the repair did (n = 0: none) */
	float *plogits[CF_SESSION_MAXMODELS];
	cf_session_metrics met;
	double *hybrid;           /* eval.hybrids: accuracy per fusion layer, nhybrid of them */
	int nhybrid;
	cf_session_finetune ft;

	char *data_spec;          /* the data set's spec when loaded by name */
	int data_forced;          /* loaded with a stated normalisation (else its own) */
	cf_norm norm;             /* the normalisation of the data in use */
	int norm_from;            /* enum cf_session_norm_from */
};

/* Parse `value` for parameter i into *num / *str (str malloc'd for
 * STRING).  The session is not touched. */
static int parse_value(int i, const char *value, double *num, char **str, cf_error *err)
{
	const cf_param_info *p = &params[i];
	char *end;

	*str = NULL;
	if (!value)
		return cf_error_set(err, CF_EINVAL, "parameter %s: no value", p->name);
	switch (p->type) {
	case CF_PARAM_INT:
	case CF_PARAM_DOUBLE: {
		double v = strtod(value, &end);
		if (end == value || *end || !isfinite(v))
			return cf_error_set(err, CF_EINVAL, "parameter %s: '%s' is not a number",
					    p->name, value);
		if (p->type == CF_PARAM_INT && v != floor(v))
			return cf_error_set(err, CF_EINVAL, "parameter %s: '%s' is not an integer",
					    p->name, value);
		if (v < p->min || v > p->max)
			return cf_error_set(err, CF_EINVAL, "parameter %s: %s is out of range [%g, %g]",
					    p->name, value, p->min, p->max);
		*num = v;
		return CF_OK;
	}
	case CF_PARAM_BOOL:
		if (!strcmp(value, "1") || !strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
		    !strcasecmp(value, "on"))
			*num = 1;
		else if (!strcmp(value, "0") || !strcasecmp(value, "false") ||
			 !strcasecmp(value, "no") || !strcasecmp(value, "off"))
			*num = 0;
		else
			return cf_error_set(err, CF_EINVAL, "parameter %s: '%s' is not a boolean "
					    "(1/0, true/false, yes/no, on/off)", p->name, value);
		return CF_OK;
	case CF_PARAM_CHOICE: {
		char all[256];
		int k = cf_names_find(p->names, value);
		if (k >= 0) {
			*num = k;
			return CF_OK;
		}
		return cf_error_set(err, CF_EINVAL, "parameter %s: '%s' is not one of %s", p->name,
				    value, cf_session_param_choices(p, all, sizeof all));
	}
	case CF_PARAM_STRING:
		*str = strdup(value);
		if (!*str)
			return cf_error_set(err, CF_ENOMEM, "out of memory");
		*num = 0;
		return CF_OK;
	}
	return cf_error_set(err, CF_EINVAL, "parameter %s: bad type", p->name);
}

static void format_value(int i, double v, const char *str, char *buf, int len)
{
	switch (params[i].type) {
	case CF_PARAM_INT:
		snprintf(buf, (size_t)len, "%.0f", v);
		break;
	case CF_PARAM_DOUBLE:
		/* the shortest text that reads back as the same double: 0.1,
		 * not 0.10000000000000001 */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, (size_t)len, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
		break;
	case CF_PARAM_BOOL:
		snprintf(buf, (size_t)len, "%d", v != 0);
		break;
	case CF_PARAM_CHOICE:
		snprintf(buf, (size_t)len, "%s", cf_names_at(params[i].names, (int)v));
		break;
	case CF_PARAM_STRING:
		snprintf(buf, (size_t)len, "%s", str ? str : "");
		break;
	}
}

/* Mark `step` and all later steps stale. */
static void mark_stale(cf_session *s, int step)
{
	for (int k = step; k < CF_STEP_COUNT; k++)
		s->state[k] = CF_STATE_STALE;
	if (step < CF_STEP_FUSE)
		s->fuse_from = -1;
	else if (step == CF_STEP_FUSE && s->fuse_from != -1)
		s->fuse_from = 0;
}

int cf_session_new(cf_session **out, cf_error *err)
{
	cf_session *s;

	cf_error_gsl_off();
	s = calloc(1, sizeof *s);
	if (!s)
		return cf_error_set(err, CF_ENOMEM, "session: out of memory");
	for (int i = 0; i < NPARAMS; i++) {
		char *str;
		if (parse_value(i, params[i].def, &s->pv[i], &str, err)) {
			free(s);
			return CF_EINVAL;
		}
		s->ps[i] = str;
	}
	s->i1 = 1;
	s->fuse_from = -1;
	s->rebuilt = -1;
	s->met.balanced_acc = s->met.average_acc = s->met.aligned_acc = NAN;
	*out = s;
	return CF_OK;
}

static void drop_repair(cf_session *s)
{
	cf_net_free(s->repaired);
	s->repaired = NULL;
	cf_repair_report_free(&s->rep);
}

static void drop_fusion(cf_session *s)
{
	cf_fusion_free(s->fusion);
	s->fusion = NULL;
	cf_net_free(s->multi_fused);
	s->multi_fused = NULL;
	drop_repair(s);
	s->fuse_from = -1;
}

static void drop_balance(cf_session *s)
{
	drop_fusion(s);
	for (int k = 0; k < 2; k++) {
		if (s->own_bal[k])
			cf_net_free(s->bal[k]);
		if (s->own_bacts[k])
			cf_activations_free(s->bacts[k]);
		s->bal[k] = NULL;
		s->bacts[k] = NULL;
		s->own_bal[k] = s->own_bacts[k] = 0;
	}
	s->rebuilt = -1;
}

static void drop_finetune(cf_session *s)
{
	free(s->ft.res);
	cf_net_free(s->ft.net);
	memset(&s->ft, 0, sizeof s->ft);
}

void cf_session_free(cf_session *s)
{
	if (!s)
		return;
	free(s->data_spec);
	drop_balance(s);
	drop_finetune(s);
	free(s->hybrid);
	for (int k = 0; k < 2; k++)
		cf_activations_free(s->acts[k]);
	cf_acts_sample_free(s->sample);
	free(s->C);
	free(s->umap);
	free(s->wmap);
	for (int i = 0; i < s->K; i++) {
		cf_net_free(s->model[i]);
		free(s->name[i]);
		free(s->plogits[i]);
	}
	cf_dataset_free(s->train);
	cf_dataset_free(s->test);
	for (int i = 0; i < NPARAMS; i++)
		free(s->ps[i]);
	free(s->ov);
	free(s);
}

int cf_session_set(cf_session *s, const char *name, const char *value, cf_error *err)
{
	int i = param_index(name), rc;
	double v;
	char *str;

	if (i < 0)
		return cf_error_set(err, CF_EINVAL, "unknown parameter '%s' (see the parameter table, "
				    "e.g. ot.reg, cla.start, fusion.step)", name ? name : "");
	if ((rc = parse_value(i, value, &v, &str, err)))
		return rc;
	if (params[i].type == CF_PARAM_STRING) {
		int same = s->ps[i] && !strcmp(s->ps[i], str);
		free(s->ps[i]);
		s->ps[i] = str;
		if (same)
			return CF_OK;
	} else {
		if (v == s->pv[i])
			return CF_OK;
		s->pv[i] = v;
	}
	mark_stale(s, params[i].step);
	return CF_OK;
}

int cf_session_get(const cf_session *s, const char *name, char *buf, int len, cf_error *err)
{
	int i = param_index(name);
	if (i < 0)
		return cf_error_set(err, CF_EINVAL, "unknown parameter '%s'", name ? name : "");
	format_value(i, s->pv[i], s->ps[i], buf, len);
	return CF_OK;
}

double cf_session_get_num(const cf_session *s, const char *name)
{
	int i = param_index(name);
	return i < 0 ? NAN : s->pv[i];
}

double cf_session_value(const cf_session *s, cf_session_param id)
{
	return id >= 0 && id < CF_SP_COUNT ? s->pv[id] : NAN;
}

int cf_session_set_layer(cf_session *s, int layer, const char *name, const char *value,
			 cf_error *err)
{
	int i = param_index(name), rc, found = -1, L;
	double v = 0;
	char *str = NULL;

	if (i < 0)
		return cf_error_set(err, CF_EINVAL, "unknown parameter '%s'", name ? name : "");
	if (!params[i].per_layer)
		return cf_error_set(err, CF_EINVAL, "parameter %s cannot be set for one layer "
				    "(per-layer: fusion.mode, ground.*, ot.*, fusion.correction, "
				    "fusion.eps, fusion.past_correction, fusion.step, fusion.width_aware)", name);
	L = s->bal[0] ? cf_net_nwlayers(s->bal[0]) : 0;
	if (layer < 1 || (L && layer > L))
		return cf_error_set(err, CF_EINVAL, "parameter %s: layer %d is out of range 1..%d",
				    name, layer, L ? L : 1);
	if (value && (rc = parse_value(i, value, &v, &str, err)))
		return rc;
	free(str);
	for (int k = 0; k < s->nov; k++)
		if (s->ov[k].layer == layer - 1 && s->ov[k].param == i)
			found = k;
	if (!value) {
		if (found < 0)
			return CF_OK;
		s->ov[found] = s->ov[--s->nov];
	} else if (found >= 0) {
		if (s->ov[found].v == v)
			return CF_OK;
		s->ov[found].v = v;
	} else {
		override *no = realloc(s->ov, sizeof *no * (size_t)(s->nov + 1));
		if (!no)
			return cf_error_set(err, CF_ENOMEM, "out of memory");
		s->ov = no;
		s->ov[s->nov].layer = layer - 1;
		s->ov[s->nov].param = i;
		s->ov[s->nov].v = v;
		s->nov++;
	}
	/* Only this layer and the ones after it need re-solving. */
	if (s->fuse_from >= 0 && layer - 1 < s->fuse_from)
		s->fuse_from = layer - 1;
	for (int k = CF_STEP_FUSE; k < CF_STEP_COUNT; k++)
		s->state[k] = CF_STATE_STALE;
	return CF_OK;
}

int cf_session_get_layer(const cf_session *s, int layer, const char *name, char *buf, int len)
{
	int i = param_index(name);
	for (int k = 0; i >= 0 && k < s->nov; k++)
		if (s->ov[k].layer == layer - 1 && s->ov[k].param == i) {
			format_value(i, s->ov[k].v, NULL, buf, len);
			return 1;
		}
	return 0;
}

/* ---- inputs -------------------------------------------------------------- */

/* Replace *net by its BN-folded form (the original is freed on success)
 * and say whether it had BN: the fusion works on BN-free models. */
static int fold_model(cf_net **net, const char *name, int *folded, cf_error *err)
{
	cf_net *f = NULL;
	int rc;
	*folded = 0;
	if (!cf_net_has_bn(*net))
		return CF_OK;
	if ((rc = cf_net_fold_bn(*net, &f, err)))
		return cf_error_prefix(err, rc, "model %s", name);
	cf_net_free(*net);
	*net = f;
	*folded = 1;
	return CF_OK;
}

static int data_fits(const cf_net *net, const char *name, const cf_dataset *d, cf_error *err)
{
	int c, h, w;
	cf_net_input_shape(net, &c, &h, &w);
	if ((int64_t)d->c * d->h * d->w != (int64_t)c * h * w)
		return cf_error_set(err, CF_EINVAL, "data set %s has %dx%dx%d samples but model %s "
				    "takes %dx%dx%d", d->name, d->c, d->h, d->w, name, c, h, w);
	if (d->nclasses > cf_net_nclasses(net))
		return cf_error_set(err, CF_EINVAL, "data set %s has %d classes but model %s has %d "
				    "outputs", d->name, d->nclasses, name, cf_net_nclasses(net));
	return CF_OK;
}

static void invalidate_all(cf_session *s)
{
	for (int k = 0; k < CF_STEP_COUNT; k++)
		s->state[k] = CF_STATE_STALE;
	drop_balance(s);
}

int cf_session_add_model(cf_session *s, cf_net *net, const char *name, cf_error *err)
{
	char buf[32];
	int rc = CF_OK, c, h, w, c0, h0, w0, folded = 0;

	if (!net)
		return cf_error_set(err, CF_EINVAL, "session: no model given");
	if (!name) {
		snprintf(buf, sizeof buf, "model %d", s->K + 1);
		name = buf;
	}
	if (s->K == CF_SESSION_MAXMODELS)
		rc = cf_error_set(err, CF_EINVAL, "session: at most %d models", CF_SESSION_MAXMODELS);
	else
		rc = fold_model(&net, name, &folded, err);
	if (!rc && s->K > 0) {
		cf_net_input_shape(net, &c, &h, &w);
		cf_net_input_shape(s->model[0], &c0, &h0, &w0);
		if ((int64_t)c * h * w != (int64_t)c0 * h0 * w0)
			rc = cf_error_set(err, CF_EINVAL, "model %s takes %dx%dx%d inputs but model %s "
					  "takes %dx%dx%d", name, c, h, w, s->name[0], c0, h0, w0);
		else if (cf_net_nclasses(net) != cf_net_nclasses(s->model[0]))
			rc = cf_error_set(err, CF_EINVAL, "model %s has %d classes but model %s has %d",
					  name, cf_net_nclasses(net), s->name[0],
					  cf_net_nclasses(s->model[0]));
	}
	if (!rc && s->train)
		rc = data_fits(net, name, s->train, err);
	if (!rc && s->test)
		rc = data_fits(net, name, s->test, err);
	if (!rc && !(s->name[s->K] = strdup(name)))
		rc = cf_error_set(err, CF_ENOMEM, "out of memory");
	if (rc) {
		cf_net_free(net);
		return rc;
	}
	s->folded[s->K] = folded;
	s->model[s->K++] = net;
	/* model 0 = the deeper of the first two (first on a tie) */
	if (s->K >= 2) {
		int d0 = cf_net_nwlayers(s->model[0]), d1 = cf_net_nwlayers(s->model[1]);
		s->i0 = d1 > d0 ? 1 : 0;
		s->i1 = 1 - s->i0;
	}
	invalidate_all(s);
	return CF_OK;
}

int cf_session_load_model(cf_session *s, const char *path, cf_error *err)
{
	return cf_session_load_model_arch(s, path, NULL, err);
}

int cf_session_load_model_arch(cf_session *s, const char *path, const char *arch,
			       cf_error *err)
{
	cf_net *net = NULL;
	int rc = cf_model_load(path, arch, &net, err);
	if (rc)
		return rc;
	return cf_session_add_model(s, net, path, err);
}

int cf_session_set_data(cf_session *s, cf_dataset *train, cf_dataset *test, cf_error *err)
{
	int rc = CF_OK;
	if (!train || !test)
		rc = cf_error_set(err, CF_EINVAL, "session: need a training and a test split");
	for (int i = 0; !rc && i < s->K; i++) {
		rc = data_fits(s->model[i], s->name[i], train, err);
		if (!rc)
			rc = data_fits(s->model[i], s->name[i], test, err);
	}
	if (rc) {
		cf_dataset_free(train);
		cf_dataset_free(test);
		return rc;
	}
	cf_dataset_free(s->train);
	cf_dataset_free(s->test);
	s->train = train;
	s->test = test;
	free(s->data_spec); /* data sets given as such: no spec to reload by */
	s->data_spec = NULL;
	s->data_forced = 0;
	cf_norm_set(&s->norm, train->c, train->mean, train->std);
	s->norm_from = CF_SESSION_NORM_DATA;
	for (int i = 0; i < s->K; i++) {
		free(s->plogits[i]);
		s->plogits[i] = NULL;
	}
	invalidate_all(s);
	return CF_OK;
}

/* ---- input normalisation ------------------------------------------------ */

/* The normalisation the models expect: data.norm when set, else what the
 * models state (they must agree), else none (c 0). */
static int wanted_norm(const cf_session *s, cf_norm *out, int *from, cf_error *err)
{
	const char *text = VS(s, DATA_NORM);
	int first = -1;

	memset(out, 0, sizeof *out);
	*from = CF_SESSION_NORM_DATA;
	if (*text) {
		*from = CF_SESSION_NORM_PARAM;
		return cf_norm_parse(text, "parameter data.norm", out, err);
	}
	for (int i = 0; i < s->K; i++) {
		const cf_norm *n = cf_net_norm(s->model[i]);
		char a[160], b[160];
		if (!n)
			continue;
		if (first < 0) {
			first = i;
			*out = *n;
			*from = CF_SESSION_NORM_MODELS;
		} else if (!cf_norm_equal(out, n)) {
			return cf_error_set(err, CF_EINVAL,
					    "the models disagree on their input normalisation: %s states %s, "
					    "%s states %s (data.norm / --norm states one for all)",
					    s->name[first], cf_norm_print(out, a, sizeof a), s->name[i],
					    cf_norm_print(n, b, sizeof b));
		}
	}
	return CF_OK;
}

static int load_splits(cf_session *s, const char *spec, const cf_norm *norm, cf_error *err)
{
	cf_dataset *tr = NULL, *te = NULL;
	cf_norm own;
	int rc = cf_norm_data_load(spec, 1, norm, &tr, err);
	if (!rc) {
		cf_norm_set(&own, tr->c, tr->mean, tr->std); /* the test split as the training one */
		rc = cf_norm_data_load(spec, 0, &own, &te, err);
	}
	if (rc) {
		cf_dataset_free(tr);
		return rc;
	}
	return cf_session_set_data(s, tr, te, err);
}

/* Make the data normalised as the models expect: reload it by its spec
 * when the statement changed, or refuse data given as data sets. */
static int sync_norm(cf_session *s, cf_error *err)
{
	cf_norm want, have;
	int from, rc;
	char a[160], b[160];

	if ((rc = wanted_norm(s, &want, &from, err)) || !s->train)
		return rc;
	cf_norm_set(&have, s->train->c, s->train->mean, s->train->std);
	if (want.c ? !cf_norm_equal(&want, &have) : s->data_forced) {
		char *spec;
		if (!s->data_spec)
			return cf_error_set(err, CF_EINVAL,
					    "data set %s is normalised with %s but the models expect %s; "
					    "load it normalised so (cf.data.load's norm)",
					    s->train->name, cf_norm_print(&have, a, sizeof a),
					    cf_norm_print(&want, b, sizeof b));
		if (!(spec = strdup(s->data_spec)))
			return cf_error_set(err, CF_ENOMEM, "out of memory");
		rc = load_splits(s, spec, want.c ? &want : NULL, err);
		if (!rc) {
			s->data_spec = spec;
			s->data_forced = want.c > 0;
		} else {
			free(spec);
			return rc;
		}
		cf_norm_set(&have, s->train->c, s->train->mean, s->train->std);
	}
	s->norm = have;
	s->norm_from = from;
	return CF_OK;
}

int cf_session_load_data(cf_session *s, const char *spec, cf_error *err)
{
	cf_norm want;
	int from, rc;
	char *copy;

	if ((rc = wanted_norm(s, &want, &from, err)))
		return rc;
	if (!(copy = strdup(spec)))
		return cf_error_set(err, CF_ENOMEM, "out of memory");
	if ((rc = load_splits(s, spec, want.c ? &want : NULL, err))) {
		free(copy);
		return rc;
	}
	s->data_spec = copy; /* after cf_session_set_data, which forgets the old one */
	s->data_forced = want.c > 0;
	cf_norm_set(&s->norm, s->train->c, s->train->mean, s->train->std);
	s->norm_from = from;
	return CF_OK;
}

const cf_norm *cf_session_norm(const cf_session *s, int *from)
{
	if (from)
		*from = s->norm_from;
	return s->train ? &s->norm : NULL;
}

void cf_session_set_progress(cf_session *s, const cf_progress *p)
{
	if (p)
		s->prog = *p;
	else
		memset(&s->prog, 0, sizeof s->prog);
}

/* ---- steps ---------------------------------------------------------------- */

static int need_inputs(cf_session *s, cf_error *err)
{
	if (s->K < 2)
		return cf_error_set(err, CF_EINVAL, "session: need at least two models (have %d)", s->K);
	if (!s->train || !s->test)
		return cf_error_set(err, CF_EINVAL, "session: no data set (--data SPEC on the "
				    "command line, :data SPEC in the workbench, s:data(SPEC) in Lua)");
	return sync_norm(s, err);
}

static int run_acts(cf_session *s, cf_error *err)
{
	cf_acts_sample *smp = NULL;
	cf_activations *a[2] = { NULL, NULL };
	int64_t *idx = NULL, nidx = 0;
	const char *file = VS(s, DATA_INDICES);
	int rc = CF_OK;

	if (*file && (rc = cf_data_read_indices(file, s->train->n, &idx, &nidx, err)))
		return rc;
	rc = cf_acts_sample_draw(s->train, (int64_t)V(s, DATA_SAMPLES),
				 (unsigned long)V(s, DATA_SEED), idx, nidx, &smp, err);
	free(idx);
	for (int k = 0; !rc && k < 2; k++) {
		rc = cf_acts_record(s->model[k ? s->i1 : s->i0], smp, &s->prog, &a[k], err);
		if (rc)
			cf_error_prefix(err, rc, "%s", s->name[k ? s->i1 : s->i0]);
	}
	if (rc) {
		cf_acts_sample_free(smp);
		cf_activations_free(a[0]);
		cf_activations_free(a[1]);
		return rc;
	}
	drop_balance(s); /* the balanced pair may alias the old recordings */
	cf_acts_sample_free(s->sample);
	s->sample = smp;
	for (int k = 0; k < 2; k++) {
		cf_activations_free(s->acts[k]);
		s->acts[k] = a[k];
	}
	return CF_OK;
}

static int run_costs(cf_session *s, cf_error *err)
{
	const cf_net *n0 = s->model[s->i0], *n1 = s->model[s->i1];
	int m = cf_acts_hidden_units(n0), n = cf_acts_hidden_units(n1), rc;
	cf_acts_cost_opts o;
	double *C;

	o.measure = (int)V(s, CLA_MEASURE);
	o.metric = (int)V(s, CLA_METRIC);
	o.cka_debiased = (int)V(s, CLA_ESTIMATOR);
	o.ground_metric = CF_GROUND_EUCLIDEAN;
	if (m < 1 || n < 1)
		return cf_error_set(err, CF_EINVAL, "layer costs: a model has no hidden layer");
	C = malloc(sizeof *C * (size_t)m * (size_t)n);
	if (!C)
		return cf_error_set(err, CF_ENOMEM, "layer costs: out of memory");
	if ((rc = cf_acts_unit_costs(n0, s->acts[0], n1, s->acts[1], &o, C, &s->prog, err))) {
		free(C);
		return rc;
	}
	free(s->C);
	s->C = C;
	s->m = m;
	s->n = n;
	return CF_OK;
}

#define MAXG 64

static int run_align(cf_session *s, cf_error *err)
{
	const cf_net *n0 = s->model[s->i0], *n1 = s->model[s->i1];
	int g0[MAXG], g1[MAXG], ng0 = cf_acts_unit_groups(n0, g0, MAXG);
	int ng1 = cf_acts_unit_groups(n1, g1, MAXG), rc, nl = 0;
	int *umap, *wmap, *l0, *l1, m = s->m, n = s->n;
	cf_cla_params p = cf_cla_params_default();

	p.method = (cf_cla_method)(int)V(s, CLA_METHOD);
	p.s = (int)V(s, CLA_START);
	p.f = (int)V(s, CLA_FREE_END);
	p.seed = (uint64_t)V(s, CLA_SEED);
	umap = malloc(sizeof *umap * (size_t)n);
	wmap = malloc(sizeof *wmap * (size_t)cf_net_nwlayers(n1));
	l0 = malloc(sizeof *l0 * (size_t)m);
	l1 = malloc(sizeof *l1 * (size_t)n);
	if (!umap || !wmap || !l0 || !l1) {
		rc = cf_error_set(err, CF_ENOMEM, "alignment: out of memory");
		goto fail;
	}
	if ((rc = cf_cla_align_stages(s->C, g0, ng0, g1, ng1, &p, umap, err))) {
		cf_error_prefix(err, rc, "alignment of %s (model 0) and %s (model 1)", s->name[s->i0],
				s->name[s->i1]);
		goto fail;
	}
	for (int u = 0; u < m; u++)
		l0[u] = cf_net_unit_at(n0, u)->wl_n;
	for (int u = 0; u < n; u++)
		l1[u] = cf_net_unit_at(n1, u)->wl_n;
	if ((rc = cf_cla_map_expand(umap, n, l0, m, l1, wmap, &nl, err)))
		goto fail;
	free(l0);
	free(l1);
	free(s->umap);
	free(s->wmap);
	s->umap = umap;
	s->wmap = wmap;
	s->nw = nl;
	return CF_OK;
fail:
	free(umap);
	free(wmap);
	free(l0);
	free(l1);
	return rc;
}

static int run_balance(cf_session *s, cf_error *err)
{
	cf_net *n0 = s->model[s->i0], *n1 = s->model[s->i1], *nb = NULL;
	cf_activations *ab = NULL;
	int method = (int)V(s, BALANCE_METHOD), rc, same = s->m == s->n;

	if (same) {
		/* Same depth (stage by stage, as the alignment checked): plain
		 * OTFusion of the pair as it is. */
		drop_balance(s);
		s->bal[0] = n0;
		s->bal[1] = n1;
		s->bacts[0] = s->acts[0];
		s->bacts[1] = s->acts[1];
		s->rebuilt = -1;
		return CF_OK;
	}
	if (method == CF_BALANCE_ADD)
		rc = cf_balance_add(n0, n1, s->umap, &nb, err);
	else
		rc = cf_balance_merge(n0, s->acts[0], n1, s->umap,
				      (cf_relu_approx)(int)V(s, BALANCE_RELU_APPROX), &nb, err);
	if (!rc && (rc = cf_acts_record(nb, s->sample, &s->prog, &ab, err)))
		cf_error_prefix(err, rc, "balanced model");
	if (rc) {
		cf_net_free(nb);
		return rc;
	}
	drop_balance(s);
	if (method == CF_BALANCE_ADD) {
		s->bal[0] = n0;
		s->bacts[0] = s->acts[0];
		s->bal[1] = nb;
		s->bacts[1] = ab;
		s->own_bal[1] = s->own_bacts[1] = 1;
		s->rebuilt = 1;
	} else {
		s->bal[0] = nb;
		s->bacts[0] = ab;
		s->own_bal[0] = s->own_bacts[0] = 1;
		s->bal[1] = n1;
		s->bacts[1] = s->acts[1];
		s->rebuilt = 0;
	}
	return CF_OK;
}

/* Fusion parameters of layer l: the session's, then the layer's overrides.
 * Choices are the modules' enum values (session_params.h). */
static void layer_params(const cf_session *s, int l, cf_fusion_params *p)
{
	double pv[NPARAMS];

	cf_fusion_params_default(p);
	memcpy(pv, s->pv, sizeof pv);
	for (int k = 0; k < s->nov; k++)
		if (s->ov[k].layer == l)
			pv[s->ov[k].param] = s->ov[k].v;
#define LV(id) pv[CF_SP_##id]
	p->mode = (int)LV(FUSION_MODE);
	p->metric = (int)LV(GROUND_METRIC);
	p->norm = (int)LV(GROUND_NORM);
	p->direct = (int)LV(GROUND_DIRECT);
	p->normalize_wts = (int)LV(GROUND_NORMALIZE_WTS);
	p->solver = (int)LV(OT_SOLVER);
	p->reg = LV(OT_REG);
	p->reg_m = LV(OT_REG_M);
	p->max_iter = (int64_t)LV(OT_MAX_ITER);
	p->marginals = (int)LV(OT_MARGINALS);
	p->correction = (int)LV(FUSION_CORRECTION);
	p->eps = LV(FUSION_EPS);
	p->past_correction = (int)LV(FUSION_PAST_CORRECTION);
	p->step = LV(FUSION_STEP);
	p->output_plan = (int)LV(FUSION_OUTPUT_PLAN);
	p->width_aware = (int)LV(FUSION_WIDTH_AWARE);
	p->residual_tied = (int)LV(FUSION_RESIDUAL_TIED);
#undef LV
}

static int apply_params(cf_session *s, cf_fusion *f, cf_error *err)
{
	int rc;
	for (int l = 0; l < cf_fusion_nlayers(f); l++) {
		cf_fusion_params p;
		layer_params(s, l, &p);
		if ((rc = cf_fusion_set_params(f, l, &p, err)))
			return rc;
	}
	return CF_OK;
}

/* fusion.repair_branches sets each branch's channel c to the targets of
 * the endpoints' channel c: only tied plans make that the same channel in
 * the three networks, and it extends REPAIR rather than replacing it.
 * Checked when the fusion starts (parameters are set one at a time, in any
 * order), before any layer is solved. */
static int repair_options_ok(const cf_session *s, cf_error *err)
{
	if (!V(s, FUSION_REPAIR_BRANCHES) || (V(s, FUSION_REPAIR) && V(s, FUSION_RESIDUAL_TIED)))
		return CF_OK;
	return cf_error_set(err, CF_EINVAL, "fusion.repair_branches needs fusion.repair=1 and "
			    "fusion.residual_tied=1 (here %s): a branch's channels are the "
			    "endpoints' same channels only with tied plans",
			    !V(s, FUSION_REPAIR) && !V(s, FUSION_RESIDUAL_TIED)
				    ? "both are 0"
				    : V(s, FUSION_REPAIR) ? "fusion.residual_tied is 0"
							  : "fusion.repair is 0");
}

/* Make sure there is a fusion object positioned for re-solving. */
static int fusion_ready(cf_session *s, cf_error *err)
{
	int rc;
	if ((rc = repair_options_ok(s, err)))
		return rc;
	if (!s->fusion || s->fuse_from < 0) {
		cf_fusion_params p;
		cf_fusion *f = NULL;
		layer_params(s, 0, &p);
		if ((rc = cf_fusion_alloc(s->bal[0], s->bal[1], s->bacts[0], s->bacts[1], &p, &f, err)))
			return rc;
		if ((rc = apply_params(s, f, err))) {
			cf_fusion_free(f);
			return rc;
		}
		drop_fusion(s);
		s->fusion = f;
		s->fuse_from = cf_fusion_nlayers(f);
		return CF_OK;
	}
	if ((rc = apply_params(s, s->fusion, err)))
		return rc;
	cf_fusion_rewind(s->fusion, s->fuse_from);
	s->fuse_from = cf_fusion_nlayers(s->fusion);
	cf_net_free(s->multi_fused);
	s->multi_fused = NULL;
	drop_repair(s);
	return CF_OK;
}

static int fuse_one_layer(cf_session *s, cf_error *err)
{
	int before = cf_fusion_cursor(s->fusion);
	int rc = cf_fusion_step(s->fusion, &s->prog, err);
	/* a stop asked for as the layer ends keeps the layer: it counts */
	if (cf_fusion_cursor(s->fusion) > before)
		s->solves++;
	return rc;
}

/* K > 2: fold the other models into the pair's result. */
static int run_multi(cf_session *s, cf_error *err);

/* fusion.repair: the pair's fused model renormalised (repair.h). */
static int run_repair(cf_session *s, cf_error *err);

/* What follows the last layer of the pair's fusion. */
static int fuse_finish(cf_session *s, cf_error *err)
{
	if (s->K > 2 && (V(s, FUSION_REPAIR) || V(s, FUSION_REPAIR_LOGITS)))
		return cf_error_set(err, CF_EINVAL, "fusion.repair%s works on two models (the "
				    "session has %d): it repairs one interpolation",
				    V(s, FUSION_REPAIR) ? "" : "_logits", s->K);
	if (s->K > 2)
		return run_multi(s, err);
	return run_repair(s, err);
}

static int run_fuse_rest(cf_session *s, cf_error *err)
{
	int rc;
	while (!cf_fusion_done(s->fusion))
		if ((rc = fuse_one_layer(s, err)))
			return rc;
	return fuse_finish(s, err);
}

/* Every parameter value of `from` into `to` (a new session: nothing to
 * mark stale).  Per-layer overrides stay with `from`. */
static int copy_params(const cf_session *from, cf_session *to, cf_error *err)
{
	for (int i = 0; i < NPARAMS; i++) {
		char *str = NULL;
		if (from->ps[i] && !(str = strdup(from->ps[i])))
			return cf_error_set(err, CF_ENOMEM, "session: out of memory");
		free(to->ps[i]);
		to->ps[i] = str;
		to->pv[i] = from->pv[i];
	}
	return CF_OK;
}

/* A sub-session on this session's data (borrowed) and parameters with the
 * two given models (copied; the first is model 0 on a depth tie). */
static int sub_session(cf_session *s, const cf_net *first, const char *n1, const cf_net *second,
		       const char *n2, cf_session **out, cf_error *err)
{
	cf_session *sub = NULL;
	cf_net *a = NULL, *b = NULL;
	int rc;

	if ((rc = cf_session_new(&sub, err)))
		return rc;
	if ((rc = copy_params(s, sub, err)) || (rc = cf_net_copy(first, &a, err)) ||
	    (rc = cf_session_add_model(sub, a, n1, err)))
		goto fail;
	if ((rc = cf_net_copy(second, &b, err)) || (rc = cf_session_add_model(sub, b, n2, err)))
		goto fail;
	sub->train = s->train; /* borrowed: taken back before the sub is freed */
	sub->test = s->test;
	sub->prog = s->prog;
	*out = sub;
	return CF_OK;
fail:
	cf_session_free(sub);
	return rc;
}

static void sub_free(cf_session *sub)
{
	if (!sub)
		return;
	sub->train = sub->test = NULL;
	cf_session_free(sub);
}

static int run_multi(cf_session *s, cf_error *err)
{
	int many = (int)V(s, FUSION_MULTI) == CF_SESSION_MANY_TO_ONE, rc = CF_OK, n = 0;
	cf_net *cur = NULL;
	const cf_net **all = NULL;
	cf_net **moved = calloc((size_t)s->K, sizeof *moved);

	if (!moved)
		return cf_error_set(err, CF_ENOMEM, "out of memory");
	if (!many && (rc = cf_net_copy(cf_fusion_net(s->fusion), &cur, err)))
		goto out;
	for (int i = 0; i < s->K && !rc; i++) {
		cf_session *sub = NULL;
		if (i == s->i0 || (!many && i == s->i1))
			continue;
		if (!many) {
			/* iterative: model i transported onto the running result */
			rc = sub_session(s, s->model[i], s->name[i], cur, "fused", &sub, err);
			if (!rc)
				rc = cf_session_run(sub, CF_STEP_FUSE, err);
			if (!rc) {
				cf_net_free(cur);
				cur = NULL;
				rc = cf_net_copy(cf_fusion_net(sub->fusion), &cur, err);
			}
		} else {
			/* many-to-one: model i, balanced to the anchor (model 0),
			 * transported onto it without averaging (s = 0) */
			cf_fusion *f = NULL;
			cf_fusion_params p;
			rc = sub_session(s, s->model[s->i0], s->name[s->i0], s->model[i], s->name[i],
					 &sub, err);
			if (!rc && sub->i0 != 0)
				rc = cf_error_set(err, CF_EINVAL, "many-to-one: %s is deeper than the "
						  "anchor %s; give the deepest model first", s->name[i],
						  s->name[s->i0]);
			if (!rc)
				rc = cf_session_run(sub, CF_STEP_BALANCE, err);
			layer_params(s, 0, &p);
			p.step = 0;
			if (!rc)
				rc = cf_fusion_alloc(sub->bal[1], sub->bal[0], sub->bacts[1], sub->bacts[0],
						     &p, &f, err);
			if (!rc)
				rc = cf_fusion_run(f, &s->prog, err);
			if (!rc)
				rc = cf_net_copy(cf_fusion_net(f), &moved[n], err);
			if (!rc)
				n++;
			cf_fusion_free(f);
		}
		if (rc)
			cf_error_prefix(err, rc, "fusing %s", s->name[i]);
		sub_free(sub);
	}
	if (!rc && many) {
		all = malloc(sizeof *all * (size_t)(n + 1));
		if (!all) {
			rc = cf_error_set(err, CF_ENOMEM, "out of memory");
			goto out;
		}
		all[0] = s->model[s->i0];
		for (int k = 0; k < n; k++)
			all[k + 1] = moved[k];
		if ((rc = cf_fusion_average(all, NULL, n + 1, &cur, err)))
			cf_error_prefix(err, rc, "many-to-one");
	}
out:
	for (int k = 0; k < n; k++)
		cf_net_free(moved[k]);
	free(moved);
	free((void *)all);
	if (rc) {
		cf_net_free(cur);
		return rc;
	}
	cf_net_free(s->multi_fused);
	s->multi_fused = cur;
	return CF_OK;
}

static int run_repair(cf_session *s, cf_error *err)
{
	cf_net *aligned = NULL, *fz = NULL;
	cf_acts_sample *smp = NULL;
	int L = cf_fusion_nlayers(s->fusion), rc;
	int64_t N = (int64_t)V(s, FUSION_REPAIR_SAMPLES);
	unsigned which = (V(s, FUSION_REPAIR) ? CF_REPAIR_HIDDEN : 0u) |
			 (V(s, FUSION_REPAIR_LOGITS) ? CF_REPAIR_LOGITS : 0u) |
			 (V(s, FUSION_REPAIR_BRANCHES) ? CF_REPAIR_BRANCHES : 0u);
	double *step;

	drop_repair(s);
	if (!which)
		return CF_OK;
	if (N > s->train->n)
		N = s->train->n;
	if (!(step = malloc(sizeof *step * (size_t)L)))
		return cf_error_set(err, CF_ENOMEM, "repair: out of memory");
	for (int l = 0; l < L; l++)
		step[l] = cf_fusion_layer_at(s->fusion, l)->par.step;
	if (!(rc = cf_acts_sample_draw(s->train, N, (unsigned long)V(s, DATA_SEED), NULL, 0, &smp,
				       err)) &&
	    !(rc = cf_fusion_aligned_net(s->fusion, &aligned, err)) &&
	    !(rc = cf_net_add_biases(cf_fusion_net(s->fusion), &fz, err)))
		rc = cf_repair_net(fz, aligned, s->bal[1], step, which, smp, &s->prog, &s->rep,
				   err);
	free(step);
	cf_acts_sample_free(smp);
	cf_net_free(aligned);
	if (rc) {
		cf_net_free(fz);
		return rc;
	}
	s->repaired = fz;
	return CF_OK;
}

static int run_fuse(cf_session *s, cf_error *err)
{
	int rc;
	if ((rc = fusion_ready(s, err)) || (rc = run_fuse_rest(s, err)))
		return rc;
	if (cf_session_fused(s)) /* built for inputs normalised so */
		cf_net_set_norm(cf_session_fused(s), &s->norm);
	return CF_OK;
}

/* eval.hybrids: the aligned parent's accuracy and, per fusion layer, the
 * fused model's with that layer taken from the aligned parent, so that
 * the loss of accuracy is located layer by layer (hybrid.h). */
static int run_hybrids(cf_session *s, cf_net *fused, cf_session_metrics *met, cf_error *err)
{
	int batch = (int)V(s, EVAL_BATCH), L = cf_net_nwlayers(fused), rc;
	cf_net *aligned = NULL;
	double *acc;

	if (!(acc = malloc(sizeof *acc * (size_t)L)))
		return cf_error_set(err, CF_ENOMEM, "hybrids: out of memory");
	if (!(rc = cf_fusion_aligned_net(s->fusion, &aligned, err)) &&
	    !(rc = cf_evaluate(aligned, s->test, batch, &met->aligned_acc, NULL, &s->prog, err)))
		rc = cf_hybrid_accuracies(fused, aligned, s->test, batch, acc, &s->prog, err);
	cf_net_free(aligned);
	if (rc) {
		free(acc);
		return cf_error_prefix(err, rc, "hybrids");
	}
	s->hybrid = acc;
	s->nhybrid = L;
	return CF_OK;
}

static int run_eval(cf_session *s, cf_error *err)
{
	cf_session_metrics met;
	int batch = (int)V(s, EVAL_BATCH), rc, k = cf_net_nclasses(s->model[0]);
	cf_net *fused = cf_session_fused(s);
	float *fl = NULL;

	memset(&met, 0, sizeof met);
	met.balanced_acc = met.average_acc = met.aligned_acc = NAN;
	for (int i = 0; i < s->K; i++) {
		if (!s->plogits[i] &&
		    (rc = cf_fusion_logits(s->model[i], s->test, batch, &s->plogits[i], &s->prog, err)))
			return cf_error_prefix(err, rc, "%s", s->name[i]);
		met.parent_acc[i] = cf_fusion_ensemble_accuracy((const float *const *)&s->plogits[i],
								NULL, 1, k, s->test);
	}
	met.ensemble_acc = cf_fusion_ensemble_accuracy((const float *const *)s->plogits, NULL, s->K,
						       k, s->test);
	if (s->rebuilt >= 0) {
		if ((rc = cf_fusion_logits(s->bal[s->rebuilt], s->test, batch, &fl, &s->prog, err)))
			return cf_error_prefix(err, rc, "balanced model");
		met.balanced_acc = cf_fusion_ensemble_accuracy((const float *const *)&fl, NULL, 1, k,
							       s->test);
		free(fl);
	}
	if (fused && (rc = cf_evaluate(fused, s->test, batch, &met.fused_acc, &met.fused_loss,
				       &s->prog, err)))
		return cf_error_prefix(err, rc, "fused model");
	{
		int same = 1;
		for (int i = 1; i < s->K; i++)
			if (!cf_arch_equal(cf_net_arch(s->model[0]), cf_net_arch(s->model[i])))
				same = 0;
		if (same) {
			cf_net *avg = NULL;
			if (!cf_fusion_average((const cf_net *const *)s->model, NULL, s->K, &avg, err)) {
				rc = cf_evaluate(avg, s->test, batch, &met.average_acc, NULL, &s->prog, err);
				cf_net_free(avg);
				if (rc)
					return cf_error_prefix(err, rc, "plain average");
			}
		}
	}
	free(s->hybrid);
	s->hybrid = NULL;
	s->nhybrid = 0;
	if (fused && s->K == 2 && V(s, EVAL_HYBRIDS) && (rc = run_hybrids(s, fused, &met, err)))
		return rc;
	met.have = 1;
	s->met = met;
	return CF_OK;
}

static int parse_milestones(const char *txt, cf_train_params *tp, cf_error *err)
{
	const char *p = txt;
	tp->nmilestones = 0;
	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p || v < 1 || tp->nmilestones == CF_TRAIN_MAXMILESTONES)
			return cf_error_set(err, CF_EINVAL, "parameter finetune.milestones: '%s' is not a "
					    "list of up to %d positive epochs like \"20,40\"", txt,
					    CF_TRAIN_MAXMILESTONES);
		tp->milestones[tp->nmilestones++] = (int)v;
		p = end;
		while (*p == ',' || *p == ' ' || *p == '_')
			p++;
	}
	return CF_OK;
}

static int run_finetune(cf_session *s, cf_error *err)
{
	cf_session_finetune ft;
	cf_train_params tp;
	int rc;
	cf_net *fused = cf_session_fused(s);

	memset(&ft, 0, sizeof ft);
	cf_train_params_default(&tp);
	tp.epochs = (int)V(s, FINETUNE_EPOCHS);
	if (tp.epochs == 0) {
		drop_finetune(s);
		return CF_OK;
	}
	tp.lr = V(s, FINETUNE_LR);
	tp.momentum = V(s, FINETUNE_MOMENTUM);
	tp.weight_decay = V(s, FINETUNE_WEIGHT_DECAY);
	tp.batch = (int)V(s, FINETUNE_BATCH);
	tp.gamma = V(s, FINETUNE_GAMMA);
	tp.seed = (unsigned long)V(s, FINETUNE_SEED);
	tp.eval_batch = (int)V(s, EVAL_BATCH);
	if ((rc = parse_milestones(VS(s, FINETUNE_MILESTONES), &tp, err)))
		return rc;
	if (!fused)
		return cf_error_set(err, CF_EINVAL, "finetune: no fused model");
	ft.epochs = tp.epochs;
	ft.res = calloc((size_t)tp.epochs, sizeof *ft.res);
	if (!ft.res)
		return cf_error_set(err, CF_ENOMEM, "out of memory");
	if ((rc = cf_net_copy(fused, &ft.net, err)) ||
	    (rc = cf_train(ft.net, s->train, s->test, &tp, ft.res, &s->prog, err)))
		goto fail;
	ft.best_acc = -1;
	for (int e = 0; e < tp.epochs; e++)
		if (ft.res[e].test_acc > ft.best_acc) {
			ft.best_acc = ft.res[e].test_acc;
			ft.best_epoch = e + 1;
		}
	ft.parents = (int)V(s, FINETUNE_PARENTS);
	for (int i = 0; ft.parents && i < s->K; i++) {
		cf_net *c = NULL;
		cf_epoch_result *r = calloc((size_t)tp.epochs, sizeof *r);
		if (!r) {
			rc = cf_error_set(err, CF_ENOMEM, "out of memory");
			goto fail;
		}
		rc = cf_net_copy(s->model[i], &c, err);
		if (!rc)
			rc = cf_train(c, s->train, s->test, &tp, r, &s->prog, err);
		ft.parent_best[i] = -1;
		for (int e = 0; !rc && e < tp.epochs; e++)
			if (r[e].test_acc > ft.parent_best[i])
				ft.parent_best[i] = r[e].test_acc;
		free(r);
		cf_net_free(c);
		if (rc) {
			cf_error_prefix(err, rc, "finetuning %s", s->name[i]);
			goto fail;
		}
	}
	drop_finetune(s);
	s->ft = ft;
	return CF_OK;
fail:
	free(ft.res);
	cf_net_free(ft.net);
	return rc;
}

/* A step that did not finish keeps its previous results: stopped on
 * request (the next run redoes it), or failed, saying why. */
static void mark_unfinished(cf_session *s, int step, int rc, const cf_error *err)
{
	const char *msg = err && err->msg[0] ? err->msg : cf_status_name(rc);
	if (rc == CF_ESTOPPED) {
		s->state[step] = CF_STATE_STOPPED;
		snprintf(s->errmsg[step], sizeof s->errmsg[step], "stopped: %.*s",
			 (int)sizeof s->errmsg[step] - 10, msg);
	} else {
		s->state[step] = CF_STATE_FAILED;
		snprintf(s->errmsg[step], sizeof s->errmsg[step], "%s", msg);
	}
}

/* Bookkeeping around a step's work: running while it works, one more run,
 * its time (summed over the calls of a stepped fusion), and on the end
 * fresh, or what a failure or a stop leaves (mark_unfinished). */
static void step_begin(cf_session *s, int step)
{
	s->state[step] = CF_STATE_RUNNING;
	s->runs[step]++;
	s->time[step] = 0;
}

static int step_end(cf_session *s, int step, double t0, int rc, int done, const cf_error *err)
{
	s->time[step] += cf_progress_clock() - t0;
	if (rc) {
		mark_unfinished(s, step, rc, err);
		return rc;
	}
	if (done) {
		s->errmsg[step][0] = '\0';
		s->state[step] = CF_STATE_FRESH;
	}
	return CF_OK;
}

static int run_step(cf_session *s, int step, cf_error *err)
{
	double t0 = cf_progress_clock();
	int rc;

	step_begin(s, step);
	switch (step) {
	case CF_STEP_ACTS: rc = run_acts(s, err); break;
	case CF_STEP_COSTS: rc = run_costs(s, err); break;
	case CF_STEP_ALIGN: rc = run_align(s, err); break;
	case CF_STEP_BALANCE: rc = run_balance(s, err); break;
	case CF_STEP_FUSE: rc = run_fuse(s, err); break;
	case CF_STEP_EVAL: rc = run_eval(s, err); break;
	default: rc = run_finetune(s, err); break;
	}
	return step_end(s, step, t0, rc, 1, err);
}

/* Run every step before `step` that is not fresh. */
static int run_before(cf_session *s, int step, cf_error *err)
{
	int rc;
	if ((rc = need_inputs(s, err)))
		return rc;
	for (int k = 0; k < step; k++)
		if (s->state[k] != CF_STATE_FRESH && (rc = run_step(s, k, err)))
			return rc;
	return CF_OK;
}

int cf_session_run(cf_session *s, int step, cf_error *err)
{
	int rc;
	if (step < 0 || step >= CF_STEP_COUNT)
		return cf_error_set(err, CF_EINVAL, "session: unknown step %d", step);
	if ((rc = run_before(s, step, err)))
		return rc;
	return s->state[step] == CF_STATE_FRESH ? CF_OK : run_step(s, step, err);
}

int cf_session_run_all(cf_session *s, cf_error *err)
{
	return cf_session_run(s, CF_STEP_FINETUNE, err);
}

int cf_session_fuse_step(cf_session *s, cf_error *err)
{
	double t0;
	int rc, done;

	if ((rc = need_inputs(s, err)))
		return rc;
	if (s->state[CF_STEP_FUSE] == CF_STATE_FRESH)
		return CF_OK;
	if ((rc = run_before(s, CF_STEP_FUSE, err)))
		return rc;
	t0 = cf_progress_clock();
	if (s->state[CF_STEP_FUSE] != CF_STATE_RUNNING) {
		step_begin(s, CF_STEP_FUSE);
		if ((rc = fusion_ready(s, err)))
			return step_end(s, CF_STEP_FUSE, t0, rc, 0, err);
	}
	rc = cf_fusion_done(s->fusion) ? CF_OK : fuse_one_layer(s, err);
	done = !rc && cf_fusion_done(s->fusion);
	if (done)
		rc = fuse_finish(s, err);
	return step_end(s, CF_STEP_FUSE, t0, rc, done, err);
}

int cf_session_state(const cf_session *s, int step)
{
	return step >= 0 && step < CF_STEP_COUNT ? s->state[step] : CF_STATE_STALE;
}

int cf_session_runs(const cf_session *s, int step)
{
	return step >= 0 && step < CF_STEP_COUNT ? s->runs[step] : 0;
}

double cf_session_time(const cf_session *s, int step)
{
	return step >= 0 && step < CF_STEP_COUNT ? s->time[step] : 0;
}

const char *cf_session_error(const cf_session *s, int step)
{
	return step >= 0 && step < CF_STEP_COUNT ? s->errmsg[step] : "";
}

int64_t cf_session_layer_solves(const cf_session *s)
{
	return s->solves;
}

/* ---- results ---------------------------------------------------------------- */

int cf_session_nmodels(const cf_session *s)
{
	return s->K;
}

cf_net *cf_session_model(const cf_session *s, int i)
{
	return i >= 0 && i < s->K ? s->model[i] : NULL;
}

const char *cf_session_model_name(const cf_session *s, int i)
{
	return i >= 0 && i < s->K ? s->name[i] : NULL;
}

int cf_session_model_folded(const cf_session *s, int i)
{
	return i >= 0 && i < s->K ? s->folded[i] : 0;
}

void cf_session_pair(const cf_session *s, int *i0, int *i1)
{
	*i0 = s->i0;
	*i1 = s->i1;
}

const cf_dataset *cf_session_data(const cf_session *s, int train)
{
	return train ? s->train : s->test;
}

const cf_acts_sample *cf_session_sample(const cf_session *s)
{
	return s->sample;
}

const cf_activations *cf_session_acts(const cf_session *s, int which)
{
	return which == 0 || which == 1 ? s->acts[which] : NULL;
}

const double *cf_session_costs(const cf_session *s, int *m, int *n)
{
	*m = s->C ? s->m : 0;
	*n = s->C ? s->n : 0;
	return s->C;
}

const int *cf_session_unit_map(const cf_session *s, int *n)
{
	*n = s->umap ? s->n : 0;
	return s->umap;
}

const int *cf_session_layer_map(const cf_session *s, int *n)
{
	*n = s->wmap ? s->nw : 0;
	return s->wmap;
}

cf_net *cf_session_balanced(const cf_session *s, int which)
{
	return which == 0 || which == 1 ? s->bal[which] : NULL;
}

int cf_session_balanced_rebuilt(const cf_session *s)
{
	return s->bal[0] ? s->rebuilt : -1;
}

int cf_session_fusion_layers(const cf_session *s)
{
	return s->fusion ? cf_fusion_nlayers(s->fusion) : 0;
}

int cf_session_fusion_cursor(const cf_session *s)
{
	return s->fusion ? cf_fusion_cursor(s->fusion) : 0;
}

const cf_fusion_layer *cf_session_fusion_layer(const cf_session *s, int l)
{
	return s->fusion ? cf_fusion_layer_at(s->fusion, l) : NULL;
}

cf_net *cf_session_fused(const cf_session *s)
{
	if (!s->fusion || !cf_fusion_done(s->fusion))
		return NULL;
	if (s->K > 2)
		return s->multi_fused;
	if (s->repaired)
		return s->repaired;
	return cf_fusion_net(s->fusion);
}

const cf_repair_report *cf_session_repair_report(const cf_session *s)
{
	return s->repaired ? &s->rep : NULL;
}

const cf_session_metrics *cf_session_metrics_get(const cf_session *s)
{
	return &s->met;
}

int64_t cf_session_matched_samples(const cf_session *s)
{
	return s->bacts[0] && s->bacts[1] && s->bacts[0]->n > 0 ? s->bacts[0]->a[0]->shape[0] : 0;
}

int cf_session_matched(const cf_session *s, int l, const double *plan, int64_t j, double *x1,
		       double *x0, int64_t *i, double *corr, cf_error *err)
{
	const cf_fusion_layer *y = s->fusion && l >= 0 && l < cf_fusion_nlayers(s->fusion)
					   ? cf_fusion_layer_at(s->fusion, l) : NULL;
	if (!y || !y->done || !y->plan)
		return cf_error_set(err, CF_EINVAL, "matched neurons: fusion layer %d has no plan",
				    l + 1);
	/* the fusion runs on the balanced pair's recordings */
	return cf_matched_neurons(plan ? plan : y->plan, y->n0, y->n1, s->bacts[0], s->bacts[1], l, j,
				  x1, x0, i, corr, err);
}

const double *cf_session_hybrids(const cf_session *s, int *n)
{
	*n = s->met.have ? s->nhybrid : 0;
	return *n ? s->hybrid : NULL;
}

const cf_session_finetune *cf_session_finetune_get(const cf_session *s)
{
	return &s->ft;
}

int cf_session_aligned(const cf_session *s, cf_net **out, cf_error *err)
{
	*out = NULL;
	if (!s->fusion || !cf_fusion_done(s->fusion))
		return CF_OK;
	return cf_fusion_aligned_net(s->fusion, out, err);
}
