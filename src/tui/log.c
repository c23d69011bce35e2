/* log.c — the message log and the log screen.
 *
 * Every status-line message is also kept here with its time and level, in
 * a ring of the last CF_LOG_MAX messages, so nothing shown briefly on the
 * status line is lost.  The screen shows the newest at the bottom; PgUp /
 * PgDn and j/k scroll.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include "log.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "screen.h"
#include "tui.h"

#define CF_LOG_MAX 1000

struct cf_log_entry {
	time_t when;
	int level;
	char text[256];
};

struct cf_log {
	struct cf_log_entry *e; /* ring of CF_LOG_MAX */
	int head, count;        /* oldest entry, number kept */
	int scroll;             /* lines scrolled back from the newest */
};

int cf_log_alloc(cf_tui *t)
{
	t->log = calloc(1, sizeof *t->log);
	if (t->log)
		t->log->e = calloc(CF_LOG_MAX, sizeof *t->log->e);
	if (!t->log || !t->log->e) {
		cf_log_free(t);
		return -1;
	}
	return 0;
}

void cf_log_free(cf_tui *t)
{
	if (!t->log)
		return;
	free(t->log->e);
	free(t->log);
	t->log = NULL;
}

void cf_log_add(cf_tui *t, int level, const char *text)
{
	struct cf_log *l = t->log;
	struct cf_log_entry *e;

	if (!l)
		return;
	if (l->count < CF_LOG_MAX)
		e = &l->e[(l->head + l->count++) % CF_LOG_MAX];
	else {
		e = &l->e[l->head];
		l->head = (l->head + 1) % CF_LOG_MAX;
	}
	e->when = time(NULL);
	e->level = level;
	snprintf(e->text, sizeof e->text, "%s", text);
}

int cf_log_cmd_clear(cf_tui *t, const char *args)
{
	(void)args;
	if (t->log) {
		t->log->count = 0;
		t->log->head = 0;
		t->log->scroll = 0;
	}
	t->status[0] = '\0';
	return 0;
}

static void log_draw(cf_tui *t, cf_grid *g, cf_rect body)
{
	static const char *const lname[] = {"info", "ok", "warn", "error"};
	static const int lrole[] = {CF_ROLE_NORMAL, CF_ROLE_GOOD, CF_ROLE_WARN, CF_ROLE_ERROR};
	struct cf_log *l = t->log;
	int inner = body.h - 2, first;

	cf_grid_box(g, body, "Log (newest last; PgUp/PgDn scroll)", CF_ROLE_FRAME);
	if (!l || inner < 1)
		return;
	if (l->scroll > l->count - inner)
		l->scroll = l->count - inner;
	if (l->scroll < 0)
		l->scroll = 0;
	first = l->count - inner - l->scroll;
	if (first < 0)
		first = 0;
	for (int k = 0; k < inner && first + k < l->count; k++) {
		const struct cf_log_entry *e = &l->e[(l->head + first + k) % CF_LOG_MAX];
		struct tm tm;
		char when[16];
		int lv = e->level >= 0 && e->level < 4 ? e->level : 0, x = body.x + 2;
		localtime_r(&e->when, &tm);
		strftime(when, sizeof when, "%H:%M:%S", &tm);
		x += cf_grid_printf(g, body.y + 1 + k, x, body.w - 4, CF_ROLE_DIM, "%s ", when);
		x += cf_grid_printf(g, body.y + 1 + k, x, body.x + body.w - 2 - x, lrole[lv], "%-5s",
				    lname[lv]);
		cf_grid_printf(g, body.y + 1 + k, x, body.x + body.w - 2 - x, CF_ROLE_NORMAL, " %s",
			       e->text);
	}
}

static int log_key(cf_tui *t, int key)
{
	struct cf_log *l = t->log;
	if (!l)
		return 0;
	switch (key) {
	case KEY_PPAGE:
		l->scroll += 10;
		return 1;
	case KEY_NPAGE:
		l->scroll -= 10;
		return 1;
	case 'k':
	case KEY_UP:
		l->scroll++;
		return 1;
	case 'j':
	case KEY_DOWN:
		l->scroll--;
		return 1;
	case KEY_END:
	case 'G':
		l->scroll = 0;
		return 1;
	}
	return 0;
}

const cf_screen cf_screen_log = {"log", log_draw, log_key};
