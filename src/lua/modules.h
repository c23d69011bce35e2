/* modules.h — the list of Lua binding modules, one line per core module.
 *
 * An X-macro list: host.h and host.c include it with their own definition
 * of CF_LUA_MODULE, to declare and to call each `luaopen_cf_<mod>` in this
 * order (dependencies first: a module may use metatables of those above).
 * A binding adds one line, e.g.
 *     CF_LUA_MODULE(tensor)
 */
#ifndef CF_LUA_MODULE
#error "modules.h is included by host.h/host.c with CF_LUA_MODULE defined"
#endif

/* CF_LUA_MODULE(tensor) */
CF_LUA_MODULE(matrix)
CF_LUA_MODULE(picture)
CF_LUA_MODULE(clock)
CF_LUA_MODULE(ot)
CF_LUA_MODULE(data)
CF_LUA_MODULE(model)
CF_LUA_MODULE(align)
CF_LUA_MODULE(session)
