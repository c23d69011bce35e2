/* l_picture.c — cf.picture: the workbench's pictures from Lua.  A matrix
 * as a heatmap (the x key's picture of C or T: legend, axes, title) and a
 * curve (the results screen's finetuning curve), SVG or PNG by the file's
 * name, written atomically. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "core/error.h"
#include "host.h"
#include "l_matrix.h"
#include "tui/cmap.h"
#include "tui/curvepic.h"
#include "tui/heatmap.h"
#include "tui/heatpic.h"

/* opts.key as a string, or def */
static const char *opt_str(lua_State *L, int opts, const char *key, const char *def)
{
	const char *s = def;
	if (lua_isnoneornil(L, opts))
		return def;
	lua_getfield(L, opts, key);
	if (!lua_isnil(L, -1)) {
		if (!lua_isstring(L, -1))
			luaL_error(L, "option %s: a string expected, got %s", key, luaL_typename(L, -1));
		s = lua_tostring(L, -1);
	}
	lua_pop(L, 1); /* the string stays alive in opts */
	return s;
}

static int opt_bool(lua_State *L, int opts, const char *key)
{
	int b;
	if (lua_isnoneornil(L, opts))
		return 0;
	lua_getfield(L, opts, key);
	b = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return b;
}

static void check_name(lua_State *L, const char *path)
{
	if (!cf_picture_kind(path))
		luaL_argerror(L, 1, "a file name ending in .svg or .png");
}

/* cf.picture.heatmap(path, M [, opts]) */
static int l_heatmap(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	cf_lmatrix *m;
	cf_heatmap *h;
	cf_error err = {0};
	const char *title, *xlabel, *ylabel, *cmap;
	int rc, k;

	check_name(L, path);
	m = cf_lua_matrix_arg(L, 2);
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TTABLE);
	luaL_argcheck(L, m->ndim <= 2 && m->size > 0, 2, "a non-empty matrix (1 or 2 dimensions)");
	title = opt_str(L, 3, "title", "");
	xlabel = opt_str(L, 3, "xlabel", "column");
	ylabel = opt_str(L, 3, "ylabel", "row");
	cmap = opt_str(L, 3, "cmap", "viridis");
	for (k = 0; k < CF_CMAP_N && strcmp(cf_cmap_name(k), cmap); k++)
		;
	if (k == CF_CMAP_N)
		return luaL_error(L, "option cmap: '%s' is not one of viridis, magma, grey", cmap);
	if (!(h = cf_heatmap_alloc("M", opt_bool(L, 3, "sum") ? CF_POOL_SUM : CF_POOL_MEAN)))
		return luaL_error(L, "out of memory");
	h->cmap = k;
	h->scale = opt_bool(L, 3, "log") ? CF_SCALE_LOG : CF_SCALE_LIN;
	if (cf_heatmap_set_data(h, m->data, m->ndim == 2 ? m->shape[0] : 1,
				m->ndim == 2 ? m->shape[1] : m->shape[0])) {
		cf_heatmap_free(h);
		return luaL_error(L, "out of memory");
	}
	rc = cf_heatmap_write_picture(h, path, title, xlabel, ylabel, &err);
	cf_heatmap_free(h);
	if (rc)
		return cf_lua_fail(L, rc, &err);
	lua_pushboolean(L, 1);
	return 1;
}

/* cf.picture.curve(path, ys [, opts]) */
static int l_curve(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	cf_lmatrix *m;
	cf_error err = {0};
	int rc;

	check_name(L, path);
	m = cf_lua_matrix_arg(L, 2);
	if (!lua_isnoneornil(L, 3))
		luaL_checktype(L, 3, LUA_TTABLE);
	luaL_argcheck(L, m->size > 0 && m->size <= 1000000, 2, "1 to 1000000 values");
	rc = cf_curve_write_picture(m->data, (int)m->size, path, opt_str(L, 3, "title", ""),
				    opt_str(L, 3, "xlabel", "x"), opt_str(L, 3, "ylabel", "y"), &err);
	if (rc)
		return cf_lua_fail(L, rc, &err);
	lua_pushboolean(L, 1);
	return 1;
}

static const luaL_Reg picture_fns[] = {{"heatmap", l_heatmap}, {"curve", l_curve}, {NULL, NULL}};

static const cf_lua_doc picture_docs[] = {
	{"heatmap", "cf.picture.heatmap(path, M [, opts]) -> true | nil, message",
	 "Write matrix M (a Matrix or a table of rows) as a picture for slides\n"
	 "and papers, SVG or PNG by path's ending: the cells in a colour map, a\n"
	 "legend with the range, the title and the axes named (what x writes on\n"
	 "the workbench).  opts: title, xlabel (\"column\"), ylabel (\"row\"),\n"
	 "log (colour by log10, for plans), sum (pool large matrices by block\n"
	 "sums, as plans are, instead of means), cmap (viridis, magma, grey).\n"
	 "Large matrices are pooled to 200 cells a side (SVG) or 800 (PNG).\n"
	 "Example: cf.picture.heatmap(\"T1.png\", s:layer(1).plan, {sum = true})"},
	{"curve", "cf.picture.curve(path, ys [, opts]) -> true | nil, message",
	 "Write the values ys (a Matrix or a table) as a line over x = 1..#ys,\n"
	 "SVG or PNG by path's ending, with the ends of both axes numbered.\n"
	 "opts: title, xlabel (\"x\"), ylabel (\"y\").  The results screen's\n"
	 "finetuning curve: collect 100 * e.test_acc over\n"
	 "s:finetune_results().epochs and pass {xlabel = \"epoch\"}."},
	{NULL, NULL, NULL}};

int luaopen_cf_picture(lua_State *L)
{
	return cf_lua_register(L, "picture", "pictures (SVG, PNG) of matrices and curves",
			       picture_fns, picture_docs);
}
