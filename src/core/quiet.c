/* SPDX-License-Identifier: ISC */
/* Quiet windows and splay (see quiet.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmmanage/daytime.h>

#include "common/strutil.h"
#include "core/conf.h"
#include "core/journal.h"
#include "core/quiet.h"

/* Days, "Mon-Fri" or "Mon,Wed,Fri", up to the hours; 0 on a syntax error. */
static unsigned
quiet_parse_days(const char **p)
{
	unsigned days = 0, item;

	for (;;) {
		if ((item = vmm_daytime_day_item(p)) == 0)
			return 0;
		days |= item;
		if (**p != ',')
			return days;
		(*p)++;
		vmm_daytime_skip_space(p);
		if (!isalpha((unsigned char)**p))
			return 0;
	}
}

static void
quiet_text(struct quiet_window *w, const char *from, const char *to)
{
	size_t n = (size_t)(to - from);

	while (n > 0 && isspace((unsigned char)from[n - 1]))
		n--;
	if (n >= sizeof(w->text))
		n = sizeof(w->text) - 1;
	memcpy(w->text, from, n);
	w->text[n] = '\0';
}

/* One window at *p: "[days] HH:MM-HH:MM". */
static int
quiet_parse_one(const char **p, struct quiet_window *w)
{
	const char *from;

	vmm_daytime_skip_space(p);
	from = *p;
	w->days = VMM_ALL_DAYS;
	if (isalpha((unsigned char)**p) && (w->days = quiet_parse_days(p)) == 0)
		return -1;
	if (vmm_daytime_hours_at(p, &w->start, &w->stop) < 0)
		return -1;
	quiet_text(w, from, *p);
	return 0;
}

int
quiet_parse(const char *s, struct hold_conf *h, char *err, size_t errlen)
{
	const char *p = s;

	for (;;) {
		const char *at = p;
		if (h->n == QUIET_MAX) {
			snprintf(err, errlen, "more than %d windows", QUIET_MAX);
			return -1;
		}
		if (quiet_parse_one(&p, &h->win[h->n]) < 0) {
			vmm_daytime_skip_space(&at);
			snprintf(err, errlen, "cannot read a window at \"%.40s\"", at);
			return -1;
		}
		h->n++;
		if (*p == '\0')
			return 0;
		if (*p++ != ',') {
			snprintf(err, errlen, "\"%.40s\" follows a window without a comma: separate windows with \", \"", p - 1);
			return -1;
		}
	}
}

static int
quiet_setup_one(const struct vmm_conf *c, const char *text, struct hold_conf *h, char *err,
    size_t errlen)
{
	char where[512], why[128];

	if (quiet_parse(text, h, why, sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "%s: quiet: %s: write e.g. quiet = \"Mon-Fri 02:00-03:00, Sat 00:00-06:00\" (days as in work_days and may be left out for every day; local time; a window like \"Sat 22:00-02:00\" runs over midnight into Sunday)",
	    conf_where(c, "quiet", where, sizeof(where)), why);
	return -1;
}

/* One string of windows, or a list of them (a single string is not split at spaces as
 * lists of names are: a window has one). */
static int
quiet_setup(const struct vmm_conf *c, struct hold_conf *h, char *err, size_t errlen)
{
	const char *one = NULL, **list = NULL;
	char where[512];
	size_t n = 0;
	int r;

	if ((r = conf_string(c, "quiet", &one, err, errlen)) == 0)
		return 0;
	if (r > 0)
		r = quiet_setup_one(c, one, h, err, errlen);
	else if ((r = conf_strings(c, "quiet", &list, &n, err, errlen)) > 0) {
		for (size_t i = 0; i < n && r >= 0; i++)
			r = quiet_setup_one(c, list[i], h, err, errlen);
		free(list);
	}
	if (r < 0)
		return -1;
	if (h->n > 0 && quiet_left(h, 0, 0, NULL) >= QUIET_WEEK) {
		snprintf(err, errlen, "%s: quiet: the windows cover the whole week: the VM could never move; shorten them, or use mode = \"manual\"",
		    conf_where(c, "quiet", where, sizeof(where)));
		return -1;
	}
	return 0;
}

int
hold_setup(const struct vmm_conf *c, struct hold_conf *h, char *err, size_t errlen)
{
	char where[512];

	memset(h, 0, sizeof(*h));
	if (quiet_setup(c, h, err, errlen) < 0 || conf_number(c, "splay", &h->splay, err, errlen) < 0)
		return -1;
	if (!(h->splay >= 0 && h->splay <= 86400)) {
		snprintf(err, errlen, "%s: splay must be between 0 and 86400 seconds (e.g. splay = 300)",
		    conf_where(c, "splay", where, sizeof(where)));
		return -1;
	}
	return 0;
}

/* Where the window w that covers minute of the week t ends, in minutes of the week
 * (possibly past the week's end); -1 when it does not cover t. */
static int
quiet_end(const struct quiet_window *w, int t)
{
	int day = t / VMM_DAY_MINUTES, minute = t % VMM_DAY_MINUTES;

	if (!vmm_daytime_covers(w->days, w->start, w->stop, day, minute))
		return -1;
	if (w->start > w->stop && minute >= w->start)
		day++;
	return day * VMM_DAY_MINUTES + w->stop;
}

int
quiet_left(const struct hold_conf *h, int day, int minute, const struct quiet_window **which)
{
	int t0 = day * VMM_DAY_MINUTES + minute, left = 0;

	if (which != NULL)
		*which = NULL;
	/* hop from window end to window end while another window covers it */
	for (int hops = 0; hops <= 7 * QUIET_MAX && left < QUIET_WEEK; hops++) {
		int t = (t0 + left) % QUIET_WEEK, end = -1;
		for (size_t i = 0; i < h->n && end < 0; i++)
			if ((end = quiet_end(&h->win[i], t)) >= 0 && which != NULL && *which == NULL)
				*which = &h->win[i];
		if (end < 0)
			break;
		left += end - t;
	}
	return left < QUIET_WEEK ? left : QUIET_WEEK;
}

int
quiet_now(const struct hold_conf *h, const struct vmm_local_time *lt, const char **window,
    char *until, size_t len)
{
	static const char *const days[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	const struct quiet_window *w;
	int minute, left, end;

	if (h == NULL || h->n == 0 || !lt->valid || lt->weekday < 0 || lt->weekday > 6)
		return 0;
	minute = lt->hour * 60 + lt->minute;
	if ((left = quiet_left(h, lt->weekday, minute, &w)) == 0)
		return 0;
	*window = w->text;
	end = minute + left;
	if (end < VMM_DAY_MINUTES)
		snprintf(until, len, "%02d:%02d", end / 60, end % 60);
	else
		snprintf(until, len, "%s %02d:%02d", days[(lt->weekday + end / VMM_DAY_MINUTES) % 7],
		    end % VMM_DAY_MINUTES / 60, end % 60);
	return 1;
}

/* FNV-1a, then a finaliser (splitmix64's) so that names differing in one letter spread. */
double
splay_offset(const char *identity, double window)
{
	uint64_t x;

	if (window <= 0)
		return 0;
	x = vmm_fnv1a_str(VMM_FNV1A_BASIS, identity);
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return (double)(x >> 11) * (1.0 / 9007199254740992.0) * window;
}

void
hold_edge(const struct hold *h, double wall, int resting)
{
	if (h == NULL || h->c == NULL || h->st == NULL)
		return;
	/* the first cycle says where the schedule is, not that it changed */
	if (h->st->seen && h->st->resting != resting)
		h->st->edge = wall;
	h->st->seen = 1;
	h->st->resting = resting;
}

int
hold_check(const struct hold *h, double wall, const struct vmm_local_time *lt, int cli,
    char *why, size_t len)
{
	const char *window;
	char until[16];

	if (h == NULL || h->c == NULL)
		return HOLD_NONE;
	if (quiet_now(h->c, lt, &window, until, sizeof(until))) {
		journal_quiet_why(why, len, window, until);
		return HOLD_QUIET;
	}
	if (cli || h->st == NULL || h->st->edge <= 0 || wall >= h->st->edge + h->offset)
		return HOLD_NONE;
	journal_splay_why(why, len, h->offset, h->st->edge + h->offset - wall);
	return HOLD_SPLAY;
}
