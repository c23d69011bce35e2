/* results.h — the results screen: accuracies, the steps' times and the
 * finetuning curve.
 */
#ifndef CF_TUI_RESULTS_H
#define CF_TUI_RESULTS_H

#include "screen.h"

extern const cf_screen cf_screen_results;

#endif
