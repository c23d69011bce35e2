/* params.h — the parameters screen: the session's parameter table as a
 * form.
 */
#ifndef CF_TUI_PARAMS_H
#define CF_TUI_PARAMS_H

#include "screen.h"

extern const cf_screen cf_screen_params;

int cf_params_cmd_edit(cf_tui *t, const char *args);
int cf_params_cmd_default(cf_tui *t, const char *args);

#endif
