/* ot_simplex.c — exact transport by a primal network simplex on the
 * bipartite transportation graph (rows = sources, columns = targets).
 *
 * Design choices (clean-room; see share/doc/ot.md):
 *  - No artificial root and no big-M costs: the starting basis is a greedy
 *    regret plan (north-west corner as the fallback) whose tree is
 *    *strongly feasible* (every zero-flow tree arc points away from the
 *    root, row 0).  Cunningham's leaving-arc rule keeps it so, which
 *    prevents cycling on degenerate problems.  The duals are plain tree
 *    potentials, of the size of the costs.
 *  - Pricing is a block search over the row-major cost matrix: whole rows
 *    are priced with a contiguous, vectorisable min-scan of M_ij − v_j,
 *    cyclically from where the last search stopped, until at least
 *    √(n·m) arcs have been seen and one of them is eligible; the most
 *    negative arc in the block enters (its column found by an exact
 *    equality scan for the row's minimum).  Optimal when a full sweep finds
 *    no reduced cost below −1e-12·max|M|.
 *  - The tree is stored as parent links, subtree sizes and a cyclic
 *    preorder thread (next / previous / last node of each subtree), with
 *    the flow of each node's parent arc on the node.  A pivot records the
 *    two cycle paths once, re-hangs the moved subtree by splicing thread
 *    segments along the reversed stem (cost: the cycle length), and shifts
 *    the potentials of the smaller side — a straight thread walk.  Column
 *    potentials are stored negated so that shift is one addition per node.
 *  - Zero-mass rows and columns are removed before solving and restored
 *    afterwards with duals that keep the certificate valid.
 * One solver "iteration" is a block of at most n+m pivots.
 */
#include "ot_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct simplex {
	int64_t n0, m0;          /* original sizes */
	int32_t n, m, N;         /* reduced sizes, N = n + m */
	int32_t *ri, *ci;        /* reduced index -> original index */
	double *Mown;            /* reduced cost copy (NULL when nothing dropped) */
	const double *M;         /* n×m reduced costs */
	double *a, *b;           /* reduced weights */
	int32_t *parent, *size;  /* tree: parent node, subtree size */
	int32_t *thread, *rev;   /* preorder, cyclic (root 0 after the last node) */
	int32_t *last;           /* last node of each subtree in preorder */
	int32_t *child, *next, *prev; /* child lists, only while building a start */
	int32_t *stack;          /* 2N scratch: DFS stack / the two cycle paths */
	int32_t *old;            /* 4N scratch: stem values before a re-hang */
	double *flow;            /* flow on the arc node—parent */
	double *pot;             /* N: u_i (rows), then w_j = −v_j (columns), so
	                            M_ij − u_i − v_j = M_ij − pot_i + pot_{n+j}
	                            and a shift (du, −du) adds du to every node */
	double eps;              /* pricing tolerance */
	int64_t block;           /* arcs per pricing block */
	int32_t cursor;          /* next row to price */
	int optimal;
} simplex;

/* min_j (Mi[j] + w[j]); the costs are finite (validated), so the min can
 * be vectorised (finite-math-only above). */
CF_HOT("no-signed-zeros", "finite-math-only") static double row_min(const double *Mi, const double *w, int32_t m)
{
	double mn = INFINITY;
	for (int32_t j = 0; j < m; j++) {
		double t = Mi[j] + w[j];
		mn = t < mn ? t : mn;
	}
	return mn;
}

/* First j with Mi[j] + w[j] == target (the value row_min returned: the
 * same sums, so the comparison is exact); m − 1 if none. */
CF_HOT("no-signed-zeros", "finite-math-only") static int32_t row_find(const double *Mi, const double *w, int32_t m, double target)
{
	for (int32_t j = 0; j < m; j++)
		if (Mi[j] + w[j] == target)
			return j;
	return m - 1;
}

static void free_impl(void *p)
{
	simplex *x = p;
	if (!x)
		return;
	free(x->ri);
	free(x->ci);
	free(x->Mown);
	free(x->a);
	free(x->b);
	free(x->parent);
	free(x->size);
	free(x->thread);
	free(x->rev);
	free(x->last);
	free(x->child);
	free(x->next);
	free(x->prev);
	free(x->stack);
	free(x->old);
	free(x->flow);
	free(x->pot);
	free(x);
}

static void link_child(simplex *x, int32_t c, int32_t p)
{
	int32_t f = x->child[p];
	x->parent[c] = p;
	x->prev[c] = -1;
	x->next[c] = f;
	if (f >= 0)
		x->prev[f] = c;
	x->child[p] = c;
}

/* Tree arc of node k (non-root): its row and column. */
static inline void arc_of(const simplex *x, int32_t k, int32_t *i, int32_t *j)
{
	if (k < x->n) {
		*i = k;
		*j = x->parent[k] - x->n;
	} else {
		*i = x->parent[k];
		*j = k - x->n;
	}
}

/* From the child lists of a start: the preorder thread, subtree sizes and
 * last nodes, and the potentials (u_root = 0, zero reduced cost on every
 * tree arc).  The child lists are not used after this. */
static void tree_fresh(simplex *x)
{
	int32_t sp = 0, cnt = 0, n = x->n, m = x->m, N = x->N;
	int32_t *order = x->stack + N; /* second half of the stack buffer */
	double *pot = x->pot;
	x->stack[sp++] = 0;
	while (sp) {
		int32_t k = x->stack[--sp], p = x->parent[k];
		order[cnt++] = k;
		if (p < 0)
			pot[k] = 0;
		else if (k < n)
			pot[k] = x->M[(int64_t)k * m + (p - n)] + pot[p];
		else
			pot[k] = pot[p] - x->M[(int64_t)p * m + (k - n)];
		x->size[k] = 1;
		for (int32_t c = x->child[k]; c >= 0; c = x->next[c])
			x->stack[sp++] = c;
	}
	for (int32_t t = 0; t < cnt; t++) {
		int32_t k = order[t], nx = order[t + 1 == cnt ? 0 : t + 1];
		x->thread[k] = nx;
		x->rev[nx] = k;
		x->last[k] = k;
	}
	for (int32_t t = cnt - 1; t > 0; t--) {
		int32_t k = order[t], p = x->parent[k];
		x->size[p] += x->size[k];
		/* the first child met backwards is the parent's last subtree */
		if (x->last[p] == p)
			x->last[p] = x->last[k];
	}
}

/* North-west-corner start (the fallback when the greedy start cannot be
 * used).  On a tie (row and column exhausted together) move right: the
 * zero-flow arc (i, j+1) then points away from the root. */
static void start_northwest(simplex *x, double tie)
{
	int32_t n = x->n, m = x->m, i = 0, j = 0, cell = n + 0;
	double ra = x->a[0], rb = x->b[0];
	for (int32_t k = 0; k < x->N; k++) {
		x->parent[k] = x->child[k] = x->next[k] = x->prev[k] = -1;
		x->flow[k] = 0;
	}
	link_child(x, cell, 0);
	for (;;) {
		double f;
		int right, is_tie = 0;
		if (i == n - 1 && j == m - 1) {
			x->flow[cell] = fmax(0.0, fmin(ra, rb));
			break;
		}
		if (j == m - 1)
			f = ra, right = 0;
		else if (i == n - 1)
			f = rb, right = 1;
		else if (fabs(ra - rb) <= tie)
			f = ra, right = 1, is_tie = 1;
		else if (ra < rb)
			f = ra, right = 0;
		else
			f = rb, right = 1;
		x->flow[cell] = fmax(0.0, f);
		if (right) {
			ra = is_tie ? 0.0 : ra - f;
			j++;
			rb = x->b[j];
			cell = n + j;
			link_child(x, cell, i);
		} else {
			rb -= f;
			i++;
			ra = x->a[i];
			cell = i;
			link_child(x, cell, n + j);
		}
	}
}

/* Index of the first minimum of Mi[j] + pen[j] (pen = +inf for closed
 * columns), or −1 when every column is closed.  Two passes so that the min
 * scan vectorises. */
CF_HOT("no-signed-zeros", "finite-math-only") static int32_t open_argmin(const double *Mi, const double *pen, int32_t m)
{
	double mn = INFINITY;
	for (int32_t j = 0; j < m; j++) {
		double w = Mi[j] + pen[j];
		mn = w < mn ? w : mn;
	}
	if (mn == INFINITY)
		return -1;
	for (int32_t j = 0; j < m; j++)
		if (Mi[j] + pen[j] == mn)
			return j;
	return -1;
}

/* Greedy "row minimum" start: rows in index order each send their mass to
 * their cheapest open columns (lowest index among equal costs), closing a
 * column when it is full.  Every allocation closes a row or a column, so the
 * positive arcs form a forest; it is rooted at row 0 and every other
 * component is hung from the cheapest already-connected row by a zero-flow
 * arc into one of its columns — a zero-flow arc from a row down to a column
 * points away from the root, so the tree is strongly feasible.  Far fewer
 * pivots follow than from the north-west corner.  Returns 0 (and leaves the
 * tree to the caller) when rounding left a row without any allocation or a
 * residual above 1e-9·Σa. */
typedef struct { double key; int32_t i; } rowkey;

static int rowkey_cmp(const void *pa, const void *pb)
{
	const rowkey *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

static int start_greedy(simplex *x, double tie)
{
	int32_t n = x->n, m = x->m, N = x->N, na = 0, cap = N + 1;
	int32_t *ai = malloc((size_t)cap * sizeof *ai), *aj = malloc((size_t)cap * sizeof *aj);
	int32_t *deg = calloc((size_t)N + 1, sizeof *deg), *adj = malloc(2 * (size_t)cap * sizeof *adj);
	double *af = malloc((size_t)cap * sizeof *af), *pen = calloc((size_t)m, sizeof *pen);
	double *rb = malloc((size_t)m * sizeof *rb), sa = 0, resid = 0;
	char *seen = calloc((size_t)N, 1);
	rowkey *ord = malloc((size_t)n * sizeof *ord);
	int ok = ai && aj && deg && adj && af && pen && rb && seen && ord;

	if (ok) {
		for (int32_t i = 0; i < n; i++) {
			const double *Mi = x->M + (int64_t)i * m;
			double m1 = INFINITY, m2 = INFINITY;
			for (int32_t j = 0; j < m; j++) {
				double w = Mi[j];
				if (w < m1) {
					m2 = m1;
					m1 = w;
				} else if (w < m2) {
					m2 = w;
				}
			}
			ord[i].key = m > 1 ? m2 - m1 : 0;
			ord[i].i = i;
		}
		qsort(ord, (size_t)n, sizeof *ord, rowkey_cmp);
		memcpy(rb, x->b, (size_t)m * sizeof *rb);
		for (int32_t t = 0; t < n && ok; t++) {
			int32_t i = ord[t].i;
			double ra = x->a[i];
			int first = 1;
			sa += ra;
			while (first || ra > tie) {
				int32_t j = open_argmin(x->M + (int64_t)i * m, pen, m);
				double f;
				if (j < 0 || na == cap) {
					ok = !first; /* no column left: rounding residue */
					resid += ra;
					break;
				}
				first = 0;
				f = ra < rb[j] ? ra : rb[j];
				ai[na] = i;
				aj[na] = j;
				af[na++] = f;
				ra -= f;
				rb[j] -= f;
				if (rb[j] <= tie) {
					pen[j] = INFINITY;
					resid += rb[j];
				}
			}
		}
		for (int32_t j = 0; j < m; j++)
			if (pen[j] == 0)
				resid += rb[j];
		ok = ok && resid <= 1e-9 * sa;
	}
	if (ok) {
		/* adjacency (CSR) of the allocation forest */
		for (int32_t k = 0; k < na; k++) {
			deg[ai[k] + 1]++;
			deg[n + aj[k] + 1]++;
		}
		for (int32_t k = 0; k < N; k++)
			deg[k + 1] += deg[k];
		for (int32_t k = 0; k < na; k++) {
			adj[deg[ai[k]]++] = k;
			adj[deg[n + aj[k]]++] = k;
		}
		for (int32_t k = N; k > 0; k--)
			deg[k] = deg[k - 1];
		deg[0] = 0;
		for (int32_t k = 0; k < N; k++) {
			x->parent[k] = x->child[k] = x->next[k] = x->prev[k] = -1;
			x->flow[k] = 0;
		}
		/* component of row 0, then one component per unconnected column */
		for (int32_t c = -1; c < m; c++) {
			int32_t start = c < 0 ? 0 : n + c, sp = 0;
			if (seen[start])
				continue;
			if (c >= 0) {
				int32_t bi = -1;
				double bm = INFINITY;
				for (int32_t i = 0; i < n; i++)
					if (seen[i] && x->M[(int64_t)i * m + c] < bm) {
						bm = x->M[(int64_t)i * m + c];
						bi = i;
					}
				link_child(x, start, bi); /* flow 0 */
			}
			seen[start] = 1;
			x->stack[sp++] = start;
			while (sp) {
				int32_t k = x->stack[--sp];
				for (int32_t e = deg[k]; e < deg[k + 1]; e++) {
					int32_t arc = adj[e], o = k < n ? n + aj[arc] : ai[arc];
					if (seen[o])
						continue;
					seen[o] = 1;
					link_child(x, o, k);
					x->flow[o] = af[arc];
					x->stack[sp++] = o;
				}
			}
		}
		for (int32_t k = 0; k < N; k++)
			ok = ok && seen[k];
	}
	free(ai);
	free(aj);
	free(deg);
	free(adj);
	free(af);
	free(pen);
	free(rb);
	free(seen);
	free(ord);
	return ok;
}

static int init(cf_ot_solver *s, cf_error *err)
{
	const cf_ot_problem *p = &s->prob;
	simplex *x = calloc(1, sizeof *x);
	int32_t n = 0, m = 0, N;
	double sa = 0, sb = 0, maxabs = 0, tie;

	if (!x)
		return cf_error_set(err, CF_ENOMEM, "out of memory for the network simplex");
	s->impl = x;
	x->n0 = p->n;
	x->m0 = p->m;
	x->ri = malloc((size_t)p->n * sizeof *x->ri);
	x->ci = malloc((size_t)p->m * sizeof *x->ci);
	x->a = malloc((size_t)p->n * sizeof *x->a);
	x->b = malloc((size_t)p->m * sizeof *x->b);
	if (!x->ri || !x->ci || !x->a || !x->b)
		return cf_error_set(err, CF_ENOMEM, "out of memory for the network simplex");
	for (int64_t i = 0; i < p->n; i++)
		if (p->a[i] > 0) {
			x->ri[n] = (int32_t)i;
			x->a[n++] = p->a[i];
			sa += p->a[i];
		}
	for (int64_t j = 0; j < p->m; j++)
		if (p->b[j] > 0) {
			x->ci[m] = (int32_t)j;
			x->b[m++] = p->b[j];
			sb += p->b[j];
		}
	/* Balance exactly up to rounding (the sums agree within mass_tol). */
	for (int32_t j = 0; j < m; j++)
		x->b[j] *= sa / sb;
	x->n = n;
	x->m = m;
	x->N = N = n + m;
	if (n == p->n && m == p->m) {
		x->M = p->M;
	} else {
		x->Mown = malloc((size_t)n * (size_t)m * sizeof *x->Mown);
		if (!x->Mown)
			return cf_error_set(err, CF_ENOMEM, "out of memory for the reduced cost matrix");
		for (int32_t i = 0; i < n; i++)
			for (int32_t j = 0; j < m; j++)
				x->Mown[(int64_t)i * m + j] = p->M[(int64_t)x->ri[i] * p->m + x->ci[j]];
		x->M = x->Mown;
	}
	for (int64_t k = 0; k < (int64_t)n * m; k++) {
		double t = fabs(x->M[k]);
		maxabs = t > maxabs ? t : maxabs;
	}
	x->eps = 1e-12 * maxabs;
	x->block = (int64_t)sqrt((double)n * (double)m);
	if (x->block < 10)
		x->block = 10;

	x->parent = malloc((size_t)N * sizeof(int32_t));
	x->child = malloc((size_t)N * sizeof(int32_t));
	x->next = malloc((size_t)N * sizeof(int32_t));
	x->prev = malloc((size_t)N * sizeof(int32_t));
	x->size = malloc((size_t)N * sizeof(int32_t));
	x->thread = malloc((size_t)N * sizeof(int32_t));
	x->rev = malloc((size_t)N * sizeof(int32_t));
	x->last = malloc((size_t)N * sizeof(int32_t));
	x->stack = malloc(2 * (size_t)N * sizeof(int32_t));
	x->old = malloc(4 * (size_t)N * sizeof(int32_t));
	x->flow = calloc((size_t)N, sizeof(double));
	x->pot = calloc((size_t)N, sizeof(double));
	if (!x->parent || !x->child || !x->next || !x->prev || !x->size || !x->thread ||
	    !x->rev || !x->last || !x->stack || !x->old || !x->flow || !x->pot)
		return cf_error_set(err, CF_ENOMEM, "out of memory for the network simplex tree");
	for (int32_t k = 0; k < N; k++)
		x->parent[k] = x->child[k] = x->next[k] = x->prev[k] = -1;

	tie = 1e-13 * sa;
	if (!start_greedy(x, tie))
		start_northwest(x, tie);
	tree_fresh(x);
	free(x->child);
	free(x->next);
	free(x->prev);
	x->child = x->next = x->prev = NULL;
	x->cursor = 0;
	return CF_OK;
}

/* Price one block; returns 1 with the entering arc (i, j, reduced cost r),
 * 0 when no arc is eligible (optimal). */
static int find_entering(simplex *x, int32_t *ei, int32_t *ej, double *er)
{
	int64_t seen = 0;
	double best = -x->eps, bmin = 0;
	int32_t bi = -1, n = x->n, m = x->m;
	const double *w = x->pot + n;

	for (int32_t cnt = 0; cnt < n; cnt++) {
		int32_t i = x->cursor;
		double mn = row_min(x->M + (int64_t)i * m, w, m), r = mn - x->pot[i];
		if (r < best) {
			best = r;
			bmin = mn;
			bi = i;
		}
		seen += m;
		x->cursor = i + 1 == n ? 0 : i + 1;
		if (bi >= 0 && seen >= x->block)
			break;
	}
	if (bi < 0)
		return 0;
	*ei = bi;
	*ej = row_find(x->M + (int64_t)bi * m, w, m, bmin);
	*er = x->M[(int64_t)bi * m + *ej] - x->pot[bi] + w[*ej];
	return 1;
}

static void pivot(simplex *x, int32_t ei, int32_t ej, double r)
{
	int32_t n = x->n, p = ei, q = n + ej, a = p, b = q, na = 0, nb = 0, out = -1, side = 0;
	int32_t *parent = x->parent, *size = x->size, *thread = x->thread, *rev = x->rev;
	int32_t *last = x->last, *pa = x->stack, *pb = x->stack + x->N;
	double *flow = x->flow, theta = INFINITY;

	/* The two paths from p and q up to the cycle's apex, recorded once:
	 * climb from the endpoint with the smaller subtree (an ancestor's
	 * subtree is strictly larger). */
	while (a != b) {
		if (size[a] < size[b]) {
			pa[na++] = a;
			a = parent[a];
		} else {
			pb[nb++] = b;
			b = parent[b];
		}
	}
	/* Cunningham's rule: the last blocking arc met when walking the cycle
	 * apex → … → p → q → … → apex.  On p's side rows are blocking (their
	 * arc to the parent is walked against its direction), on q's side
	 * columns. */
	for (int32_t t = 0; t < na; t++)
		if (pa[t] < n && flow[pa[t]] < theta) {
			theta = flow[pa[t]];
			out = t;
			side = 1;
		}
	for (int32_t t = 0; t < nb; t++)
		if (pb[t] >= n && flow[pb[t]] <= theta) {
			theta = flow[pb[t]];
			out = t;
			side = 2;
		}
	if (theta > 0) {
		for (int32_t t = 0; t < na; t++)
			flow[pa[t]] += pa[t] < n ? -theta : theta;
		for (int32_t t = 0; t < nb; t++)
			flow[pb[t]] += pb[t] >= n ? -theta : theta;
	}
	{
		/* The subtree of the leaving node s_t (S nodes) is cut and hung
		 * under the entering arc from the other endpoint v_in, re-rooted
		 * at the entering endpoint s_0 = u_in; the stem s_0 … s_t (a
		 * prefix of the recorded path) is reversed. */
		int32_t *st = side == 1 ? pa : pb, len = side == 1 ? na : nb;
		int32_t *ot = side == 1 ? pb : pa, olen = side == 1 ? nb : na;
		int32_t vin = side == 1 ? q : p, uout = st[out], S = size[uout];
		int32_t *olast = x->old, *orev = olast + x->N, *othr = orev + x->N, *osz = othr + x->N;
		int32_t before, after, tail, w;
		double delta = side == 1 ? r : -r;

		for (int32_t t = 0; t <= out; t++) {
			int32_t k = st[t];
			olast[t] = last[k];
			orev[t] = rev[k];
			othr[t] = thread[last[k]];
			osz[t] = size[k];
		}
		/* sizes: the old ancestors below the apex lose S, the new gain S */
		for (int32_t t = out + 1; t < len; t++)
			size[st[t]] -= S;
		for (int32_t t = 0; t < olen; t++)
			size[ot[t]] += S;
		/* cut the preorder segment s_t … last(s_t) out of the thread */
		before = orev[out];
		after = othr[out];
		thread[before] = after;
		rev[after] = before;
		for (w = parent[uout]; w >= 0 && last[w] == olast[out]; w = parent[w])
			last[w] = before;
		/* the re-rooted preorder: subtree(s_0), then for k = 1 … t the part
		 * of subtree(s_k) outside subtree(s_{k−1}) — s_k … (node before
		 * s_{k−1}), then (node after last(s_{k−1})) … last(s_k) */
		tail = olast[0];
		for (int32_t t = 1; t <= out; t++) {
			int32_t k = st[t];
			thread[tail] = k;
			rev[k] = tail;
			if (olast[t] != olast[t - 1]) {
				thread[orev[t - 1]] = othr[t - 1];
				rev[othr[t - 1]] = orev[t - 1];
				tail = olast[t];
			} else {
				tail = orev[t - 1];
			}
		}
		/* stem links, flows and sizes; every stem node now ends at tail */
		for (int32_t t = out; t > 0; t--) {
			int32_t k = st[t];
			parent[k] = st[t - 1];
			flow[k] = flow[st[t - 1]];
			size[k] = S - osz[t - 1];
			last[k] = tail;
		}
		parent[st[0]] = vin;
		flow[st[0]] = theta;
		size[st[0]] = S;
		last[st[0]] = tail;
		/* insert as the first child of v_in */
		after = thread[vin];
		thread[vin] = st[0];
		rev[st[0]] = vin;
		thread[tail] = after;
		rev[after] = tail;
		if (last[vin] == vin)
			for (w = vin; w >= 0 && last[w] == vin; w = parent[w])
				last[w] = tail;
		/* zero reduced cost on the entering arc: the moved part shifts by
		 * (δ, −δ) — pot += δ — or the rest by the opposite; same reduced
		 * costs (global shift u + c, v − c).  Straight thread walks. */
		if (2 * (int64_t)S <= x->N) {
			w = st[0];
			for (int32_t c = 0; c < S; c++, w = thread[w])
				x->pot[w] += delta;
		} else {
			w = after;
			for (int32_t c = S; c < x->N; c++, w = thread[w])
				x->pot[w] -= delta;
		}
	}
}

/* Debug aid (build with -DCF_SIMPLEX_DEBUG): after every pivot, check the
 * thread, rev, last, size, parent, flow and potential invariants; abort on
 * the first violation.  Quadratic: for small test problems only. */
#ifdef CF_SIMPLEX_DEBUG
#include <stdio.h>
static void tree_verify(const simplex *x)
{
	int32_t N = x->N, n = x->n, k = 0, cnt = 0;
	int32_t *pos = calloc((size_t)N, sizeof *pos);
	do {
		if (x->rev[x->thread[k]] != k) { fprintf(stderr, "rev broken at %d\n", k); abort(); }
		pos[k] = cnt++;
		k = x->thread[k];
	} while (k != 0 && cnt <= N);
	if (cnt != N) { fprintf(stderr, "thread length %d != %d\n", cnt, N); abort(); }
	for (k = 0; k < N; k++) {
		int32_t p = x->parent[k];
		if (p >= 0) {
			if (pos[p] >= pos[k]) { fprintf(stderr, "parent after child %d\n", k); abort(); }
			if ((k < n) == (p < n)) { fprintf(stderr, "not bipartite %d\n", k); abort(); }
			double rc = k < n ? x->M[(int64_t)k * x->m + p - n] - x->pot[k] + x->pot[p]
			                  : x->M[(int64_t)p * x->m + k - n] - x->pot[p] + x->pot[k];
			if (fabs(rc) > 1e-9 * (1 + x->eps * 1e12)) { fprintf(stderr, "rc %g at %d\n", rc, k); abort(); }
			if (x->flow[k] < -1e-12) { fprintf(stderr, "neg flow %d\n", k); abort(); }
		}
		if (pos[x->last[k]] - pos[k] + 1 != x->size[k]) { fprintf(stderr, "size/last %d\n", k); abort(); }
		/* every node in the segment descends from k */
		for (int32_t t = x->thread[k], c = 1; c < x->size[k]; c++, t = x->thread[t]) {
			int32_t z = t;
			while (z >= 0 && z != k) z = x->parent[z];
			if (z != k) { fprintf(stderr, "segment of %d holds %d\n", k, t); abort(); }
		}
	}
	free(pos);
}
#endif

static int iterate(cf_ot_solver *s, cf_error *err)
{
	simplex *x = s->impl;
	(void)err; /* a step of this solver cannot fail */
	int64_t budget = x->N;
	if (s->par.max_iter > 0 && s->par.max_iter - s->iter < budget)
		budget = s->par.max_iter - s->iter;
	for (int64_t k = 0; k < budget; k++) {
		int32_t i, j;
		double r;
		if (!find_entering(x, &i, &j, &r)) {
			x->optimal = 1;
			cf_ot_finish(s, CF_OT_OPTIMAL, "optimal after %lld pivots", (long long)s->iter);
			return CF_OK;
		}
		pivot(x, i, j, r);
#ifdef CF_SIMPLEX_DEBUG
		tree_verify(x);
#endif
		s->iter++;
	}
	return CF_OK;
}

static void plan(const cf_ot_solver *s, double *T, double *u, double *v)
{
	const simplex *x = s->impl;
	const double *M = s->prob.M;
	int64_t n0 = x->n0, m0 = x->m0;
	if (T) {
		memset(T, 0, (size_t)(n0 * m0) * sizeof *T);
		for (int32_t k = 0; k < x->N; k++) {
			int32_t i, j;
			if (x->parent[k] < 0)
				continue;
			arc_of(x, k, &i, &j);
			T[(int64_t)x->ri[i] * m0 + x->ci[j]] += x->flow[k];
		}
	}
	if (u && v) {
		/* Kept points take the tree potentials; a dropped row (column)
		 * takes the largest value that keeps its reduced costs >= 0. */
		char *keep_r = calloc((size_t)n0, 1), *keep_c = calloc((size_t)m0, 1);
		if (!keep_r || !keep_c) {
			free(keep_r);
			free(keep_c);
			for (int64_t i = 0; i < n0; i++)
				u[i] = NAN;
			for (int64_t j = 0; j < m0; j++)
				v[j] = NAN;
			return;
		}
		for (int32_t i = 0; i < x->n; i++) {
			keep_r[x->ri[i]] = 1;
			u[x->ri[i]] = x->pot[i];
		}
		for (int32_t j = 0; j < x->m; j++) {
			keep_c[x->ci[j]] = 1;
			v[x->ci[j]] = -x->pot[x->n + j];
		}
		for (int64_t i = 0; i < n0; i++) {
			double mn = INFINITY;
			if (keep_r[i])
				continue;
			for (int32_t j = 0; j < x->m; j++)
				mn = fmin(mn, M[i * m0 + x->ci[j]] + x->pot[x->n + j]);
			u[i] = mn;
		}
		for (int64_t j = 0; j < m0; j++) {
			double mn = INFINITY;
			if (keep_c[j])
				continue;
			for (int64_t i = 0; i < n0; i++)
				mn = fmin(mn, M[i * m0 + j] - u[i]);
			v[j] = mn;
		}
		free(keep_r);
		free(keep_c);
	}
}

const struct cf_ot_ops cf_ot_simplex_ops = {"emd", init, iterate, plan, free_impl, NULL};
