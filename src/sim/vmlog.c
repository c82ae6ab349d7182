/* SPDX-License-Identifier: ISC */
/* What a simulated VM logs: the events CSV and the collector's thesis format. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "journal.h"
#include "sim/engine.h"

static int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		size_t cap = b->cap ? b->cap * 2 : 65536;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
}

static void
csv_field(struct buf *b, const char *s)
{
	buf_printf(b, "\"");
	for (; *s; s++)
		buf_printf(b, *s == '"' ? "\"\"" : "%c", *s);
	buf_printf(b, "\"");
}

void
vm_event(struct sim *s, int tid, struct vm *v, double t, const char *event, enum vmm_action act,
    int from, int to, const struct decide_result *r, const char *detail)
{
	struct buf *b = &s->events[tid];

	if (s->o->events == NULL)
		return;
	buf_printf(b, "%.1f,%s,%s,%s,%s,%s,%s,", (double)s->sf->start + t,
	    s->o->thesis ? "thesis" : "ours", v->name, event,
	    act == VMM_ACT_NONE ? "" : vmm_action_name(act), vm_host_name(s, v, from),
	    vm_host_name(s, v, to));
	if (r != NULL && r->counters.has_low)
		buf_printf(b, "%s,%" PRId64 ",%g,%" PRId64 ",%g,", "", r->counters.count,
		    r->counters.threshold, r->counters.lowcount, r->counters.lowthreshold);
	else if (r != NULL)
		buf_printf(b, "%s,%" PRId64 ",%g,,,", "", r->counters.count, r->counters.threshold);
	else
		buf_printf(b, ",,,,,");
	csv_field(b, detail ? detail : "");
	buf_printf(b, "\n");
}

void
vm_cycle_event(struct sim *s, int tid, struct vm *v, double t, double value, int known,
    const struct decide_result *r)
{
	struct buf *b = &s->events[tid];
	const struct vmm_policy_counters *c = &r->counters;

	if (s->o->events != NULL) {
		buf_printf(b, "%.1f,%s,%s,cycle,%s,%s,,", (double)s->sf->start + t,
		    s->o->thesis ? "thesis" : "ours", v->name,
		    r->decision.action == VMM_ACT_NONE ? "" : vmm_action_name(r->decision.action),
		    vm_host_name(s, v, v->loc));
		if (known)
			buf_printf(b, "%g", value);
		buf_printf(b, ",%" PRId64 ",%g,", c->count, c->threshold);
		if (c->has_low)
			buf_printf(b, "%" PRId64 ",%g", c->lowcount, c->lowthreshold);
		buf_printf(b, ",%s\n", c->resting ? "\"resting\"" : "");
	}
	vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_CYCLE, .u.cycle = {
	    .sensor = v->sc->su->set.sensor, .location = vm_host_name(s, v, v->believed),
	    .known = known, .value = value, .count = c->count, .threshold = c->threshold,
	    .has_low = c->has_low, .lowcount = c->lowcount, .lowthreshold = c->lowthreshold,
	    .action = r->decision.action } });
}

/* An event in the daemon's words (src/journal.c), as the collector writes it:
 * "EPOCH DATE host: message". */
void
vm_say(struct sim *s, int tid, struct vm *v, double t, const struct journal_event *e)
{
	char msg[JOURNAL_MSG], line[JOURNAL_LINE];

	if (s->o->log == NULL)
		return;
	journal_message(e, msg, sizeof(msg));
	journal_line(line, sizeof(line), s->sf->start + (int64_t)t, v->name, msg);
	buf_printf(&s->log[tid], "%s\n", line);
}

void
vm_note(struct sim *s, int tid, struct vm *v, double t, const char *text)
{
	vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_NOTE, .u.note.text = text });
}

void
vm_warning(struct sim *s, int tid, struct vm *v, double t, const char *text)
{
	vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_WARNING, .u.note.text = text });
}

void
vm_sim_start(struct sim *s, int tid, struct vm *v, double t)
{
	vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_SIM_START, .u.sim_start = {
	    .policy = v->sc->su->set.policy, .host = vm_host_name(s, v, v->loc) } });
}
