/* progress.c — the progress line of long work started from Lua.
 *
 * Design choice: one cf_progress_fn for every binding, so all long work
 * looks the same and all of it stops on Ctrl-C: it draws the front ends'
 * progress line (term/progress.h) and returns the stop flag of
 * interrupt.c, which also interrupts Lua code.
 */
#include "config.h"

#include "lua/host.h"
#include "term/progress.h"

int cf_lua_progress(void *ud, const char *what, double fraction)
{
	(void)ud;
	cf_term_progress_draw(what, fraction);
	return cf_lua_stop_requested();
}

void cf_lua_progress_done(void)
{
	cf_term_progress_done();
}
