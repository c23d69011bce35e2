/* l_data.h — the clafuse.Dataset userdata, shared with the model binding
 * (evaluate, train and forward take data sets). */
#ifndef CF_L_DATA_H
#define CF_L_DATA_H

#include <lua.h>

#include "core/data.h"

#define CF_LUA_DATASET "clafuse.Dataset"

/* The data set at idx, or raise a type error naming the argument. */
cf_dataset *cf_lua_dataset_check(lua_State *L, int idx);
/* The data set at idx, or NULL when it is not one. */
cf_dataset *cf_lua_dataset_test(lua_State *L, int idx);

#endif
