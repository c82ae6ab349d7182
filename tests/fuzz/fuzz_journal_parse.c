/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/core/journal.c src/common/strutil.c */
/* libFuzzer target: the journal's message parser (what vmmanage-report reads from any
 * log) must take any bytes, give a kind in range and spans inside the message, and read
 * back what it would write: a parsed request, outcome or cycle formats and parses again
 * to the same kind and target. */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(struct journal_span s, const char *msg, size_t len)
{
	if (s.n == 0)
		return;
	if (s.p < msg || s.p + s.n > msg + len)
		abort();
}

/* Format a kind back from what was parsed and check it reads as the same again. */
static void
again(const struct journal_parsed *j)
{
	char target[256], msg[JOURNAL_MSG];
	struct journal_event e = { .kind = j->kind };
	struct journal_parsed k;

	/* a NUL ends the string it would be formatted from: not a round trip to ask for */
	if (j->target.n == 0 || j->target.n >= sizeof(target) || memchr(j->target.p, '\0', j->target.n))
		return;
	memcpy(target, j->target.p, j->target.n);
	target[j->target.n] = '\0';
	switch (j->kind) {
	case JOURNAL_CONFIRMED:
		e.u.confirmed.target = target;
		e.u.confirmed.seconds = isnan(j->seconds) ? 0 : j->seconds;
		break;
	case JOURNAL_FAILED:
		e.u.failed.target = target;
		e.u.failed.failures = 1;
		break;
	case JOURNAL_REQUEST:
		e.u.request.target = target;
		e.u.request.action = j->action;
		break;
	default:
		return;
	}
	journal_message(&e, msg, sizeof(msg));
	journal_parse(msg, strlen(msg), &k);
	if (k.kind != j->kind || k.target.n != j->target.n || memcmp(k.target.p, target, k.target.n) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = malloc(size ? size : 1);
	struct journal_parsed j;

	if (msg == NULL)
		return 0;
	memcpy(msg, data, size);
	journal_parse(msg, size, &j);
	if ((unsigned)j.kind >= JOURNAL__N || (unsigned)j.action >= VMM_ACT__COUNT)
		abort();
	inside(j.target, msg, size);
	inside(j.from, msg, size);
	inside(j.action_name, msg, size);
	again(&j);
	free(msg);
	return 0;
}
