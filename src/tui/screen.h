/* screen.h — a screen is a (draw, key) pair over the shared state.
 *
 * draw() composes the body of the frame (between the title line and the
 * status line) from state; key() handles a key the command table did not
 * take and returns 1 when it did something.  Nothing is patched by hand:
 * after every key the whole frame is drawn again, which makes resizing,
 * overlays and the size guard free.  Each screen's module declares its
 * screen and its command functions in a header of its own (overview.h,
 * layer.h, network.h, params.h, results.h, log.h).
 */
#ifndef CF_TUI_SCREEN_H
#define CF_TUI_SCREEN_H

#include "grid.h"
#include "tui.h"

typedef struct cf_screen {
	const char *name;   /* the screen's name, for :screen and the title */
	void (*draw)(cf_tui *t, cf_grid *g, cf_rect body);
	int (*key)(cf_tui *t, int key);
} cf_screen;

#endif
