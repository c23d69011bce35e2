/* l_matrix.h — the clafuse.Matrix userdata shared by the binding files.
 *
 * A Matrix is a dense row-major array of doubles with 1 to 4 dimensions.
 * Its header and data live in ONE full userdata (lua_newuserdatauv), so
 * the collector sees its real size and there is nothing to free by hand.
 * Other bindings (OT plans, model weights, activations, session results)
 * create matrices through these helpers; float32 core tensors are
 * converted on the way in and out.
 */
#ifndef CF_L_MATRIX_H
#define CF_L_MATRIX_H

#include <stdint.h>

#include <lua.h>

#define CF_LUA_MATRIX "clafuse.Matrix"
#define CF_LMAT_MAXDIM 4

typedef struct cf_lmatrix {
	int ndim;                        /* 1..4 */
	int64_t shape[CF_LMAT_MAXDIM];
	int64_t size;                    /* product of the shape */
	double data[];                   /* size values, row-major */
} cf_lmatrix;

/* Push a new zero-filled matrix; raises on a bad shape or no memory. */
cf_lmatrix *cf_lua_matrix_new(lua_State *L, int ndim, const int64_t *shape);
/* The same for 1 or 2 dimensions (cols 0 = a vector of `rows`). */
cf_lmatrix *cf_lua_matrix_new2(lua_State *L, int64_t rows, int64_t cols);
/* Push a matrix holding a copy of src (double or float32; NULL = zeros). */
cf_lmatrix *cf_lua_matrix_push(lua_State *L, int ndim, const int64_t *shape, const double *src);
cf_lmatrix *cf_lua_matrix_push_f(lua_State *L, int ndim, const int64_t *shape, const float *src);

/* The matrix at idx, or raise a type error naming the argument. */
cf_lmatrix *cf_lua_matrix_check(lua_State *L, int idx);
/* The matrix at idx, or NULL when it is not one. */
cf_lmatrix *cf_lua_matrix_test(lua_State *L, int idx);
/* A Matrix or a (nested) Lua table of numbers at idx; a table is converted
 * and the new matrix REPLACES it on the stack (so it stays alive for the
 * call).  Raises naming the argument on anything else. */
cf_lmatrix *cf_lua_matrix_arg(lua_State *L, int idx);

#endif
