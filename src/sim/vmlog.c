/* SPDX-License-Identifier: ISC */
/* What a simulated VM logs: the events CSV and the collector's thesis format. */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/journal.h"
#include "sim/engine.h"

static void
csv_field(struct vmm_buf *b, const char *s)
{
	vmm_buf_printf(b, "\"");
	for (; *s; s++)
		vmm_buf_printf(b, *s == '"' ? "\"\"" : "%c", *s);
	vmm_buf_printf(b, "\"");
}

void
vm_event(struct sim *s, int tid, struct vm *v, double t, const char *event, enum vmm_action act,
    int from, int to, const struct decide_result *r, const char *detail)
{
	struct vmm_buf *b = &s->events[tid];

	if (s->o->events == NULL)
		return;
	vmm_buf_printf(b, "%.1f,%s,%s,%s,%s,%s,%s,", (double)s->sf->start + t,
	    s->o->thesis ? "thesis" : "ours", v->name, event,
	    act == VMM_ACT_NONE ? "" : vmm_action_name(act), vm_host_name(s, v, from),
	    vm_host_name(s, v, to));
	if (r != NULL && r->counters.has_low)
		vmm_buf_printf(b, "%s,%" PRId64 ",%g,%" PRId64 ",%g,", "", r->counters.count,
		    r->counters.threshold, r->counters.lowcount, r->counters.lowthreshold);
	else if (r != NULL)
		vmm_buf_printf(b, "%s,%" PRId64 ",%g,,,", "", r->counters.count, r->counters.threshold);
	else
		vmm_buf_printf(b, ",,,,,");
	csv_field(b, detail ? detail : "");
	vmm_buf_printf(b, "\n");
}

void
vm_cycle_event(struct sim *s, int tid, struct vm *v, double t, double value, int known,
    const struct decide_result *r)
{
	struct vmm_buf *b = &s->events[tid];
	const struct vmm_policy_counters *c = &r->counters;

	if (s->o->events != NULL) {
		vmm_buf_printf(b, "%.1f,%s,%s,cycle,%s,%s,,", (double)s->sf->start + t,
		    s->o->thesis ? "thesis" : "ours", v->name,
		    r->decision.action == VMM_ACT_NONE ? "" : vmm_action_name(r->decision.action),
		    vm_host_name(s, v, v->loc));
		if (known)
			vmm_buf_printf(b, "%g", value);
		vmm_buf_printf(b, ",%" PRId64 ",%g,", c->count, c->threshold);
		if (c->has_low)
			vmm_buf_printf(b, "%" PRId64 ",%g", c->lowcount, c->lowthreshold);
		vmm_buf_printf(b, ",%s\n", c->resting ? "\"resting\"" : "");
	}
	vm_say(s, tid, v, t, &(struct journal_event){ .kind = JOURNAL_CYCLE, .u.cycle = {
	    .sensor = v->sc->su->set.sensor, .location = vm_host_name(s, v, v->believed),
	    .known = known, .value = value, .count = c->count, .threshold = c->threshold,
	    .has_low = c->has_low, .lowcount = c->lowcount, .lowthreshold = c->lowthreshold,
	    .action = r->decision.action } });
}

/* An event in the daemon's words (src/core/journal.c), as the collector writes it:
 * "EPOCH DATE host: message". */
void
vm_say(struct sim *s, int tid, struct vm *v, double t, const struct journal_event *e)
{
	char msg[JOURNAL_MSG], line[JOURNAL_LINE];

	if (s->o->log == NULL)
		return;
	journal_message(e, msg, sizeof(msg));
	journal_line(line, sizeof(line), s->sf->start + (int64_t)t, v->name, msg);
	vmm_buf_printf(&s->log[tid], "%s\n", line);
}

void
vm_said_emit(void *arg, const char *kind, const char *text)
{
	const struct vm_said_to *to = arg;

	vm_say(to->s, to->tid, to->v, to->t, &(struct journal_event){ .kind = JOURNAL_NOTE,
	    .name = kind, .u.note.text = text });
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
