/* network.h — the network screen: the models' units side by side with the
 * cross-layer alignment drawn between them.
 */
#ifndef CF_TUI_NETWORK_H
#define CF_TUI_NETWORK_H

#include "screen.h"

extern const cf_screen cf_screen_network;

#endif
