/* SPDX-License-Identifier: ISC */
/* The endpoint side: a move's job on the worker, its outcome, and the request announced and sent. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "agent/agent_priv.h"
#include "common/log.h"
#include "common/ev.h"
#include "core/setup.h"
#include "common/worker.h"

static const char *
agent_outcome_name(enum vmm_move_outcome o)
{
	return o == VMM_MOVE_CONFIRMED ? "confirmed" : o == VMM_MOVE_UNCONFIRMED ? "unconfirmed" :
	    o == VMM_MOVE_REFUSED ? "refused" : o == VMM_MOVE_NOT_MADE ? "not made" : "failed";
}

/* Worker thread: the endpoint's blocking move, or its word on one made before a restart. */
static void
agent_move_job(void *arg)
{
	struct agent_move_job *j = arg;

	memset(&j->res, 0, sizeof(j->res));
	if (j->recover)
		j->ops->recover(j->state, &j->req, &j->res);
	else
		j->ops->move(j->state, &j->req, &j->res);
}

/* What the endpoint saw of the hosts while it worked: the target choice's hints. */
void
agent_take_hints(struct agent *a)
{
	const struct vmm_endpoint_ops *eo = setup_endpoint(a->su);
	struct vmm_host_hint h[32];

	if (eo->hints == NULL)
		return;
	size_t n = eo->hints(a->su->endpoint.state, h, sizeof(h) / sizeof(h[0]));
	for (size_t i = 0; i < n && i < sizeof(h) / sizeof(h[0]); i++) {
		if (h[i].host == NULL)
			continue;
		hosts_hint(&a->learning.known, h[i].host, h[i].free_memory, h[i].cpu_idle, (double)agent_wall());
		hosts_hint_incoming(&a->learning.known, h[i].host, h[i].incoming);
		hosts_hint_draining(&a->learning.known, h[i].host, h[i].draining);
		if (strcmp(h[i].host, a->st.location) == 0)
			agent_drain_seen(a, h[i].draining, h[i].leave_in);
		/* the host that runs the VM says how much memory it has */
		if (h[i].vm_memory > 0)
			a->learning.known.vm_memory = h[i].vm_memory;
	}
}

/* What the endpoint said of the host the VM runs on: drained by the provider or not. Said
 * once when the drain is first seen. */
void
agent_drain_seen(struct agent *a, int draining, double leave_in)
{
	char why[256];

	if (!draining) {
		a->where.drain_host[0] = '\0';
		return;
	}
	if (strcmp(a->where.drain_host, a->st.location) != 0) {
		journal_drain_why(why, sizeof(why), a->st.location, leave_in);
		agent_note(a, "location", "%s", why);
	}
	snprintf(a->where.drain_host, sizeof(a->where.drain_host), "%s", a->st.location);
	a->where.drain_leave_in = leave_in;
	a->where.drain_seen = ev_now();
}

/* The move's outcome: decide_moved() does the bookkeeping the simulator does too; here
 * what the daemon keeps and says of it. */
static void
agent_move_outcome(struct agent *a)
{
	const struct vmm_move_result *r = &a->moving.res;
	const char *target = a->moving.req_target;
	double took = r->duration > 0 ? r->duration : ev_now() - a->moving.req_started;
	struct decider d = agent_decider(a);
	struct decide_move m = { .outcome = r->outcome, .from = a->moving.req_source, .target = target,
		.location = r->location, .took = took, .failure = r->failure, .permanent = r->permanent,
		.detail = r->detail, .retry_after = r->retry_after, .cross_site = a->moving.req.cross_site, .mono = ev_now(),
		.wall = (double)agent_wall() };
	struct decide_moved o;

	decide_moved(&d, &m, &o);
	if (o.warn)
		agent_warning(a, "pingpong", o.why);
	if (o.located) {
		snprintf(a->st.location, sizeof(a->st.location), "%s", o.location);
		a->st.location_confirmed = o.confirmed;
	}
	if (r->outcome == VMM_MOVE_CONFIRMED) {
		a->st.confirmed++;
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_CONFIRMED, .u.confirmed = {
		    .target = target, .seconds = took, .detail = r->detail } });
	} else if (r->outcome == VMM_MOVE_UNCONFIRMED) {
		/* accepted: like the thesis, assume it went where it was sent, but say so */
		a->st.unconfirmed++;
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_UNCONFIRMED, .u.unconfirmed = {
		    .target = target, .detail = r->detail } });
	} else if (r->outcome == VMM_MOVE_REFUSED) {
		/* the provider's answer, not a failure: no backoff, breaker or alert counts it */
		a->st.refused++;
		/* kept in the state: a restart must not ask again before the provider said */
		a->st.refused_until = (int64_t)time(NULL) + (r->retry_after > 0 ? (int64_t)ceil(r->retry_after) : 0);
		snprintf(a->st.refused_why, sizeof(a->st.refused_why), "%s", r->detail);
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_REFUSED, .u.refused = {
		    .target = target, .detail = r->detail, .retry_after = r->retry_after } });
	} else {
		a->st.failed++;
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_FAILED, .u.failed = {
		    .target = target, .detail = r->detail, .failure = r->failure, .wait = o.wait,
		    .failures = o.failures } });
	}
	/* the endpoint's word on where the VM is, soon, unless it just confirmed it */
	if (r->outcome == VMM_MOVE_FAILED || r->outcome == VMM_MOVE_UNCONFIRMED)
		a->where.next_locate = 0;
	agent_take_hints(a);
	agent_save_known(a);
}

/* Loop thread: the move came back. */
static void
agent_move_done(void *arg)
{
	struct agent_move_job *j = arg;
	struct agent *a = AGENT_OF(j, jobs.move);
	const struct vmm_move_result *r = &a->moving.res;

	a->moving.res = j->res;
	if (r->outcome == VMM_MOVE_NOT_MADE) {
		/* no move: nothing to learn, no host at fault; where the VM runs is asked soon */
		agent_note(a, "reconcile", "The %s to %s requested before the restart was never made: %s",
		    a->st.pending_action, a->moving.req_target, r->detail);
		a->where.next_locate = 0;
	} else
		agent_move_outcome(a);
	snprintf(a->st.last_outcome, sizeof(a->st.last_outcome), "%s", agent_outcome_name(r->outcome));
	snprintf(a->st.last_detail, sizeof(a->st.last_detail), "%s", r->detail);
	a->st.last_duration = r->outcome == VMM_MOVE_NOT_MADE ? 0 :
	    r->duration > 0 ? r->duration : ev_now() - a->moving.req_started;
	a->st.pending_action[0] = a->st.pending_target[0] = '\0';
	a->st.pending_since = 0;
	a->st.pending_id = 0;
	agent_save(a);
	agent_apply_pending(a);
	agent_metrics_write(a);
	agent_alerts_check(a);
}

/* The move's job record: the request copied in. -1 while the endpoint worker is busy. */
static int
agent_move_submit(struct agent *a, int recover)
{
	struct agent_move_job *j = &a->jobs.move;

	if (worker_busy(a->endpoint_w))
		return -1;
	j->recover = recover;
	j->ops = setup_endpoint(a->su);
	j->state = a->su->endpoint.state;
	snprintf(j->source, sizeof(j->source), "%s", a->moving.req_source);
	snprintf(j->target, sizeof(j->target), "%s", a->moving.req_target);
	j->req = a->moving.req;
	j->req.source = j->source;
	j->req.target = j->target;
	return worker_submit(a->endpoint_w, agent_move_job, agent_move_done, j);
}

/* The thesis's words for each action (Appendix A.2), so old log readers still match. */
void
agent_announce(struct agent *a, enum vmm_action act, const char *target, const char *why)
{
	struct journal_event ev[2];
	size_t n = journal_request(act, target, why, ev);

	for (size_t i = 0; i < n; i++)
		agent_event(a, &ev[i]);
}

/* The request durable before the call, as one block (state_request_write): 0, or 1 when
 * that failed and the whole state file was written instead. */
static int
agent_save_request(struct agent *a)
{
	struct state_request r = { .number = a->st.requests, .since = a->st.pending_since,
		.id = a->st.pending_id };
	char err[512];

	snprintf(r.action, sizeof(r.action), "%s", a->st.pending_action);
	snprintf(r.target, sizeof(r.target), "%s", a->st.pending_target);
	if (state_request_write(a->su->set.state_dir, &r, err, sizeof(err)) == 0)
		return 0;
	log_warnx("state: %s; the state file is written before the call instead", err);
	agent_save(a);
	return 1;
}

void
agent_send(struct agent *a, enum vmm_action act, const char *target, int cross_site,
    const char *origin)
{
	/* a move ends what the policy kept deciding where the VM was */
	agent_episode_end(a, &a->logging.ep_queue);
	said_request(&a->logging.said, agent_episode_emit, a);
	a->moving.req_action = act;
	snprintf(a->moving.req_source, sizeof(a->moving.req_source), "%s", a->st.location);
	snprintf(a->moving.req_target, sizeof(a->moving.req_target), "%s", target);
	snprintf(a->moving.req_origin, sizeof(a->moving.req_origin), "%s", origin);
	/* its name for the endpoint, kept in the state: after a restart the agent asks how
	 * this request ended (agent_recover), never makes it again */
	uint64_t id = 0;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id))
		id = 0; /* none: the endpoint names it, and a restart can only locate the VM */
	a->moving.req = (struct vmm_move_request){ .action = act, .source = a->moving.req_source,
		.target = a->moving.req_target, .cross_site = cross_site, .id = id };
	a->st.pending_id = id;
	/* recorded before the call: the agent lives in the VM it moves, and a cold move
	 * stops it mid-call; the next start reconciles */
	snprintf(a->st.pending_action, sizeof(a->st.pending_action), "%s", vmm_action_name(act));
	snprintf(a->st.pending_target, sizeof(a->st.pending_target), "%s", target);
	a->st.pending_since = agent_wall();
	snprintf(a->st.last_action, sizeof(a->st.last_action), "%s", vmm_action_name(act));
	snprintf(a->st.last_target, sizeof(a->st.last_target), "%s", target);
	snprintf(a->st.last_outcome, sizeof(a->st.last_outcome), "in flight");
	a->st.last_detail[0] = '\0';
	a->st.last_request_time = a->st.pending_since;
	a->st.requests++;
	int saved = agent_save_request(a);
	a->moving.req_started = ev_now();
	struct decider d = agent_decider(a);
	struct decide_input in = { .mono = a->moving.req_started, .cli = strcmp(origin, "cli") == 0 };
	char why[256];
	if (decide_sent(&d, &in, why, sizeof(why))) {
		log_warnx("%s", why);
		agent_warning(a, "breaker", why);
	}
	agent_move_submit(a, 0);
	/* the whole state while the endpoint works: its rename and fsyncs cost 1-37 ms */
	if (!saved)
		agent_save(a);
}

/* At start, a request made before the restart and never answered, to an endpoint that can
 * find it again (recover): its outcome is asked for, and taken as the move's, once it
 * has ended. 0, or -1 when it cannot be asked (the caller locates the VM instead). */
int
agent_recover(struct agent *a)
{
	const struct vmm_endpoint_ops *eo = setup_endpoint(a->su);
	enum vmm_action act = vmm_action_named(a->st.pending_action, strlen(a->st.pending_action));

	if (eo->recover == NULL || a->st.pending_id == 0 || act == VMM_ACT_NONE)
		return -1;
	a->moving.req_action = act;
	snprintf(a->moving.req_source, sizeof(a->moving.req_source), "%s", a->st.location);
	snprintf(a->moving.req_target, sizeof(a->moving.req_target), "%s", a->st.pending_target);
	snprintf(a->moving.req_origin, sizeof(a->moving.req_origin), "restart");
	a->moving.req = (struct vmm_move_request){ .action = act, .source = "",
		.target = a->moving.req_target, .id = a->st.pending_id };
	/* its time so far counts: the endpoint may not measure the whole move */
	int64_t before = agent_wall() - a->st.pending_since;
	a->moving.req_started = ev_now() - (a->st.pending_since > 0 && before > 0 ? (double)before : 0);
	if (agent_move_submit(a, 1) < 0)
		return -1;
	agent_note(a, "reconcile", "A %s to %s requested before the restart (request %016" PRIx64 "): asking the endpoint how it ended",
	    a->st.pending_action, a->st.pending_target, a->st.pending_id);
	return 0;
}
