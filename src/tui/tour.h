/* tour.h — the guided tour of `clafuse demo`: a side panel over the
 * session's screens.
 */
#ifndef CF_TUI_TOUR_H
#define CF_TUI_TOUR_H

#include "grid.h"
#include "tui.h"

/* Start the tour's side panel over a session (overview first). */
int cf_tour_start(cf_tui *t);
void cf_tour_free(cf_tui *t);
/* Width the side panel takes from the body (0 when none). */
int cf_tour_width(const cf_tui *t, int cols);
void cf_tour_draw(cf_tui *t, cf_grid *g, cf_rect r);
int cf_tour_cmd_next(cf_tui *t, const char *args);
/* Scroll the tour's panel a page (PgDn/PgUp); without a tour the key goes
 * to the screen. */
int cf_tour_cmd_down(cf_tui *t, const char *args);
int cf_tour_cmd_up(cf_tui *t, const char *args);
/* A mouse event (t->mouse_*) over the panel: the wheel scrolls it.
 * Returns 1 when the event was the panel's. */
int cf_tour_mouse(cf_tui *t);

#endif
