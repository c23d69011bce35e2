/* help.c — the help system: help(), help(x), help "topic", cf.doc*.
 *
 * Design choice: help is keyed by VALUE (as in gsl-shell), so help(f) works
 * whatever name the user bound f to, and also by full name ("cf.ot.solve",
 * "Tensor:sum") and by topic.  Everything is kept in one Lua table in the
 * registry: entries {kind, name, parent, sig, text}, a weak-keyed map from
 * values (functions, module tables, metatables) to entries, a name map, and
 * ordered lists for the listings.  Binding files fill it through
 * cf_lua_register / cf_lua_register_type (host.c); Lua code through
 * cf.doc_add.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "host.h"

static const char HELP_KEY[] = "clafuse.help";

#define LISTING_COLUMNS 80 /* width of help listings */
#define SIG_COLUMNS 32     /* signature column of help listings */

/* Push the help registry table. */
static void push_registry(lua_State *L)
{
	if (lua_getfield(L, LUA_REGISTRYINDEX, HELP_KEY) == LUA_TTABLE)
		return;
	lua_pop(L, 1);
	lua_newtable(L);
	lua_newtable(L); /* byvalue, weak keys: help never keeps a value alive */
	lua_newtable(L);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, -2, "byvalue");
	const char *lists[] = {"byname", "list", "topics", "topiclist", "types"};
	for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
		lua_newtable(L);
		lua_setfield(L, -2, lists[i]);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, HELP_KEY);
}

/* Push registry field `field` (a table) and remove the registry itself. */
static void push_part(lua_State *L, const char *field)
{
	push_registry(L);
	lua_getfield(L, -1, field);
	lua_remove(L, -2);
}

static void append(lua_State *L, int list)
{
	lua_rawseti(L, list, (lua_Integer)lua_rawlen(L, list) + 1);
}

void cf_lua_help_add(lua_State *L, int validx, const char *kind, const char *name,
		     const char *parent, const char *signature, const char *text)
{
	if (validx)
		validx = lua_absindex(L, validx);
	int top = lua_gettop(L);
	push_registry(L);
	int reg = lua_gettop(L);
	lua_createtable(L, 0, 5);
	int e = lua_gettop(L);
	lua_pushstring(L, kind);
	lua_setfield(L, e, "kind");
	lua_pushstring(L, name);
	lua_setfield(L, e, "name");
	if (parent) {
		lua_pushstring(L, parent);
		lua_setfield(L, e, "parent");
	}
	lua_pushstring(L, signature ? signature : name);
	lua_setfield(L, e, "sig");
	lua_pushstring(L, text ? text : "");
	lua_setfield(L, e, "text");

	lua_getfield(L, reg, "byname");
	lua_pushvalue(L, e);
	lua_setfield(L, -2, name);
	lua_getfield(L, reg, "list");
	lua_pushvalue(L, e);
	append(L, lua_gettop(L) - 1);
	if (validx && !lua_isnil(L, validx)) {
		lua_getfield(L, reg, "byvalue");
		lua_pushvalue(L, validx);
		lua_pushvalue(L, e);
		lua_rawset(L, -3);
		if (strcmp(kind, "type") == 0) {
			lua_getfield(L, reg, "types");
			lua_pushvalue(L, validx);
			append(L, lua_gettop(L) - 1);
		}
	}
	lua_settop(L, top);
}

void cf_lua_help_topic(lua_State *L, const char *name, const char *text)
{
	int top = lua_gettop(L);
	push_registry(L);
	int reg = lua_gettop(L);
	lua_createtable(L, 0, 3);
	lua_pushliteral(L, "topic");
	lua_setfield(L, -2, "kind");
	lua_pushstring(L, name);
	lua_setfield(L, -2, "name");
	lua_pushstring(L, text);
	lua_setfield(L, -2, "text");
	lua_getfield(L, reg, "topics");
	lua_getfield(L, -1, name);
	int existed = !lua_isnil(L, -1);
	lua_pop(L, 1);
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, name);
	if (!existed) {
		lua_getfield(L, reg, "topiclist");
		lua_pushstring(L, name);
		append(L, lua_gettop(L) - 1);
	}
	lua_settop(L, top);
}

/* String field of the table at idx, or "" */
static const char *sfield(lua_State *L, int idx, const char *k)
{
	lua_getfield(L, idx, k);
	const char *s = lua_tostring(L, -1);
	lua_pop(L, 1); /* still referenced by the table, so the pointer stays valid */
	return s ? s : "";
}

/* Add `text` to b, each line indented by `indent` spaces. */
static void add_indented(luaL_Buffer *b, const char *text, int indent)
{
	while (*text) {
		for (int i = 0; i < indent; i++)
			luaL_addchar(b, ' ');
		size_t n = strcspn(text, "\n");
		luaL_addlstring(b, text, n);
		luaL_addchar(b, '\n');
		text += n;
		if (*text == '\n')
			text++;
	}
}

/* One listing line: "  signature   summary" (summary = first text line);
 * a signature longer than `width` puts the summary on the next line. */
static void add_listing(luaL_Buffer *b, const char *sig, const char *text, int width)
{
	size_t sl = strcspn(text, "\n");
	int siglen = (int)strlen(sig);
	luaL_addstring(b, "  ");
	luaL_addstring(b, sig);
	if (sl > 0) {
		int pad = width - siglen + 2;
		if (siglen > width) {
			luaL_addchar(b, '\n');
			pad = width + 4;
		}
		for (int i = 0; i < pad; i++)
			luaL_addchar(b, ' ');
		/* keep listings within 80 columns; cut on a UTF-8 boundary */
		size_t avail = (size_t)(LISTING_COLUMNS - 4 - width);
		if (sl > avail) {
			sl = avail - 3;
			while (sl > 0 && ((unsigned char)text[sl] & 0xC0) == 0x80)
				sl--;
			luaL_addlstring(b, text, sl);
			luaL_addstring(b, "...");
		} else {
			luaL_addlstring(b, text, sl);
		}
	}
	luaL_addchar(b, '\n');
}

/* Add listing lines for the entries of `list` whose parent is `parent`
 * (NULL: entries without a parent; ANY_PARENT: whatever the parent) and,
 * when `kind` is non-NULL, whose kind is `kind`.  Returns the count. */
static const char ANY_PARENT[] = "";

static int add_children(lua_State *L, luaL_Buffer *b, int list, const char *parent,
			const char *kind)
{
	int count = 0;
	lua_Integer n = (lua_Integer)lua_rawlen(L, list);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, list, i);
		int e = lua_gettop(L);
		lua_getfield(L, e, "parent");
		const char *p = lua_tostring(L, -1);
		int match = parent == ANY_PARENT || (parent ? (p && strcmp(p, parent) == 0) : p == NULL);
		if (match && kind && strcmp(sfield(L, e, "kind"), kind) != 0)
			match = 0;
		if (match) {
			/* luaL_Buffer may sit on the stack: copy strings out first */
			char sig[256], text[256];
			snprintf(sig, sizeof sig, "%s", sfield(L, e, "sig"));
			snprintf(text, sizeof text, "%s", sfield(L, e, "text"));
			lua_pop(L, 2);
			add_listing(b, sig, text, SIG_COLUMNS);
			count++;
		} else {
			lua_pop(L, 2);
		}
	}
	return count;
}

/* Format the entry at index e into a string on the stack. */
static void push_entry_text(lua_State *L, int e)
{
	e = lua_absindex(L, e);
	luaL_Buffer b;
	const char *kind = sfield(L, e, "kind");
	const char *name = sfield(L, e, "name");
	push_part(L, "list");
	int list = lua_gettop(L);
	luaL_buffinit(L, &b);
	if (strcmp(kind, "topic") == 0) {
		luaL_addstring(&b, sfield(L, e, "text"));
		luaL_addchar(&b, '\n');
	} else if (strcmp(kind, "module") == 0 || strcmp(kind, "type") == 0) {
		const char *sig = sfield(L, e, "sig");
		const char *text = sfield(L, e, "text");
		luaL_addstring(&b, sig);
		if (strcmp(sig, name) != 0) {
			luaL_addstring(&b, " (");
			luaL_addstring(&b, name);
			luaL_addchar(&b, ')');
		}
		if (*text) {
			luaL_addstring(&b, " — ");
			luaL_addstring(&b, text);
		}
		luaL_addchar(&b, '\n');
		if (strcmp(kind, "module") == 0) {
			add_children(L, &b, list, name, "field");
			add_children(L, &b, list, name, "function");
			add_children(L, &b, list, name, "module");
		} else {
			luaL_addstring(&b, "methods and fields:\n");
			if (add_children(L, &b, list, name, NULL) == 0)
				luaL_addstring(&b, "  (none documented)\n");
		}
	} else {
		luaL_addstring(&b, sfield(L, e, "sig"));
		luaL_addchar(&b, '\n');
		add_indented(&b, sfield(L, e, "text"), 2);
	}
	luaL_pushresult(&b);
	lua_remove(L, list);
}

/* Push the entry called `name` and return 1, or push nothing and return 0. */
static int find_entry_by_name(lua_State *L, const char *name)
{
	push_part(L, "byname");
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
	if (!lua_isnil(L, -1))
		return 1;
	lua_pop(L, 1);
	return 0;
}

int cf_lua_help_push(lua_State *L, int idx)
{
	idx = lua_absindex(L, idx);
	if (lua_type(L, idx) == LUA_TSTRING) {
		const char *s = lua_tostring(L, idx);
		push_part(L, "topics");
		lua_getfield(L, -1, s);
		lua_remove(L, -2);
		if (!lua_isnil(L, -1)) {
			push_entry_text(L, -1);
			lua_remove(L, -2);
			return 1;
		}
		lua_pop(L, 1);
		if (find_entry_by_name(L, s)) {
			push_entry_text(L, -1);
			lua_remove(L, -2);
			return 1;
		}
		lua_pushfstring(L, "cf.%s", s);
		int found = find_entry_by_name(L, lua_tostring(L, -1));
		lua_remove(L, -1 - found);
		if (found) {
			push_entry_text(L, -1);
			lua_remove(L, -2);
			return 1;
		}
		lua_pushnil(L);
		return 0;
	}
	push_part(L, "byvalue");
	lua_pushvalue(L, idx);
	lua_rawget(L, -2);
	if (lua_isnil(L, -1) && lua_getmetatable(L, idx)) { /* an object: its type */
		lua_rawget(L, -3);
		lua_remove(L, -2);
	}
	lua_remove(L, -2);
	if (lua_isnil(L, -1))
		return 0;
	push_entry_text(L, -1);
	lua_remove(L, -2);
	return 1;
}

static void push_overview(lua_State *L)
{
	luaL_Buffer b;
	push_registry(L);
	int reg = lua_gettop(L);
	lua_getfield(L, reg, "list");
	int list = lua_gettop(L);
	lua_getfield(L, reg, "topiclist");
	int tl = lua_gettop(L);
	lua_getfield(L, reg, "topics");
	int topics = lua_gettop(L);
	luaL_buffinit(L, &b);
	luaL_addstring(&b, "clafuse " PACKAGE_VERSION " — help(x) describes a function, module or "
			   "object; help \"topic\" a topic.\n\nTopics:\n");
	lua_Integer n = (lua_Integer)lua_rawlen(L, tl);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, tl, i);
		const char *name = lua_tostring(L, -1);
		lua_getfield(L, topics, name);
		char sig[64], text[256];
		snprintf(sig, sizeof sig, "help \"%s\"", name);
		snprintf(text, sizeof text, "%s", sfield(L, -1, "text"));
		lua_pop(L, 2); /* balanced before the next buffer operation */
		add_listing(&b, sig, text, SIG_COLUMNS);
	}
	luaL_addstring(&b, "\nModules (help(cf) lists the functions of cf):\n");
	add_children(L, &b, list, ANY_PARENT, "module");
	luaL_addstring(&b, "\nObject types:\n");
	if (add_children(L, &b, list, NULL, "type") == 0)
		luaL_addstring(&b, "  (none yet)\n");
	luaL_addstring(&b, "\nGlobal functions:\n");
	add_children(L, &b, list, NULL, "function");
	luaL_pushresult(&b);
	lua_replace(L, reg);
	lua_settop(L, reg);
}

/* help([x]) */
static int l_help(lua_State *L)
{
	if (lua_gettop(L) == 0) {
		push_overview(L);
	} else if (!cf_lua_help_push(L, 1)) {
		lua_pop(L, 1);
		if (lua_type(L, 1) == LUA_TSTRING)
			lua_pushfstring(L, "no help for \"%s\"; help() lists the topics and modules\n",
					lua_tostring(L, 1));
		else
			lua_pushfstring(L, "no help for %s (a %s that is not part of the cf API; Lua's "
					   "own functions are described in the Lua 5.4 manual)\n",
					luaL_tolstring(L, 1, NULL), luaL_typename(L, 1));
	}
	size_t len;
	const char *s = lua_tolstring(L, -1, &len);
	fflush(stdout);
	fwrite(s, 1, len, stdout);
	fflush(stdout);
	return 0;
}

/* cf.doc(x) -> text | nil */
static int l_doc(lua_State *L)
{
	luaL_checkany(L, 1);
	cf_lua_help_push(L, 1);
	return 1;
}

/* cf.doc_add(value, name, signature, text [, parent]) */
static int l_doc_add(lua_State *L)
{
	const char *name = luaL_checkstring(L, 2);
	const char *sig = luaL_optstring(L, 3, name);
	const char *text = luaL_checkstring(L, 4);
	const char *parent = luaL_optstring(L, 5, NULL);
	const char *kind = lua_type(L, 1) == LUA_TFUNCTION ? "function" : "field";
	if (lua_istable(L, 1) && parent == NULL)
		kind = "module";
	cf_lua_help_add(L, 1, kind, name, parent, sig, text);
	return 0;
}

/* cf.doc_topic(name, text) */
static int l_doc_topic(lua_State *L)
{
	cf_lua_help_topic(L, luaL_checkstring(L, 1), luaL_checkstring(L, 2));
	return 0;
}

/* Walk table at index t (path `prefix`) collecting undocumented functions
 * into the array at `out`; `seen` guards against cycles. */
static void walk_missing(lua_State *L, int t, const char *prefix, int byvalue, int seen, int out)
{
	lua_pushvalue(L, t);
	if (lua_rawget(L, seen) != LUA_TNIL) {
		lua_pop(L, 1);
		return;
	}
	lua_pop(L, 1);
	lua_pushvalue(L, t);
	lua_pushboolean(L, 1);
	lua_rawset(L, seen);
	lua_pushnil(L);
	while (lua_next(L, t)) {
		if (lua_type(L, -2) == LUA_TSTRING && lua_tostring(L, -2)[0] != '_') {
			int vt = lua_type(L, -1);
			if (vt == LUA_TFUNCTION || vt == LUA_TTABLE) {
				const char *name = lua_pushfstring(L, "%s%s", prefix, lua_tostring(L, -2));
				int v = lua_gettop(L) - 1;
				if (vt == LUA_TFUNCTION) {
					lua_pushvalue(L, v);
					if (lua_rawget(L, byvalue) == LUA_TNIL) {
						lua_pushvalue(L, -2);
						append(L, out);
					}
					lua_pop(L, 1);
				} else {
					lua_pushfstring(L, "%s.", name);
					walk_missing(L, v, lua_tostring(L, -1), byvalue, seen, out);
					lua_pop(L, 1);
				}
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
}

int cf_lua_help_missing(lua_State *L)
{
	int top = lua_gettop(L);
	lua_newtable(L);
	int out = lua_gettop(L);
	push_part(L, "byvalue");
	int byvalue = lua_gettop(L);
	lua_newtable(L);
	int seen = lua_gettop(L);
	if (lua_getglobal(L, "cf") == LUA_TTABLE)
		walk_missing(L, lua_gettop(L), "cf.", byvalue, seen, out);
	lua_pop(L, 1);
	push_part(L, "types");
	int types = lua_gettop(L);
	lua_Integer n = (lua_Integer)lua_rawlen(L, types);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, types, i);
		int mt = lua_gettop(L);
		if (lua_getfield(L, mt, "__methods") == LUA_TTABLE) {
			lua_getfield(L, mt, "__name");
			const char *tn = lua_tostring(L, -1);
			const char *dot = tn ? strrchr(tn, '.') : NULL;
			lua_pushfstring(L, "%s:", dot ? dot + 1 : (tn ? tn : "?"));
			walk_missing(L, mt + 1, lua_tostring(L, -1), byvalue, seen, out);
		}
		lua_settop(L, types);
	}
	lua_settop(L, out);
	int count = (int)lua_rawlen(L, out);
	(void)top;
	return count;
}

static int l_doc_missing(lua_State *L)
{
	cf_lua_help_missing(L);
	return 1;
}

static const luaL_Reg doc_fns[] = {
	{"doc", l_doc},
	{"doc_add", l_doc_add},
	{"doc_topic", l_doc_topic},
	{"doc_missing", l_doc_missing},
	{NULL, NULL}};

static const cf_lua_doc doc_docs[] = {
	{"doc", "cf.doc(x) -> string | nil",
	 "Help text of x as a string, or nil.\n"
	 "The text that help(x) prints; x is a function, a module table, an object,\n"
	 "or a name (\"cf.doc\", a topic).  nil when there is no help for x."},
	{"doc_add", "cf.doc_add(value, name, signature, text [, parent])",
	 "Register help for a value.\n"
	 "value is a function, a table or nil (help by name only).  The first line of text is the summary shown in listings; parent is the\n"
	 "full name of the module or type listing it (e.g. \"cf\")."},
	{"doc_topic", "cf.doc_topic(name, text)",
	 "Register or replace a help topic.\n"
	 "help \"name\" then prints text; help() lists the topic."},
	{"doc_missing", "cf.doc_missing() -> {names}",
	 "Functions and methods without help.\n"
	 "The names of the functions in cf and of the methods of object types that\n"
	 "have no help; the test suite requires this list to be empty."},
	{NULL, NULL, NULL}};

void cf_lua_help_init(lua_State *L)
{
	push_registry(L);
	lua_pop(L, 1);
	luaL_setfuncs(L, doc_fns, 0); /* into cf, which is on top */
	lua_pushcfunction(L, l_help);
	lua_pushvalue(L, -1);
	lua_setglobal(L, "help");
	cf_lua_help_add(L, -1, "function", "help", NULL, "help([x])",
			"Show help on topics, functions, objects.\n"
			"help() lists topics, modules and globals; help(x) describes a\n"
			"function, module or object x; help \"name\" a topic or a function by\n"
			"its full name (\"cf.doc\", \"Tensor:sum\").");
	lua_pop(L, 1);
	/* the docs of cf.doc* are registered with the cf module in host.c's
	 * order; done here so they sit next to their code */
	lua_pushvalue(L, -1);
	int cf = lua_gettop(L);
	for (const cf_lua_doc *d = doc_docs; d->name; d++) {
		lua_getfield(L, cf, d->name);
		lua_pushfstring(L, "cf.%s", d->name);
		cf_lua_help_add(L, -2, "function", lua_tostring(L, -1), "cf", d->signature,
				d->text);
		lua_pop(L, 2);
	}
	lua_pop(L, 1);
}
