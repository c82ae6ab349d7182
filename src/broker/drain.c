/* SPDX-License-Identifier: ISC */
/* Maintenance: `drain HOST [--deadline DURATION]` stops moves to the host and tells the
 * agents on it (their WHERE answer) to leave, through their own policy and guard, by the
 * deadline; past it the provider moves what is left itself, as is its right, and says so.
 * `undrain` ends it. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "broker/broker.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/worker.h"

static struct broker *drain_broker;

/* Where the provider sends a VM off from: one of its hosts, not draining, with room for
 * an incoming migration, the least busy first. NULL when there is none. */
static const char *
drain_target(struct broker *b, const struct broker_vm *vm, const struct broker_host *from)
{
	const struct broker_host *best = NULL;

	for (size_t i = 0; i < vm->nallowed; i++) {
		const struct broker_host *h = broker_host_find(b, vm->allowed[i]);
		if (h == NULL || h == from || h->draining ||
		    (b->max_incoming > 0 && h->incoming >= b->max_incoming))
			continue;
		if (best == NULL || h->incoming < best->incoming)
			best = h;
	}
	return best != NULL ? best->name : NULL;
}

/* The deadline passed: every VM still on the host (or not known to be elsewhere) is moved
 * by the provider. Again every retry_after while the drain lasts, for those that could not
 * go at once (a move in progress, no room elsewhere). */
static double
drain_due(void *arg)
{
	struct broker_host *h = arg;
	struct broker *b = drain_broker;

	for (size_t i = 0; i < b->nvms; i++) {
		struct broker_vm *vm = &b->vms[i];
		/* where it runs is asked first; an endpoint that cannot tell moves only what
		 * was last seen there */
		if (!broker_vm_allows(vm, h->name) || (vm->location[0] && strcmp(vm->location, h->name) != 0) ||
		    (!vm->location[0] && b->ops->locate == NULL) ||
		    vm->target[0] || (vm->w != NULL && worker_busy(vm->w)))
			continue;
		const char *to = drain_target(b, vm, h);
		if (to == NULL) {
			if (!vm->evict_stuck)
				log_warnx("broker: %s: past the drain deadline of %s, but no other host of it can take it now; trying every %.0f s",
				    vm->name, h->name, b->retry_after > 1 ? b->retry_after : 1);
			vm->evict_stuck = 1;
			continue;
		}
		if (broker_vm_evict(b, vm, h->name, to) == 0)
			vm->evict_stuck = 0;
	}
	return b->retry_after > 1 ? b->retry_after : 1;
}

double
broker_drain_left(const struct broker_host *h)
{
	double left;

	if (!h->draining || h->drain_deadline <= 0)
		return -1;
	left = h->drain_deadline - ev_now();
	return left > 0 ? left : 0;
}

size_t
broker_drain(struct broker *b, int drain, const char *args, char *out, size_t cap)
{
	char name[WIRE_MAX_HOST + 1], err[160];
	struct broker_host *h;
	double deadline;

	drain_broker = b;
	if (broker_drain_args(args, name, sizeof(name), &deadline, err, sizeof(err)) < 0)
		return (size_t)snprintf(out, cap, "error: %s\n", err);
	if (!drain && deadline >= 0)
		return (size_t)snprintf(out, cap, "error: undrain takes no deadline\n");
	if ((h = broker_host_find(b, name)) == NULL)
		return (size_t)snprintf(out, cap, "error: %s is no host of any VM\n", name);
	if (h->drain_timer != NULL)
		ev_timer_del(h->drain_timer);
	h->drain_timer = NULL;
	h->draining = drain;
	h->drain_deadline = 0;
	if (drain && deadline > 0) {
		h->drain_deadline = ev_now() + deadline;
		h->drain_timer = ev_timer_add(b->loop, deadline, drain_due, h);
	}
	if (!drain)
		broker_event(LOG_NOTICE, "undrained %s: moves to it allowed again", name);
	else if (deadline > 0)
		broker_event(LOG_NOTICE, "draining %s: no moves to it until undrain; its VMs are told to leave within %.0f s, when the provider moves those left",
		    name, deadline);
	else
		broker_event(LOG_NOTICE, "draining %s: no moves to it until undrain; its VMs are told to leave", name);
	if (drain && deadline > 0)
		return (size_t)snprintf(out, cap, "draining %s, deadline %.0f s\n", name, deadline);
	return (size_t)snprintf(out, cap, "%s %s\n", drain ? "draining" : "undrained", name);
}

void
broker_drain_stop(struct broker *b)
{
	for (size_t i = 0; i < b->nhosts; i++)
		if (b->hosts[i].drain_timer != NULL) {
			ev_timer_del(b->hosts[i].drain_timer);
			b->hosts[i].drain_timer = NULL;
		}
}
