/* results.h — the results screen's own commands (results.c). */
#ifndef CF_TUI_RESULTS_H
#define CF_TUI_RESULTS_H

#include "tui.h"

/* x FILE on the results screen: the finetuning curve (test accuracy per
 * epoch) as a picture, SVG or PNG by FILE's ending (default
 * finetune.png), written atomically.  Returns 0, or -1 after reporting. */
int cf_results_cmd_export(cf_tui *t, const char *args);

#endif
