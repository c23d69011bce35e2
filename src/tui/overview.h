/* overview.h — the overview screen of a fusion session: the models, the
 * layer cost matrix C with the alignment, the steps and the selected
 * layer's plan.  Its commands are the session's (sess.h) and the
 * heatmaps' (layer.h).
 */
#ifndef CF_TUI_OVERVIEW_H
#define CF_TUI_OVERVIEW_H

#include "screen.h"

extern const cf_screen cf_screen_overview;

#endif
