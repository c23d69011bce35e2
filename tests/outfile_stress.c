/* outfile_stress.c — the saver and the checker of tests/test_outputs_kill.sh.
 *
 *   outfile_stress write DIR   saves a model, a plan and a report into DIR
 *                              over and over (generation 1, 2, ...) until
 *                              killed, through the program's own writers:
 *                              cf_st_write, cf_matfile_write and the JSON
 *                              report through cf_outfile like `fuse --json`.
 *   outfile_stress save DIR    saves them once (generation 1) and exits.
 *   outfile_stress check DIR   exit 0 when every one of the three files that
 *                              exists is complete and of one generation;
 *                              prints "temps N" (temporary files a kill left,
 *                              which it removes) and then what is wrong.
 *
 * Every value of a generation-g file equals g, so a file cut short or mixed
 * from two saves is caught: the readers reject a short file, and a mix
 * shows two different values.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "matfile.h"
#include "outfile.h"
#include "st.h"

#define MODEL_N (256 * 1024) /* 1 MB of float32 */
#define PLAN_SIDE 200        /* 40 000 values, ~0.3 MB of text */
#define REPORT_N 10000       /* ~0.1 MB of JSON */

static char path_model[4096], path_plan[4096], path_report[4096];

static int save_report(int g, cf_error *err)
{
	json_t *rep = json_object(), *vals = json_array();
	cf_outfile o;
	int rc;

	for (int i = 0; i < REPORT_N; i++)
		json_array_append_new(vals, json_integer(g));
	json_object_set_new(rep, "generation", json_integer(g));
	json_object_set_new(rep, "values", vals);
	if ((rc = cf_outfile_open(&o, path_report, err)) == CF_OK) {
		json_dumpf(rep, o.f, JSON_INDENT(2));
		rc = cf_outfile_commit(&o, err);
	}
	json_decref(rep);
	return rc;
}

/* Saves the three files `rounds` times (0: until killed). */
static int writer(int rounds)
{
	float *w = malloc(MODEL_N * sizeof *w);
	double *plan = malloc(PLAN_SIDE * PLAN_SIDE * sizeof *plan);
	int64_t shape[1] = {MODEL_N};
	cf_error err = {0};

	if (!w || !plan)
		return 1;
	for (int g = 1; !rounds || g <= rounds; g++) {
		char gen[32];
		const char *key = "generation", *val = gen;
		cf_st_out t = {.name = "w", .ndim = 1, .shape = shape, .data = w};
		snprintf(gen, sizeof gen, "%d", g);
		for (int i = 0; i < MODEL_N; i++)
			w[i] = (float)g;
		for (int i = 0; i < PLAN_SIDE * PLAN_SIDE; i++)
			plan[i] = g;
		if (cf_st_write(path_model, &t, 1, &key, &val, 1, &err) ||
		    cf_matfile_write(path_plan, plan, PLAN_SIDE, PLAN_SIDE, &err) ||
		    save_report(g, &err)) {
			fprintf(stderr, "outfile_stress: %s\n", err.msg);
			return 1;
		}
	}
	free(w);
	free(plan);
	return 0;
}

static int check_model(void)
{
	cf_st_file *f = NULL;
	cf_error err = {0};
	const char *gen;
	int bad = 0;

	if (access(path_model, F_OK) != 0)
		return 0;
	if (cf_st_read(path_model, &f, &err)) {
		printf("model: %s\n", err.msg);
		return 1;
	}
	gen = cf_st_meta(f, "generation");
	const cf_st_tensor *t = cf_st_find(f, "w");
	if (!gen || !t || t->size != MODEL_N) {
		bad = 1;
	} else {
		for (int64_t i = 0; i < t->size && !bad; i++)
			bad = t->data[i] != (float)atoi(gen);
	}
	if (bad)
		printf("model: not one whole generation\n");
	cf_st_free(f);
	return bad;
}

static int check_plan(void)
{
	double *a = NULL;
	int64_t r = 0, c = 0;
	cf_error err = {0};
	int bad = 0;

	if (access(path_plan, F_OK) != 0)
		return 0;
	if (cf_matfile_read(path_plan, &a, &r, &c, &err)) {
		printf("plan: %s\n", err.msg);
		return 1;
	}
	bad = r != PLAN_SIDE || c != PLAN_SIDE;
	for (int64_t i = 0; i < r * c && !bad; i++)
		bad = a[i] != a[0];
	if (bad)
		printf("plan: %lldx%lld, not one whole generation\n", (long long)r, (long long)c);
	free(a);
	return bad;
}

static int check_report(void)
{
	json_error_t je;
	json_t *rep, *vals;
	int bad = 0;
	json_int_t g;

	if (access(path_report, F_OK) != 0)
		return 0;
	if (!(rep = json_load_file(path_report, 0, &je))) {
		printf("report: %s (line %d)\n", je.text, je.line);
		return 1;
	}
	g = json_integer_value(json_object_get(rep, "generation"));
	vals = json_object_get(rep, "values");
	bad = g < 1 || json_array_size(vals) != REPORT_N;
	for (size_t i = 0; !bad && i < REPORT_N; i++)
		bad = json_integer_value(json_array_get(vals, i)) != g;
	if (bad)
		printf("report: not one whole generation\n");
	json_decref(rep);
	return bad;
}

static int remove_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[8192];
	int n = 0;

	while (d && (e = readdir(d)))
		if (strstr(e->d_name, ".tmp.")) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			n += unlink(path) == 0;
		}
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "write") && strcmp(argv[1], "save") &&
			  strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: outfile_stress write|save|check DIR\n");
		return 2;
	}
	snprintf(path_model, sizeof path_model, "%s/model.safetensors", argv[2]);
	snprintf(path_plan, sizeof path_plan, "%s/plan.csv", argv[2]);
	snprintf(path_report, sizeof path_report, "%s/report.json", argv[2]);
	if (!strcmp(argv[1], "write"))
		return writer(0);
	if (!strcmp(argv[1], "save"))
		return writer(1);
	printf("temps %d\n", remove_temps(argv[2]));
	return check_model() | check_plan() | check_report();
}
