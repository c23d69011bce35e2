/* l_matrix_int.h — what the three files of the Matrix type share:
 * l_matrix.c (construction, access, shape, registration), l_matrix_ops.c
 * (arithmetic with broadcasting, products, reductions, elementwise
 * functions, concatenation) and l_matrix_print.c (the display).
 */
#ifndef CF_L_MATRIX_INT_H
#define CF_L_MATRIX_INT_H

#include <stddef.h>

#include <lauxlib.h>

#include "l_matrix.h"

/* A new matrix whose values the caller overwrites (not zeroed). */
cf_lmatrix *cf_lmat_alloc(lua_State *L, int ndim, const int64_t *shape);
/* "2x3" into buf. */
const char *cf_lmat_shape_str(const cf_lmatrix *m, char *buf, size_t len);
int cf_lmat_same_shape(const cf_lmatrix *a, const cf_lmatrix *b);
/* Raise an argument error unless m has two dimensions. */
void cf_lmat_check_2d(lua_State *L, const cf_lmatrix *m, int arg, const char *what);
/* A dimension argument (1-based, within m's), or raise naming it. */
int cf_lmat_dim_arg(lua_State *L, const cf_lmatrix *m, int arg);

/* methods and metamethods defined in l_matrix_ops.c */
int cf_lmat_mm(lua_State *L);
int cf_lmat_mtimes(lua_State *L);
int cf_lmat_add(lua_State *L);
int cf_lmat_subtract(lua_State *L);
int cf_lmat_mul(lua_State *L);
int cf_lmat_div(lua_State *L);
int cf_lmat_pow(lua_State *L);
int cf_lmat_unm(lua_State *L);
int cf_lmat_eq(lua_State *L);
int cf_lmat_map(lua_State *L);
int cf_lmat_fill(lua_State *L);
int cf_lmat_sum(lua_State *L);
int cf_lmat_mean(lua_State *L);
int cf_lmat_var(lua_State *L);
int cf_lmat_std(lua_State *L);
int cf_lmat_min(lua_State *L);
int cf_lmat_max(lua_State *L);
int cf_lmat_argmax(lua_State *L);
int cf_lmat_argmin(lua_State *L);
int cf_lmat_sqrt(lua_State *L);
int cf_lmat_exp(lua_State *L);
int cf_lmat_log(lua_State *L);
int cf_lmat_abs(lua_State *L);
int cf_lmat_clamp(lua_State *L);
int cf_lmat_diag(lua_State *L);
int cf_lmat_normalize(lua_State *L);
int cf_lmat_cat(lua_State *L);
int cf_lmat_dot(lua_State *L);

/* l_matrix_print.c */
int cf_lmat_summary(lua_State *L);
int cf_lmat_pretty(lua_State *L);

#endif
