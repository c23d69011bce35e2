/* font.h — the bitmap font of the pictures (PNG): glyphs of our own, five
 * columns wide, for digits, capital and small letters and the symbols
 * labels use ("×" included).  Capitals and digits stand seven rows high on
 * the baseline; small letters g, j, p, q, y descend two rows below it.
 * Any other character shows as "?".  Curses-free.
 */
#ifndef CF_TUI_FONT_H
#define CF_TUI_FONT_H

#include <stdint.h>

#define CF_FONT_W 5 /* glyph columns */
#define CF_FONT_H 9 /* glyph rows: 7 above the baseline, 2 of descenders */
#define CF_FONT_ADVANCE 6 /* columns from one glyph to the next (one blank) */

/* The glyph of the UTF-8 character at *s: rows[r] has bit 4 for the left
 * column .. bit 0 for the right one.  Returns the bytes consumed (≥ 1 on
 * a non-empty string, 0 at its end). */
int cf_font_glyph(const char *s, uint8_t rows[CF_FONT_H]);
/* Characters cf_font_glyph would draw for s. */
int cf_font_length(const char *s);

#endif
