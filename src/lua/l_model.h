/* l_model.h — the clafuse.Model userdata, shared with the session binding
 * (a session takes Models and hands out copies of its networks as Models).
 * The userdata holds only the owned network pointer, NULL once freed. */
#ifndef CF_L_MODEL_H
#define CF_L_MODEL_H

#include <lua.h>

#include "core/net.h"

#define CF_LUA_MODEL "clafuse.Model"

/* Push a new, empty Model and return its slot for the core to fill
 * (e.g. cf_net_copy(net, slot, err)).  The Model is consistent before it
 * owns anything, so a Lua error after the fill leaks nothing: the
 * collector frees whatever the slot holds. */
cf_net **cf_lua_model_new(lua_State *L);
/* The network of the Model at idx, or NULL when the value is not a Model;
 * raises an argument error if the Model was freed. */
cf_net *cf_lua_model_test(lua_State *L, int idx);

#endif
