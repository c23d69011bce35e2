/* results.h — the results screen: accuracies, the steps' times, the
 * per-layer hybrids and the finetuning curve.
 */
#ifndef CF_TUI_RESULTS_H
#define CF_TUI_RESULTS_H

#include "screen.h"

extern const cf_screen cf_screen_results;

/* x FILE on the results screen: the finetuning curve (test accuracy per
 * epoch) as a picture, SVG or PNG by FILE's ending (default
 * finetune.png), written atomically.  Returns 0, or -1 after reporting. */
int cf_results_cmd_export(cf_tui *t, const char *args);

#endif
