/* SPDX-License-Identifier: ISC */
/* Where the VM runs: the broadcast test, the endpoint's locate, and the reconcile at start. */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "agent/agent_priv.h"
#include "common/ev.h"
#include "core/setup.h"
#include "common/worker.h"

/* The thesis's location test: the broadcast address of an interface equals the home
 * array's. 1, 0, or -1 when the interfaces cannot be read. */
static int
agent_broadcast_is(const char *want)
{
	struct ifaddrs *ifs, *i;
	char buf[INET6_ADDRSTRLEN];
	int found = 0;

	if (getifaddrs(&ifs) < 0)
		return -1;
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_broadaddr == NULL || !(i->ifa_flags & IFF_BROADCAST) ||
		    i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		const struct sockaddr_in *b = (const struct sockaddr_in *)(const void *)i->ifa_broadaddr;
		if (inet_ntop(AF_INET, &b->sin_addr, buf, sizeof(buf)) && strcmp(buf, want) == 0)
			found = 1;
	}
	freeifaddrs(ifs);
	return found;
}

int
agent_at_home(const struct agent *a)
{
	struct topology t = agent_topology(a->su);

	if (a->su->set.home_broadcast != NULL)
		return agent_broadcast_is(a->su->set.home_broadcast);
	return target_at_home(&t, a->st.location);
}

/* ---- where the VM runs: asked of the endpoint at start, when it can tell ---- */

static void
agent_locate_job(void *arg)
{
	struct agent_locate_job *j = arg;

	j->located[0] = j->err[0] = '\0';
	j->rc = j->ops->locate(j->state, j->located, sizeof(j->located), j->err, sizeof(j->err));
}

/* The answer to a locate: at start, periodically, and after a move that went wrong. An
 * endpoint that cannot answer is reported when it starts failing, not every time. */
static void
agent_located(struct agent *a)
{
	const double every = a->su->set.locate_interval;

	a->where.next_locate = ev_now() + (every > 0 ? every : 1e12);
	if (a->where.locate_rc < 0) {
		if (!a->where.locate_failing)
			agent_note(a, "location", "Cannot ask the endpoint where the VM runs: %s; keeping %s",
			    a->where.locate_err, a->st.location[0] ? a->st.location : "no location");
		a->where.locate_failing = 1;
		return;
	}
	if (a->where.locate_failing)
		agent_note(a, "location", "The endpoint answers again: the VM is on %s", a->where.located);
	else if (strcmp(a->where.located, a->st.location) != 0)
		agent_event(a, &(struct journal_event){ .kind = JOURNAL_LOCATION,
		    .u.location = { .host = a->where.located, .cached = a->st.location } });
	a->where.locate_failing = 0;
	snprintf(a->st.location, sizeof(a->st.location), "%s", a->where.located);
	a->st.location_confirmed = 1;
	hosts_succeeded(&a->learning.known, a->where.located);
	agent_take_hints(a);
}

static void
agent_locate_done(void *arg)
{
	struct agent_locate_job *j = arg;
	struct agent *a = AGENT_OF(j, jobs.locate);

	snprintf(a->where.located, sizeof(a->where.located), "%s", j->located);
	snprintf(a->where.locate_err, sizeof(a->where.locate_err), "%s", j->err);
	a->where.locate_rc = j->rc;
	a->where.locating = 0;
	agent_located(a);
	if (a->st.pending_action[0]) {
		agent_note(a, "reconcile", "A %s to %s requested before the restart: the VM is %s%s",
		    a->st.pending_action, a->st.pending_target,
		    a->where.locate_rc < 0 ? "somewhere unknown" : "on ", a->where.locate_rc < 0 ? "" : a->st.location);
		snprintf(a->st.last_outcome, sizeof(a->st.last_outcome), "%s",
		    a->where.locate_rc < 0 ? "unknown" : strcmp(a->st.location, a->st.pending_target) == 0 ? "confirmed" : "failed");
		a->st.pending_action[0] = a->st.pending_target[0] = '\0';
		a->st.pending_id = 0;
	}
	agent_save(a);
	agent_apply_pending(a);
}

void
agent_locate(struct agent *a)
{
	struct agent_locate_job *j = &a->jobs.locate;

	if (worker_busy(a->endpoint_w))
		return;
	j->ops = setup_endpoint(a->su);
	j->state = a->su->endpoint.state;
	a->where.locating = 1;
	if (worker_submit(a->endpoint_w, agent_locate_job, agent_locate_done, j) < 0)
		a->where.locating = 0;
}

/* Right after a cycle's decision, so that the answer is in before the next one. */
void
agent_maybe_locate(struct agent *a)
{
	if (setup_endpoint(a->su)->locate == NULL || a->where.locating || a->pending != NULL ||
	    worker_busy(a->endpoint_w) || ev_now() < a->where.next_locate)
		return;
	agent_locate(a);
}

/* The state file is a cache; where the endpoint can tell, its answer wins. */
/* A provider's retry-after that was still running when the agent stopped holds on. */
static void
agent_resume_refusal(struct agent *a)
{
	int64_t left = a->st.refused_until - (int64_t)time(NULL);

	if (a->st.refused_until <= 0 || left <= 0)
		return;
	guard_refused(&a->guard, ev_now(), (double)left, a->st.refused_why);
	agent_note(a, "reconcile", "The provider refused the last request before the restart (%s): no new one for %" PRId64 " s",
	    a->st.refused_why[0] ? a->st.refused_why : "no reason given", left);
}

void
agent_reconcile(struct agent *a)
{
	const struct settings *s = &a->su->set;

	agent_resume_refusal(a);
	if (a->st.location[0] == '\0') {
		const char *start = s->location ? s->location : s->nhosts ? s->hosts[0] : "";
		snprintf(a->st.location, sizeof(a->st.location), "%s", start);
		a->st.location_confirmed = 0;
	}
	if (a->st.pending_action[0] && agent_recover(a) == 0)
		return;
	if (setup_endpoint(a->su)->locate != NULL) {
		agent_locate(a);
		return;
	}
	if (a->st.pending_action[0]) {
		agent_note(a, "reconcile", "A %s to %s requested at %" PRId64 " had no answer before the restart; the endpoint cannot say where the VM runs, assuming %s",
		    a->st.pending_action, a->st.pending_target, a->st.pending_since, a->st.pending_target);
		snprintf(a->st.location, sizeof(a->st.location), "%s", a->st.pending_target);
		a->st.location_confirmed = 0;
		snprintf(a->st.last_outcome, sizeof(a->st.last_outcome), "unknown");
		a->st.pending_action[0] = a->st.pending_target[0] = '\0';
		a->st.pending_id = 0;
	}
	agent_save(a);
}
