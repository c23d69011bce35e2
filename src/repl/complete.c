/* complete.c — tab completion for the console.
 *
 * Design choice (after torch/trepl's readline.c): the word under the
 * cursor keeps its dots and colons ("cf.ot.so", "obj:fr"), the part before
 * the last separator is walked from the globals field by field, and the
 * candidates are the string keys of the value reached plus those of its
 * metatable's __index tables (so methods of objects complete).  All access
 * is raw — no metamethod and no Lua code runs on a key press.  Names
 * starting with "_" are offered only when the user typed "_".  Inside a
 * string, readline's file name completion takes over.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/readline.h>

#include <lauxlib.h>

#include "repl.h"

#define MAX_INDEX_DEPTH 20 /* guard against __index loops */

static lua_State *completion_L;

static const char *const keywords[] = {
	"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if",
	"in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
	NULL};

struct matches {
	char **v;
	size_t n, cap;
};

static void add_match(struct matches *m, const char *prefix, size_t plen, const char *name,
		      const char *suffix)
{
	for (size_t i = 0; i < m->n; i++) { /* a method shadowed by a field */
		if (strncmp(m->v[i] + plen, name, strlen(name)) == 0 &&
		    (m->v[i][plen + strlen(name)] == '\0' ||
		     strchr("(.", m->v[i][plen + strlen(name)]) != NULL))
			return;
	}
	if (m->n + 2 > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		char **v = realloc(m->v, cap * sizeof *v);
		if (v == NULL)
			return;
		m->v = v;
		m->cap = cap;
	}
	size_t len = plen + strlen(name) + strlen(suffix) + 1;
	char *s = malloc(len);
	if (s == NULL)
		return;
	snprintf(s, len, "%.*s%s%s", (int)plen, prefix, name, suffix);
	m->v[m->n++] = s;
	m->v[m->n] = NULL;
}

static int is_identifier(const char *s, size_t n)
{
	if (n == 0 || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];
		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/* Push the __index table of the value at idx, or return 0 (nothing pushed). */
static int push_index_table(lua_State *L, int idx)
{
	if (!lua_getmetatable(L, idx))
		return 0;
	lua_pushliteral(L, "__index");
	lua_rawget(L, -2);
	lua_remove(L, -2);
	if (lua_type(L, -1) == LUA_TTABLE)
		return 1;
	lua_pop(L, 1);
	return 0;
}

/* Replace the value on top by its field `key` (raw, then through __index
 * tables); leaves nil when there is none. */
static void step_into(lua_State *L, const char *key, size_t klen)
{
	int v = lua_gettop(L);
	lua_pushnil(L); /* result */
	lua_pushvalue(L, v);
	for (int depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
		int cur = lua_gettop(L);
		if (lua_type(L, cur) == LUA_TTABLE) {
			lua_pushlstring(L, key, klen);
			if (lua_rawget(L, cur) != LUA_TNIL) {
				lua_replace(L, v + 1);
				break;
			}
			lua_pop(L, 1);
		}
		if (!push_index_table(L, cur))
			break;
		lua_remove(L, cur);
	}
	lua_settop(L, v + 1);
	lua_replace(L, v);
}

/* Add the matching string keys of the table at idx. */
static void collect_keys(lua_State *L, int idx, struct matches *m, const char *word,
			 size_t plen, const char *part, int methods_only)
{
	size_t partlen = strlen(part);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			size_t klen;
			const char *k = lua_tolstring(L, -2, &klen);
			int t = lua_type(L, -1);
			int wanted = strncmp(k, part, partlen) == 0 && is_identifier(k, klen) &&
				     (k[0] != '_' || part[0] == '_') &&
				     (!methods_only || t == LUA_TFUNCTION);
			if (wanted) {
				const char *suffix = t == LUA_TFUNCTION ? "(" : t == LUA_TTABLE ? "." : "";
				add_match(m, word, plen, k, suffix);
			}
		}
		lua_pop(L, 1);
	}
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **cf_repl_completions(lua_State *L, const char *word)
{
	struct matches m = {NULL, 0, 0};
	int top = lua_gettop(L);
	size_t plen = strlen(word); /* becomes the start of the partial name */
	while (plen > 0 && word[plen - 1] != '.' && word[plen - 1] != ':')
		plen--;
	const char *part = word + plen;
	int methods_only = plen > 0 && word[plen - 1] == ':';

	lua_pushglobaltable(L);
	/* walk the path components before the partial name */
	size_t pos = 0;
	while (pos < plen) {
		size_t n = strcspn(word + pos, ".:");
		if (!is_identifier(word + pos, n) || lua_isnil(L, -1))
			goto done;
		step_into(L, word + pos, n);
		pos += n + 1;
	}
	if (lua_isnil(L, -1))
		goto done;
	int base = lua_gettop(L);
	lua_pushvalue(L, base);
	for (int depth = 0; depth < MAX_INDEX_DEPTH; depth++) {
		int cur = lua_gettop(L);
		if (lua_type(L, cur) == LUA_TTABLE)
			collect_keys(L, cur, &m, word, plen, part, methods_only);
		if (!push_index_table(L, cur))
			break;
	}
	if (plen == 0)
		for (const char *const *k = keywords; *k; k++)
			if (strncmp(*k, part, strlen(part)) == 0)
				add_match(&m, word, 0, *k, "");
done:
	lua_settop(L, top);
	if (m.n == 0) {
		free(m.v);
		return NULL;
	}
	qsort(m.v, m.n, sizeof *m.v, compare_strings);
	return m.v;
}

/* readline wants a generator that hands out one match per call. */
static char **pending;
static size_t pending_pos;

static char *generator(const char *text, int state)
{
	if (state == 0) {
		if (pending) {
			for (size_t i = pending_pos; pending[i]; i++)
				free(pending[i]);
			free(pending);
		}
		pending = cf_repl_completions(completion_L, text);
		pending_pos = 0;
	}
	if (pending == NULL || pending[pending_pos] == NULL) {
		free(pending);
		pending = NULL;
		return NULL;
	}
	return pending[pending_pos++]; /* readline frees it */
}

static char **attempt(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	if (rl_completion_quote_character) { /* inside a string: file names */
		rl_attempted_completion_over = 0;
		return NULL;
	}
	rl_attempted_completion_over = 1;
	rl_completion_append_character = '\0';
	return rl_completion_matches(text, generator);
}

void cf_repl_complete_init(lua_State *L)
{
	completion_L = L;
	rl_attempted_completion_function = attempt;
	/* '.' and ':' are not word breaks: the word is the whole path.  '/'
	 * and '~' are not either, or a file name in a string would lose its
	 * first character (readline skips a break character after the quote). */
	static char breaks[] = " \t\n\"\\'`@$><=;|&{(,+-*%^#[]})";
	rl_completer_word_break_characters = breaks;
	rl_basic_word_break_characters = breaks;
	rl_completer_quote_characters = "\"'";
}
