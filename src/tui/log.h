/* log.h — the message log (every status-line message with its time and
 * level) and the log screen.
 */
#ifndef CF_TUI_LOG_H
#define CF_TUI_LOG_H

#include "screen.h"

extern const cf_screen cf_screen_log;

/* The log: messages with time and level, newest last. */
int cf_log_alloc(cf_tui *t);
void cf_log_free(cf_tui *t);
void cf_log_add(cf_tui *t, int level, const char *text);
int cf_log_cmd_clear(cf_tui *t, const char *args);

#endif
