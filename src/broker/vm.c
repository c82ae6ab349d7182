/* SPDX-License-Identifier: ISC */
/* The endpoint module at work for one VM: each request an authenticated VM makes is
 * admitted (or refused, with why and when to ask again), then run on that VM's worker
 * thread, since a migration blocks for seconds or minutes; the answer goes back on the
 * loop thread. The VM is the one its key named: a request never names another. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <syslog.h>
#include <time.h>

#include "common/worker.h"
#include "broker/broker.h"
#include "common/ev.h"
#include "common/log.h"

static struct broker *vm_broker;

static struct worker *vm_worker(struct broker_vm *vm);

static void
vm_answer(struct broker_vm *vm, const struct wire_bans *a)
{
	char out[WIRE_MAX_LINE + 512];
	size_t n = wire_bans_format(out, sizeof(out), a);

	if (vm->waiting != NULL)
		broker_conn_answer(vm_broker, vm->waiting, vm->waiting_seq, out, n);
	vm->waiting = NULL;
}

/* Refused at once: answered to c, never to the connection a running job answers. */
static void
vm_refuse(struct broker_conn *c, uint64_t seq, const char *why, double retry)
{
	struct wire_bans a = { .kind = WIRE_BANS_REFUSED, .retry_after = retry };
	char out[WIRE_MAX_LINE + 512];

	snprintf(a.text, sizeof(a.text), "%s", why);
	broker_conn_answer(vm_broker, c, seq, out, wire_bans_format(out, sizeof(out), &a));
}

/* ---- on the worker thread ---- */

static void
vm_job_move(void *arg)
{
	struct broker_vm *vm = arg;
	struct vmm_move_request rq = {
		.action = (enum vmm_action)vm->job_rq.action, .source = vm->location,
		.target = vm->job_rq.target, .cross_site = vm->job_rq.cross_site, .id = vm->job_rq.id,
	};

	memset(&vm->job_res, 0, sizeof(vm->job_res));
	vm->job_res.duration = -1;
	vm_broker->ops->move(vm->ep, &rq, &vm->job_res);
}

/* A move that was in flight when the broker stopped: the endpoint looks for it, never
 * starts it again. One without a recover call can only say where the VM runs now. */
static void
vm_job_recover(void *arg)
{
	struct broker_vm *vm = arg;
	struct vmm_move_request rq = {
		.action = (enum vmm_action)vm->job_rq.action, .source = "",
		.target = vm->job_rq.target, .cross_site = vm->job_rq.cross_site, .id = vm->job_rq.id,
	};
	struct vmm_move_result *r = &vm->job_res;
	char err[256];

	memset(r, 0, sizeof(*r));
	r->duration = -1;
	if (vm_broker->ops->recover != NULL) {
		vm_broker->ops->recover(vm->ep, &rq, r);
		return;
	}
	r->outcome = VMM_MOVE_UNCONFIRMED;
	if (vm_broker->ops->locate == NULL ||
	    vm_broker->ops->locate(vm->ep, r->location, sizeof(r->location), err, sizeof(err)) < 0)
		r->location[0] = '\0';
	else if (strcmp(r->location, rq.target) == 0)
		r->outcome = VMM_MOVE_CONFIRMED;
	snprintf(r->detail, sizeof(r->detail), "the broker restarted during the move; the VM runs on %s now",
	    r->location[0] ? r->location : "a host the endpoint cannot tell");
}

static void
vm_job_locate(void *arg)
{
	struct broker_vm *vm = arg;

	vm->job_err[0] = '\0';
	vm->job_rc = vm_broker->ops->locate == NULL ? -1 :
	    vm_broker->ops->locate(vm->ep, vm->job_res.location, sizeof(vm->job_res.location),
	    vm->job_err, sizeof(vm->job_err));
	if (vm_broker->ops->locate == NULL)
		snprintf(vm->job_err, sizeof(vm->job_err), "the %s endpoint cannot locate", vm_broker->endpoint);
}

/* The provider's own move: where the VM runs first (its own agent may have moved it since
 * the deadline's check); job_rc 1 when it no longer runs on evict_from. */
static void
vm_job_evict(void *arg)
{
	struct broker_vm *vm = arg;
	char where[128], err[256];

	vm->job_rc = 0;
	/* where it runs, or (an endpoint that cannot tell) where it last was seen */
	if (vm_broker->ops->locate == NULL ||
	    vm_broker->ops->locate(vm->ep, where, sizeof(where), err, sizeof(err)) < 0)
		snprintf(where, sizeof(where), "%s", vm->location);
	if (strcmp(where, vm->evict_from) != 0) {
		memset(&vm->job_res, 0, sizeof(vm->job_res));
		snprintf(vm->job_res.location, sizeof(vm->job_res.location), "%s", where);
		vm->job_rc = 1;
		return;
	}
	vm_job_move(vm);
}

/* ---- back on the loop ---- */

static const char *const vm_outcome_words[] = { "confirmed", "unconfirmed", "failed" };

static void
vm_move_done(void *arg)
{
	struct broker_vm *vm = arg;
	struct vmm_move_result *r = &vm->job_res;
	struct broker_host *h = broker_host_find(vm_broker, vm->target);
	struct wire_bans a = { .kind = WIRE_BANS_DONE, .outcome = (int)r->outcome,
		.failure = (int)r->failure, .permanent = r->permanent, .duration = r->duration };

	if (h != NULL && h->incoming > 0)
		h->incoming--;
	if (r->duration < 0)
		a.duration = ev_now() - vm->job_started;
	broker_metrics_move(vm_broker, (int)r->outcome, ev_now() - vm->job_started);
	if (r->location[0] != '\0') {
		snprintf(vm->location, sizeof(vm->location), "%s", r->location);
		vm->located_at = ev_now();
	}
	snprintf(a.host, sizeof(a.host), "%s", wire_host_valid(r->location, strlen(r->location)) ? r->location : "");
	snprintf(a.text, sizeof(a.text), "%s", r->detail);
	broker_event(r->outcome == VMM_MOVE_FAILED ? LOG_WARNING : LOG_INFO,
	    "%s: move to %s %s in %.3f s%s%s%s%s", vm->name, vm->target,
	    vm_outcome_words[r->outcome <= VMM_MOVE_FAILED ? r->outcome : VMM_MOVE_FAILED], a.duration,
	    r->location[0] ? ", on " : "", r->location, r->detail[0] ? ": " : "", r->detail);
	broker_moves_end(vm, vm->job_id, vm->target, &a);
	vm->target[0] = '\0';
	vm->job_recovering = 0;
	vm->evict_from[0] = '\0';
	vm_answer(vm, &a);
}

static void
vm_evict_done(void *arg)
{
	struct broker_vm *vm = arg;
	struct broker_host *h;

	if (vm->job_rc != 1) {
		vm_move_done(vm);
		return;
	}
	if ((h = broker_host_find(vm_broker, vm->target)) != NULL && h->incoming > 0)
		h->incoming--;
	if (vm->job_res.location[0]) {
		snprintf(vm->location, sizeof(vm->location), "%s", vm->job_res.location);
		vm->located_at = ev_now();
	}
	log_info("broker: %s: not on %s (on %s): no move of the provider's", vm->name,
	    vm->evict_from, vm->location[0] ? vm->location : "a host unknown");
	vm->target[0] = vm->evict_from[0] = '\0';
}

int
broker_vm_evict(struct broker *b, struct broker_vm *vm, const char *from, const char *target)
{
	struct worker *w = vm_worker(vm);
	struct broker_host *h = broker_host_find(b, target);

	if (w == NULL || worker_busy(w))
		return -1;
	vm->job_rq = (struct wire_breq){ .kind = WIRE_BREQ_MOVE, .action = VMM_ACT_MOVE };
	snprintf(vm->job_rq.target, sizeof(vm->job_rq.target), "%s", target);
	snprintf(vm->target, sizeof(vm->target), "%s", target);
	snprintf(vm->evict_from, sizeof(vm->evict_from), "%s", from);
	vm->job_started = ev_now();
	vm->waiting = NULL;
	if (worker_submit(w, vm_job_evict, vm_evict_done, vm) < 0) {
		vm->target[0] = vm->evict_from[0] = '\0';
		return -1;
	}
	if (h != NULL)
		h->incoming++;
	broker_event(LOG_WARNING, "%s: still on %s past its drain deadline: the provider moves it to %s",
	    vm->name, from, target);
	return 0;
}

/* HERE from what is known of the VM, fresh or from the last look. */
static void
vm_where_answer(struct broker_vm *vm)
{
	struct broker_host *h;
	struct wire_bans a = { .kind = WIRE_BANS_HERE };

	if (vm->job_rc < 0) {
		a.kind = WIRE_BANS_ERR;
		snprintf(a.text, sizeof(a.text), "cannot tell where the VM runs: %s", vm->job_err);
		log_warnx("broker: %s: locate: %s", vm->name, vm->job_err);
	} else {
		snprintf(a.host, sizeof(a.host), "%s", vm->location);
		a.draining = (h = broker_host_find(vm_broker, vm->location)) != NULL && h->draining;
		a.leave_in = h != NULL ? broker_drain_left(h) : -1;
	}
	vm_answer(vm, &a);
}

/* The endpoint's look, just made. */
static void
vm_located(struct broker_vm *vm)
{
	if (vm->job_rc < 0) {
		vm->located_at = 0;
		return;
	}
	snprintf(vm->location, sizeof(vm->location), "%s", vm->job_res.location);
	vm->located_at = ev_now();
}

static void
vm_where_done(void *arg)
{
	vm_located(arg);
	vm_where_answer(arg);
}

/* HOSTS: what the endpoint learnt of the VM's hosts at its last look. */
static void
vm_hosts_answer(struct broker_vm *vm)
{
	struct vmm_host_hint hints[64];
	char out[WIRE_BROKER_MAX_PAYLOAD], line[WIRE_MAX_LINE];
	size_t n = 0, len, count = 0;

	if (vm_broker->ops->hints != NULL)
		n = vm_broker->ops->hints(vm->ep, hints, sizeof(hints) / sizeof(hints[0]));
	for (size_t i = 0; i < n; i++)
		count += broker_vm_allows(vm, hints[i].host);
	struct wire_bans a = { .kind = WIRE_BANS_HOSTS, .count = count };
	len = wire_bans_format(out, sizeof(out), &a);
	for (size_t i = 0; i < n; i++) {
		if (!broker_vm_allows(vm, hints[i].host))
			continue;
		const struct broker_host *bh = broker_host_find(vm_broker, hints[i].host);
		struct wire_bans h = { .kind = WIRE_BANS_HOST, .free_memory = hints[i].free_memory,
			.cpu_idle = hints[i].cpu_idle, .draining = bh != NULL && bh->draining };
		snprintf(h.host, sizeof(h.host), "%s", hints[i].host);
		size_t l = wire_bans_format(line, sizeof(line), &h);
		if (len + l <= sizeof(out)) {
			memcpy(out + len, line, l);
			len += l;
		}
	}
	if (vm->waiting != NULL)
		broker_conn_answer(vm_broker, vm->waiting, vm->waiting_seq, out, len);
	vm->waiting = NULL;
}

static void
vm_hosts_done(void *arg)
{
	vm_located(arg);
	vm_hosts_answer(arg);
}

/* A VM's worker thread, started at its first request: a broker with thousands of VMs
 * runs threads only for those that ask. Signals stay with the loop thread. */
static struct worker *
vm_worker(struct broker_vm *vm)
{
	sigset_t all, old;

	if (vm->w != NULL)
		return vm->w;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	vm->w = worker_new(vm_broker->loop, vm->name);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (vm->w == NULL)
		log_warnx("broker: %s: cannot start a worker thread", vm->name);
	return vm->w;
}

/* A request the record holds (its MOVE again, or OUTCOME): its answer if it ended, or
 * the answer when it ends. Never run twice. */
static void
vm_from_record(struct broker_vm *vm, struct broker_conn *c, uint64_t seq, const struct broker_move *m)
{
	char out[WIRE_MAX_LINE + 512];

	if (m->done) {
		broker_event(LOG_INFO, "%s: request %016" PRIx64 " (move to %s) asked again: answered from the record, not run again",
		    vm->name, m->id, m->target);
		broker_conn_answer(vm_broker, c, seq, out, wire_bans_format(out, sizeof(out), &m->ans));
		return;
	}
	log_info("broker: %s: request %016" PRIx64 " (move to %s) asked again while it runs: answered when it ends",
	    vm->name, m->id, m->target);
	vm->waiting = c;   /* an earlier connection for it is gone, or gives up */
	vm->waiting_seq = seq;
}

static void
vm_move(struct broker *b, struct broker_vm *vm, struct broker_conn *c, uint64_t seq,
    const struct wire_breq *rq, const char *peer)
{
	struct broker_host *h = broker_host_find(b, rq->target);
	struct worker *w = vm_worker(vm);
	char why[256];
	double retry;
	enum admit_reason reason;
	struct admit_input in = {
		.allowed = h != NULL && broker_vm_allows(vm, rq->target), .vm_busy = w == NULL || worker_busy(w),
		.draining = h != NULL && h->draining, .incoming = h != NULL ? h->incoming : 0,
		.max_incoming = (int)b->max_incoming, .starts = vm->starts, .nstarts = vm->nstarts,
		.budget = vm->budget, .now = ev_now(), .retry_after = b->retry_after,
		.target = rq->target, .reason = &reason,
	};

	struct broker_move *m = broker_moves_find(vm, rq->id);
	if (m != NULL) {
		vm_from_record(vm, c, seq, m);
		return;
	}
	if (vm->tenant != NULL) {
		in.tenant = vm->tenant->name;
		in.tenant_starts = vm->tenant->starts;
		in.tenant_nstarts = vm->tenant->nstarts;
		in.tenant_budget = b->tenant_moves_per_hour;
	}

	if (admit_move(&in, why, sizeof(why), &retry) < 0) {
		b->st.refused[reason]++;
		broker_event(LOG_WARNING, "%s: %s to %s refused: %s (retry after %.0f s)", vm->name,
		    vmm_action_name((enum vmm_action)rq->action), rq->target, why, retry);
		vm_refuse(c, seq, why, retry);
		return;
	}
	vm->job_rq = *rq;
	vm->job_id = rq->id;
	vm->job_started = in.now;
	snprintf(vm->target, sizeof(vm->target), "%s", rq->target);
	/* recorded before it starts: a broker killed from here on finds it again */
	if (broker_moves_begin(vm, rq) < 0 || worker_submit(w, vm_job_move, vm_move_done, vm) < 0) {
		struct wire_bans no = { .kind = WIRE_BANS_DONE, .outcome = VMM_MOVE_FAILED,
			.failure = VMM_FAIL_OTHER, .duration = -1, .text = "not started" };
		broker_moves_end(vm, rq->id, rq->target, &no);
		vm->target[0] = '\0';
		b->st.refused[ADMIT_BUSY]++;
		vm_refuse(c, seq, "a request of this VM is in progress", b->retry_after);
		return;
	}
	vm->waiting = c;
	vm->waiting_seq = seq;
	b->st.admitted++;
	if (h != NULL)
		h->incoming++;
	admit_record(vm->starts, &vm->nstarts, BROKER_MAX_BUDGET, in.now);
	if (vm->tenant != NULL)
		admit_record(vm->tenant->starts, &vm->tenant->nstarts, BROKER_MAX_TENANT_BUDGET, in.now);
	broker_event(LOG_INFO, "%s: %s to %s admitted (asked from %s)", vm->name,
	    vmm_action_name((enum vmm_action)rq->action), rq->target, peer);
}

void
broker_vm_request(struct broker *b, struct broker_vm *vm, struct broker_conn *c, uint64_t seq,
    const struct wire_breq *rq, const char *peer)
{
	if (rq->kind >= WIRE_BREQ_MOVE && rq->kind <= WIRE_BREQ_HOSTS)
		b->st.requests[rq->kind]++;
	if (rq->kind == WIRE_BREQ_MOVE) {
		vm_move(b, vm, c, seq, rq, peer);
		return;
	}
	if (rq->kind == WIRE_BREQ_OUTCOME) {
		struct broker_move *m = broker_moves_find(vm, rq->id);
		struct wire_bans none = { .kind = WIRE_BANS_UNKNOWN };
		char out[64];
		if (m != NULL)
			vm_from_record(vm, c, seq, m);
		else
			broker_conn_answer(b, c, seq, out, wire_bans_format(out, sizeof(out), &none));
		return;
	}
	struct worker *w = vm_worker(vm);
	/* the endpoint looked a moment ago: its answer stands (bounded hypervisor queries) */
	if (w != NULL && !worker_busy(w) && vm->located_at > 0 && vm->location[0] &&
	    ev_now() - vm->located_at < BROKER_LOCATE_CACHE) {
		vm->waiting = c;
		vm->waiting_seq = seq;
		vm->job_rc = 0;
		if (rq->kind == WIRE_BREQ_WHERE)
			vm_where_answer(vm);
		else
			vm_hosts_answer(vm);
		return;
	}
	if (w == NULL || worker_submit(w, vm_job_locate, rq->kind == WIRE_BREQ_WHERE ?
	    vm_where_done : vm_hosts_done, vm) < 0) {
		/* the VM's own move is in progress: the agent asks again after it */
		b->st.refused[ADMIT_BUSY]++;
		vm_refuse(c, seq, "a request of this VM is in progress", b->retry_after);
		return;
	}
	vm->waiting = c;
	vm->waiting_seq = seq;
}

void
broker_vm_init(struct broker *b)
{
	vm_broker = b;
}

static void
vm_recover_one(struct broker *b, struct broker_vm *vm, const struct broker_move *m)
{
	struct worker *w = vm_worker(vm);
	struct broker_host *h = broker_host_find(b, m->target);
	double ago = difftime(time(NULL), (time_t)m->started);

	vm->job_rq = (struct wire_breq){ .kind = WIRE_BREQ_MOVE, .action = m->action,
		.cross_site = m->cross_site, .id = m->id };
	snprintf(vm->job_rq.target, sizeof(vm->job_rq.target), "%s", m->target);
	snprintf(vm->target, sizeof(vm->target), "%s", m->target);
	vm->job_id = m->id;
	vm->job_started = ev_now() - (ago > 0 ? ago : 0);
	vm->job_recovering = 1;
	broker_event(LOG_NOTICE, "%s: the move to %s (request %016" PRIx64 ") was in flight when the broker stopped, %.0f s ago: looking for it",
	    vm->name, m->target, m->id, ago);
	if (w == NULL || worker_submit(w, vm_job_recover, vm_move_done, vm) < 0) {
		struct wire_bans no = { .kind = WIRE_BANS_DONE, .outcome = VMM_MOVE_UNCONFIRMED,
			.failure = VMM_FAIL_OTHER, .duration = -1,
			.text = "the broker restarted during the move and cannot look for it" };
		broker_moves_end(vm, m->id, m->target, &no);
		vm->target[0] = '\0';
		vm->job_recovering = 0;
		return;
	}
	if (h != NULL)
		h->incoming++;
	admit_record(vm->starts, &vm->nstarts, BROKER_MAX_BUDGET, vm->job_started);
	if (vm->tenant != NULL)
		admit_record(vm->tenant->starts, &vm->tenant->nstarts, BROKER_MAX_TENANT_BUDGET,
		    vm->job_started);
}

void
broker_vm_recover(struct broker *b)
{
	for (size_t i = 0; i < b->nvms; i++) {
		struct broker_vm *vm = &b->vms[i];
		struct broker_move *last = NULL;
		for (size_t j = 0; j < vm->nmoves; j++) {
			if (vm->moves[j].done)
				continue;
			if (last != NULL) {  /* stopped twice: a later move followed this one */
				last->done = 1;
				last->ans = (struct wire_bans){ .kind = WIRE_BANS_DONE,
					.outcome = VMM_MOVE_UNCONFIRMED, .failure = VMM_FAIL_OTHER,
					.duration = -1, .text = "the broker stopped during the move; a later one followed" };
			}
			last = &vm->moves[j];
		}
		if (last != NULL)
			vm_recover_one(b, vm, last);
	}
}

void
broker_vm_stop(struct broker *b)
{
	for (size_t i = 0; i < b->nvms; i++)
		if (b->vms[i].w != NULL) {
			worker_free(b->vms[i].w);
			b->vms[i].w = NULL;
		}
}
