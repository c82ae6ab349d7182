/* SPDX-License-Identifier: ISC */
/* Endpoint `libvirt`: live-migrates this VM between libvirt hosts with
 * virDomainMigrateToURI3 (peer to peer), and asks libvirt where it runs: before a move
 * (the source is the host that runs it, whatever the agent believes), after it (the
 * target must run it and the source not: only then is it confirmed), and at start. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvirt.h"

/* How long to wait, after the call, for the hosts to agree on where the VM runs. */
#define LV_CONFIRM_AFTER_SUCCESS 30.0
#define LV_CONFIRM_AFTER_FAILURE 10.0

struct lv_endpoint {
	const struct vmm_host *host;
	struct lv_conf conf;
	int looped; /* holds a reference on the event loop */
	struct lv_hint *hints; /* one per configured host */
	int recover_abort;     /* lv_recover: the deadline passed, abort the job */
};

/* Where the domain is on one host, as far as that host says. */
enum lv_presence { LV_UNREACHABLE, LV_ABSENT, LV_INACTIVE, LV_ACTIVE, LV_RUNNING };

struct lv_probe {
	const struct lv_host *host;
	virConnectPtr conn;
	enum lv_presence presence;
	int code;      /* libvirt's error number when unreachable */
	char err[320];
};

/* Which host runs the domain, or why none can be named. */
struct lv_where {
	int index;     /* into the probes, or -1 */
	enum vmm_failure failure;
	int permanent;
	char text[512];
};

/* What the migration call did. */
struct lv_call {
	int rc;
	int code;
	int aborted;   /* by the watcher: deadline or stall */
	char msg[400];
	char why[384];
	double started;
};

static const char *const lv_keys[] = { "libvirt_domain", "libvirt_uri_template", "libvirt_uris",
	"libvirt_migrate_uri_template", "libvirt_bandwidth", "libvirt_max_downtime",
	"libvirt_auto_converge", "libvirt_stall_timeout", "libvirt_persist",
	"libvirt_undefine_source", "libvirt_cross_site", "libvirt_keepalive", "endpoint_timeout",
	"libvirt_max_downtime_steps", "libvirt_max_downtime_step_interval", "libvirt_postcopy",
	"libvirt_postcopy_after", "libvirt_timeout_per_gib", "libvirt_tls", "libvirt_site_link_encrypted",
	"hosts", "min_range", "max_range", "base", "home", "away", NULL };

/* ---- connections ---- */

static virDomainPtr
lv_lookup(virConnectPtr c, const struct lv_conf *lc)
{
	virDomainPtr d = NULL;

	if (lc->domain_is_uuid)
		d = virDomainLookupByUUIDString(c, lc->domain);
	if (d == NULL)
		d = virDomainLookupByName(c, lc->domain);
	return d;
}

/* Reopen a connection that died (the host restarted): keepalive closed it. */
static void
lv_revive(struct lv_endpoint *e, struct lv_probe *p)
{
	if (p->conn != NULL && virConnectIsAlive(p->conn) == 1)
		return;
	if (p->conn != NULL)
		virConnectClose(p->conn);
	p->conn = lv_open(p->host->uri, e->conf.keepalive, e->conf.connect_timeout, p->err,
	    sizeof(p->err), &p->code);
}

static enum lv_presence
lv_presence_on(struct lv_endpoint *e, struct lv_probe *p)
{
	int state = VIR_DOMAIN_NOSTATE, reason = 0;

	if (p->conn == NULL)
		return LV_UNREACHABLE;
	virDomainPtr d = lv_lookup(p->conn, &e->conf);
	if (d == NULL) {
		char msg[400];
		int code = lv_last_error(msg, sizeof(msg));
		if (code == VIR_ERR_NO_DOMAIN)
			return LV_ABSENT;
		p->code = code;
		snprintf(p->err, sizeof(p->err), "%s", msg);
		return LV_UNREACHABLE;
	}
	enum lv_presence pr = LV_INACTIVE;
	if (virDomainGetState(d, &state, &reason, 0) == 0 && state == VIR_DOMAIN_RUNNING)
		pr = LV_RUNNING;
	else if (virDomainIsActive(d) == 1)
		pr = LV_ACTIVE; /* paused: e.g. the receiving end of a migration */
	virDomainFree(d);
	return pr;
}

static void
lv_probes_free(const struct lv_endpoint *e, struct lv_probe *probes)
{
	for (size_t i = 0; probes != NULL && i < e->conf.nhosts; i++)
		if (probes[i].conn != NULL)
			lv_conn_release(probes[i].host->uri, e->conf.keepalive, probes[i].conn);
	free(probes);
}

/* ---- where the VM runs ---- */

/* libvirt refuses "to migrate guest to the same host" by host UUID or hostname, after
 * a round trip: check first, and call it what it is, a configuration error. */
static int
lv_same_host(const struct lv_probe *a, const struct lv_probe *b, char *msg, size_t len)
{
	struct lv_identity ia, ib;

	lv_host_identity(a->host->uri, a->conn, &ia);
	lv_host_identity(b->host->uri, b->conn, &ib);
	if (ia.uuid[0] && strcmp(ia.uuid, ib.uuid) == 0)
		snprintf(msg, len, "%s and %s are one libvirt host (host UUID %s): give each host its own host_uuid in libvirtd.conf, or fix their URIs",
		    a->host->name, b->host->name, ia.uuid);
	else if (ia.hostname[0] && strcmp(ia.hostname, ib.hostname) == 0)
		snprintf(msg, len, "%s and %s report the same hostname '%s': libvirt refuses to migrate between them; give each host its own name",
		    a->host->name, b->host->name, ia.hostname);
	else
		return 0;
	return 1;
}

static void
lv_where_summary(const struct lv_endpoint *e, const struct lv_probe *pr, struct lv_where *w)
{
	static const char *const words[] = { "unreachable", "not defined", "shut off", "paused", "running" };
	size_t o = strlen(w->text);

	for (size_t i = 0; i < e->conf.nhosts && o < sizeof(w->text); i++) {
		o += (size_t)snprintf(w->text + o, sizeof(w->text) - o, "%s%s: %s%s%s", i ? "; " : "",
		    pr[i].host->name, words[pr[i].presence],
		    pr[i].presence == LV_UNREACHABLE ? ": " : "",
		    pr[i].presence == LV_UNREACHABLE ? pr[i].err : "");
	}
}

/* Two names that reach one libvirtd both "run" the domain: a configuration error. */
static int
lv_same_running(const struct lv_endpoint *e, const struct lv_probe *pr, int first,
    struct lv_where *w)
{
	for (size_t i = (size_t)first + 1; i < e->conf.nhosts; i++)
		if (pr[i].presence == LV_RUNNING && lv_same_host(&pr[first], &pr[i], w->text, sizeof(w->text))) {
			w->failure = VMM_FAIL_CONFIG;
			w->permanent = 1;
			return 1;
		}
	return 0;
}

/* The host that runs the domain: the one running host, else the one where it is
 * active (paused). No host, or two running hosts, is an answer with a reason. */
static void
lv_where_pick(const struct lv_endpoint *e, const struct lv_probe *pr, struct lv_where *w)
{
	int running = -1, active = -1, nrunning = 0, unreachable = 0, defined = 0;

	for (size_t i = 0; i < e->conf.nhosts; i++) {
		if (pr[i].presence == LV_RUNNING && nrunning++ == 0)
			running = (int)i;
		if (pr[i].presence == LV_ACTIVE && active < 0)
			active = (int)i;
		unreachable += pr[i].presence == LV_UNREACHABLE;
		defined += pr[i].presence >= LV_INACTIVE;
	}
	w->index = nrunning == 1 ? running : nrunning == 0 ? active : -1;
	if (w->index >= 0)
		return;
	w->failure = VMM_FAIL_OTHER;
	if (nrunning > 1 && lv_same_running(e, pr, running, w))
		return;
	if (nrunning > 1)
		snprintf(w->text, sizeof(w->text), "domain %s runs on more than one host: ", e->conf.domain);
	else if (unreachable) {
		w->failure = VMM_FAIL_UNREACHABLE;
		snprintf(w->text, sizeof(w->text), "domain %s runs on none of the hosts that answered: ", e->conf.domain);
	} else if (!defined) {
		w->failure = VMM_FAIL_CONFIG;
		w->permanent = 1;
		snprintf(w->text, sizeof(w->text), "domain %s is defined on none of the configured hosts (check libvirt_domain): ", e->conf.domain);
	} else
		snprintf(w->text, sizeof(w->text), "domain %s runs on no configured host: ", e->conf.domain);
	lv_where_summary(e, pr, w);
}

/* What each host that answered offers, for the next target choice. */
static void
lv_probes_hints(struct lv_endpoint *e, struct lv_probe *pr)
{
	for (size_t i = 0; i < e->conf.nhosts; i++) {
		if (pr[i].conn == NULL)
			continue;
		/* looked up again: after a move, the probe's presence is the one before it */
		virDomainPtr d = lv_lookup(pr[i].conn, &e->conf);
		lv_hint_read(&e->hints[i], pr[i].conn, d);
		if (d != NULL)
			virDomainFree(d);
	}
}

/* Ask every configured host; the connections stay open in the probes for the move. The
 * hints are read too, unless the caller reads them later (a move: after the call). */
static struct lv_probe *
lv_where_is(struct lv_endpoint *e, struct lv_where *w, int hints)
{
	struct lv_probe *pr = calloc(e->conf.nhosts, sizeof(*pr));

	memset(w, 0, sizeof(*w));
	w->index = -1;
	if (pr == NULL) {
		w->failure = VMM_FAIL_OTHER;
		snprintf(w->text, sizeof(w->text), "out of memory");
		return NULL;
	}
	/* all at once: a host that hangs costs connect_timeout once, not once per host */
	struct lv_opener *op[e->conf.nhosts];
	for (size_t i = 0; i < e->conf.nhosts; i++)
		op[i] = lv_open_start(e->conf.hosts[i].uri, e->conf.keepalive);
	double deadline = vmm_mono_now() + e->conf.connect_timeout;
	for (size_t i = 0; i < e->conf.nhosts; i++) {
		pr[i].host = &e->conf.hosts[i];
		pr[i].conn = lv_open_wait(op[i], deadline, pr[i].err, sizeof(pr[i].err), &pr[i].code);
		pr[i].presence = lv_presence_on(e, &pr[i]);
	}
	if (hints)
		lv_probes_hints(e, pr);
	lv_where_pick(e, pr, w);
	return pr;
}

static int
lv_ready(struct lv_endpoint *e, char *err, size_t errlen)
{
	if (e->looped)
		return 0;
	if (lv_loop_ref(err, errlen) < 0)
		return -1;
	e->looped = 1;
	return 0;
}

static int
lv_locate(void *state, char *host, size_t hostlen, char *err, size_t errlen)
{
	struct lv_endpoint *e = state;
	struct lv_where w;

	if (lv_ready(e, err, errlen) < 0)
		return -1;
	struct lv_probe *pr = lv_where_is(e, &w, 1);
	if (w.index >= 0)
		snprintf(host, hostlen, "%s", pr[w.index].host->name);
	else
		snprintf(err, errlen, "%s", w.text);
	lv_probes_free(e, pr);
	return w.index >= 0 ? 0 : -1;
}

/* ---- the move ---- */

static void
lv_fail(struct vmm_move_result *res, enum vmm_failure f, int permanent, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
lv_fail(struct vmm_move_result *res, enum vmm_failure f, int permanent, const char *fmt, ...)
{
	va_list ap;

	res->outcome = VMM_MOVE_FAILED;
	res->failure = f;
	res->permanent = permanent;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
}

static unsigned int
lv_flags(const struct lv_conf *lc, int cross_site)
{
	/* never VIR_MIGRATE_UNSAFE: libvirt's safety checks stand (virt-manager#222) */
	unsigned int f = VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_ABORT_ON_ERROR;

	if (!(cross_site && lc->cross == LV_CROSS_OFFLINE))
		f |= VIR_MIGRATE_LIVE;
	if (cross_site)
		f |= VIR_MIGRATE_NON_SHARED_DISK; /* no shared storage between sites */
	if (lc->persist)
		f |= VIR_MIGRATE_PERSIST_DEST;
	if (lc->undefine_source)
		f |= VIR_MIGRATE_UNDEFINE_SOURCE;
	if (lc->auto_converge)
		f |= VIR_MIGRATE_AUTO_CONVERGE;
	if (lc->postcopy)
		f |= VIR_MIGRATE_POSTCOPY;
	if (lc->tls == LV_TLS_ALWAYS || (lc->tls == LV_TLS_BETWEEN_SITES && cross_site))
		f |= VIR_MIGRATE_TLS;
	return f;
}

static int
lv_params(const struct lv_conf *lc, const struct lv_host *dst, virTypedParameterPtr *p, int *np)
{
	int max = 0;

	*p = NULL;
	*np = 0;
	/* the source would otherwise resolve the name the target reports (avocado-vt#1622) */
	if (dst->migrate_uri != NULL &&
	    virTypedParamsAddString(p, np, &max, VIR_MIGRATE_PARAM_URI, dst->migrate_uri) < 0)
		return -1;
	if (lc->bandwidth > 0 &&
	    virTypedParamsAddULLong(p, np, &max, VIR_MIGRATE_PARAM_BANDWIDTH, lc->bandwidth) < 0)
		return -1;
	return 0;
}

/* The migration call itself, watched on a second connection to the source. */
static void
lv_migrate(struct lv_endpoint *e, const struct lv_probe *src, const struct lv_host *dst,
    int cross_site, struct lv_call *call)
{
	virTypedParameterPtr p = NULL;
	int np = 0;
	char uuid[VIR_UUID_STRING_BUFLEN], err[256];
	virDomainPtr d = lv_lookup(src->conn, &e->conf);

	memset(call, 0, sizeof(*call));
	call->rc = -1;
	call->started = vmm_mono_now();
	if (d == NULL || virDomainGetUUIDString(d, uuid) < 0 || lv_params(&e->conf, dst, &p, &np) < 0) {
		call->code = lv_last_error(call->msg, sizeof(call->msg));
		if (d != NULL)
			virDomainFree(d);
		return;
	}
	/* a bigger guest may take longer: endpoint_timeout plus libvirt_timeout_per_gib */
	virDomainInfo info;
	double gib = virDomainGetInfo(d, &info) == 0 ? (double)info.maxMem / (1024.0 * 1024.0) : 0;
	struct lv_watch_conf wc = { .uri = src->host->uri, .uuid = uuid,
		.deadline = call->started + e->conf.timeout + e->conf.timeout_per_gib * gib,
		.stall = e->conf.stall, .max_downtime = e->conf.max_downtime,
		.downtime_steps = e->conf.downtime_steps, .ndowntime_steps = e->conf.ndowntime_steps,
		.step_interval = e->conf.downtime_step_interval,
		.postcopy_after = e->conf.postcopy ? e->conf.postcopy_after : 0,
		.started = call->started, .host = e->host, .keepalive = e->conf.keepalive,
		.connect_timeout = e->conf.connect_timeout };
	if (e->conf.timeout_per_gib > 0)
		e->host->log(VMM_LOG_DEBUG, "libvirt: deadline %.0f s: %.0f s and %.0f s per GiB of %.2f GiB",
		    wc.deadline - call->started, e->conf.timeout, e->conf.timeout_per_gib, gib);
	struct lv_watch *w = lv_watch_start(&wc, err, sizeof(err));
	if (w == NULL)
		snprintf(call->why, sizeof(call->why), "%s", err);
	unsigned int flags = lv_flags(&e->conf, cross_site);
	/* wall-clock time, to line up with the cycle log and libvirtd's own logs */
	e->host->log(VMM_LOG_DEBUG, "libvirt: %s -> %s: virDomainMigrateToURI3(%s%s%s, flags 0x%x) at %.6f",
	    src->host->name, dst->name, dst->uri, dst->migrate_uri ? ", " : "",
	    dst->migrate_uri ? dst->migrate_uri : "", flags, vmm_wall_now());
	double t0 = vmm_mono_now();
	call->rc = virDomainMigrateToURI3(d, dst->uri, p, (unsigned int)np, flags);
	if (call->rc < 0)
		call->code = lv_last_error(call->msg, sizeof(call->msg));
	e->host->log(VMM_LOG_DEBUG, "libvirt: %s -> %s: the call returned %d after %.3f s",
	    src->host->name, dst->name, call->rc, vmm_mono_now() - t0);
	call->aborted = lv_watch_stop(w, call->why, sizeof(call->why));
	virTypedParamsFree(p, np);
	virDomainFree(d);
}

/* Downtime as the target measured it, when libvirt kept the finished job's stats. */
static void
lv_downtime(struct lv_endpoint *e, const struct lv_probe *dst, char *out, size_t len)
{
	virTypedParameterPtr p = NULL;
	int np = 0, type = 0;
	unsigned long long ms = 0;
	virDomainPtr d = dst->conn ? lv_lookup(dst->conn, &e->conf) : NULL;

	out[0] = '\0';
	if (d == NULL)
		return;
	if (virDomainGetJobStats(d, &type, &p, &np, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0 &&
	    virTypedParamsGetULLong(p, np, VIR_DOMAIN_JOB_DOWNTIME, &ms) == 1)
		snprintf(out, len, ", downtime %llu ms", ms);
	virTypedParamsFree(p, np);
	virDomainFree(d);
}

/* Both hosts asked until they agree, or the deadline. 1: the target runs it and the
 * source does not; 0: it runs on the source (as before); -1: anything else (both run it,
 * neither does, or a host cannot be asked). */
static int
lv_settle(struct lv_endpoint *e, struct lv_probe *src, struct lv_probe *dst, int call_ok)
{
	double deadline = vmm_mono_now() + (call_ok ? LV_CONFIRM_AFTER_SUCCESS : LV_CONFIRM_AFTER_FAILURE);

	for (;;) {
		lv_revive(e, dst);
		lv_revive(e, src);
		enum lv_presence at_dst = lv_presence_on(e, dst), at_src = lv_presence_on(e, src);
		if (at_dst == LV_RUNNING && (at_src == LV_ABSENT || at_src == LV_INACTIVE))
			return 1;
		/* a failed migration resumes the VM on the source: nothing to wait for */
		if (!call_ok && at_src == LV_RUNNING && at_dst != LV_RUNNING)
			return 0;
		if (vmm_mono_now() >= deadline)
			return at_src == LV_RUNNING && at_dst != LV_RUNNING ? 0 : -1;
		nanosleep(&(struct timespec){ .tv_nsec = 200000000 }, NULL);
	}
}

static void
lv_confirmed(struct lv_endpoint *e, struct lv_probe *src, struct lv_probe *dst,
    const struct lv_call *call, const char *how, struct vmm_move_result *res)
{
	char downtime[64];

	res->outcome = VMM_MOVE_CONFIRMED;
	res->duration = vmm_mono_now() - call->started; /* from the call to the hosts agreeing */
	lv_downtime(e, dst, downtime, sizeof(downtime));
	snprintf(res->location, sizeof(res->location), "%s", dst->host->name);
	if (call->rc == 0)
		snprintf(res->detail, sizeof(res->detail), "%s migration %s -> %s in %.2f s%s; %s runs it, %s does not",
		    how, src->host->name, dst->host->name, res->duration, downtime, dst->host->name, src->host->name);
	else /* e.g. MIGRATE_PERSIST_FAILED: moved, but libvirt had a complaint */
		snprintf(res->detail, sizeof(res->detail), "warning: %s runs it, %s does not, but libvirt said: %s",
		    dst->host->name, src->host->name, call->msg);
	e->host->log(VMM_LOG_DEBUG, "libvirt: confirmed: %s", res->detail);
}

static void
lv_failed(const struct lv_probe *src, const struct lv_probe *dst, const struct lv_call *call,
    struct vmm_move_result *res)
{
	struct lv_class cl;

	if (call->aborted) {
		lv_fail(res, VMM_FAIL_TIMEOUT, 0, "%s -> %s: %s", src->host->name, dst->host->name, call->why);
		return;
	}
	lv_classify(call->code, LV_MIGRATING, &cl);
	lv_fail(res, cl.failure, cl.permanent, "%s -> %s: %s: %s", src->host->name, dst->host->name,
	    cl.what, call->msg);
}

static void
lv_outcome(struct lv_endpoint *e, struct lv_probe *src, struct lv_probe *dst,
    const struct lv_call *call, const char *how, struct vmm_move_result *res)
{
	int where = lv_settle(e, src, dst, call->rc == 0);

	if (where == 1) {
		lv_confirmed(e, src, dst, call, how, res);
		return;
	}
	if (where == 0)
		snprintf(res->location, sizeof(res->location), "%s", src->host->name);
	if (call->rc < 0) {
		lv_failed(src, dst, call, res);
		return;
	}
	/* libvirt said yes but the hosts do not agree (kubevirt#2567): say what is known */
	res->outcome = VMM_MOVE_UNCONFIRMED;
	res->duration = vmm_mono_now() - call->started;
	snprintf(res->detail, sizeof(res->detail), "libvirt reported success, but %.0f s later %s",
	    LV_CONFIRM_AFTER_SUCCESS, where == 0 ? "the VM still runs on the source" :
	    "the hosts do not agree that only the target runs it (both do, neither does, or one cannot be asked)");
}

/* Before migrating: the target must be a reachable, different host. */
static int
lv_preflight(struct lv_probe *src, struct lv_probe *dst, struct vmm_move_result *res)
{
	struct lv_class cl;
	char msg[512];

	if (src == dst) {
		lv_fail(res, VMM_FAIL_OTHER, 0, "the VM already runs on %s: nothing to move", dst->host->name);
		return -1;
	}
	if (dst->conn == NULL) {
		lv_classify(dst->code, LV_CONNECTING, &cl);
		lv_fail(res, cl.failure, cl.permanent, "target %s (%s): %s: %s", dst->host->name,
		    dst->host->uri, cl.what, dst->err);
		return -1;
	}
	if (lv_same_host(src, dst, msg, sizeof(msg))) {
		lv_fail(res, VMM_FAIL_CONFIG, 1, "%s", msg);
		return -1;
	}
	return 0;
}

static void
lv_move(void *state, const struct vmm_move_request *req, struct vmm_move_result *res)
{
	struct lv_endpoint *e = state;
	const struct lv_host *target = lv_conf_host(&e->conf, req->target);
	struct lv_where w;
	struct lv_call call;
	char err[256];

	if (target == NULL) {
		lv_fail(res, VMM_FAIL_CONFIG, 1, "'%s' is none of the configured hosts", req->target);
		return;
	}
	/* the guest's memory, in the clear over a link between sites: never by default */
	if (req->cross_site && !(lv_flags(&e->conf, 1) & VIR_MIGRATE_TLS) && !e->conf.site_link_encrypted) {
		lv_fail(res, VMM_FAIL_CONFIG, 1, "a move between sites must be encrypted: libvirt_tls = \"never\" leaves the migration stream in the clear; set libvirt_tls = \"between_sites\" (the hosts need libvirt's migration certificates), or libvirt_site_link_encrypted = true when the link between the sites is encrypted otherwise");
		return;
	}
	if (lv_ready(e, err, sizeof(err)) < 0) {
		lv_fail(res, VMM_FAIL_OTHER, 0, "%s", err);
		return;
	}
	/* the source is where libvirt says the VM runs, not req->source */
	double asked = vmm_mono_now();
	struct lv_probe *pr = lv_where_is(e, &w, 0);
	e->host->log(VMM_LOG_DEBUG, "libvirt: asked %zu hosts in %.3f s: %s", e->conf.nhosts,
	    vmm_mono_now() - asked, w.index >= 0 ? pr[w.index].host->name : w.text);
	if (w.index < 0) {
		lv_fail(res, w.failure, w.permanent, "%s", w.text);
		if (pr != NULL)
			lv_probes_hints(e, pr);
		lv_probes_free(e, pr);
		return;
	}
	struct lv_probe *src = &pr[w.index], *dst = &pr[target - e->conf.hosts];
	snprintf(res->location, sizeof(res->location), "%s", src->host->name);
	if (lv_preflight(src, dst, res) == 0) {
		int cold = req->cross_site && e->conf.cross == LV_CROSS_OFFLINE;
		lv_migrate(e, src, target, req->cross_site, &call);
		lv_outcome(e, src, dst, &call, cold ? "paused (not live)" : "live", res);
	}
	/* after the call, not before: they are for the next choice, and cost some eight
	 * round trips per host */
	lv_probes_hints(e, pr);
	lv_probes_free(e, pr);
}

/* ---- after a restart: a move asked for earlier, found again ---- */

/* The host where a job of the domain runs (a migration, out or in), or -1. Past the
 * deadline (recover_abort), the source's job is aborted: the domain stays there. */
static int
lv_job_host(struct lv_endpoint *e, struct lv_probe *pr, virDomainJobInfo *ji)
{
	for (size_t i = 0; i < e->conf.nhosts; i++) {
		if (pr[i].conn == NULL || pr[i].presence < LV_ACTIVE)
			continue;
		virDomainPtr d = lv_lookup(pr[i].conn, &e->conf);
		int r = d != NULL && virDomainGetJobInfo(d, ji) == 0 && ji->type != VIR_DOMAIN_JOB_NONE;
		if (r && e->recover_abort && pr[i].presence == LV_RUNNING && virDomainAbortJob(d) == 0)
			e->host->log(VMM_LOG_WARNING, "libvirt: the migration found again on %s outlasted endpoint_timeout: aborted",
			    pr[i].host->name);
		if (d != NULL)
			virDomainFree(d);
		if (r)
			return (int)i;
	}
	return -1;
}

static void
lv_recover_outcome(struct lv_endpoint *e, struct lv_probe *pr, const struct lv_host *target,
    struct vmm_move_result *res)
{
	struct lv_probe *dst = &pr[target - e->conf.hosts];
	struct lv_where w;
	char downtime[64];

	memset(&w, 0, sizeof(w));
	lv_where_pick(e, pr, &w);
	if (w.index >= 0 && &pr[w.index] == dst && dst->presence == LV_RUNNING) {
		res->outcome = VMM_MOVE_CONFIRMED;
		lv_downtime(e, dst, downtime, sizeof(downtime));
		snprintf(res->location, sizeof(res->location), "%s", target->name);
		snprintf(res->detail, sizeof(res->detail), "found again after a restart: the migration ended%s; %s runs it, no other host does",
		    downtime, target->name);
		return;
	}
	if (w.index >= 0) {
		snprintf(res->location, sizeof(res->location), "%s", pr[w.index].host->name);
		lv_fail(res, VMM_FAIL_OTHER, 0, "found again after a restart: the migration ended without moving it; %s runs it",
		    pr[w.index].host->name);
		return;
	}
	lv_fail(res, w.failure, w.permanent, "found again after a restart: %s", w.text);
}

/* Waits while a job of the domain runs on any host (the migration goes on without the
 * program that asked for it: peer to peer, the source's libvirtd drives it), aborting it
 * at endpoint_timeout from now; then asks where the domain runs. Never migrates. */
static void
lv_recover(void *state, const struct vmm_move_request *req, struct vmm_move_result *res)
{
	struct lv_endpoint *e = state;
	const struct lv_host *target = lv_conf_host(&e->conf, req->target);
	double deadline = vmm_mono_now() + e->conf.timeout;
	struct lv_where w;
	virDomainJobInfo ji;
	char err[256];
	int said = 0, job;

	if (target == NULL) {
		lv_fail(res, VMM_FAIL_CONFIG, 1, "'%s' is none of the configured hosts", req->target);
		return;
	}
	if (lv_ready(e, err, sizeof(err)) < 0) {
		lv_fail(res, VMM_FAIL_OTHER, 0, "%s", err);
		return;
	}
	for (;;) {
		struct lv_probe *pr = lv_where_is(e, &w, 1);
		if (pr == NULL) {
			lv_fail(res, w.failure, 0, "%s", w.text);
			return;
		}
		e->recover_abort = vmm_mono_now() >= deadline;
		if ((job = lv_job_host(e, pr, &ji)) < 0) {
			lv_recover_outcome(e, pr, target, res);
			lv_probes_free(e, pr);
			return;
		}
		if (!said++)
			e->host->log(VMM_LOG_INFO, "libvirt: found again: a migration job of %s runs on %s (%llu of %llu MiB sent); waiting for its end",
			    e->conf.domain, pr[job].host->name, ji.memProcessed >> 20, ji.memTotal >> 20);
		lv_probes_free(e, pr);
		nanosleep(&(struct timespec){ .tv_nsec = 500000000 }, NULL);
	}
}

/* ---- life ---- */

static int
lv_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state, char *err,
    size_t errlen)
{
	struct lv_endpoint *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	e->host = host;
	/* nothing connects here: `vmmanage -t` runs this */
	if (lv_conf_read(host, conf, &e->conf, err, errlen) < 0) {
		free(e);
		return -1;
	}
	if ((e->hints = calloc(e->conf.nhosts ? e->conf.nhosts : 1, sizeof(*e->hints))) == NULL) {
		lv_conf_free(&e->conf);
		free(e);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	*state = e;
	return 0;
}

static void
lv_fini(void *state)
{
	struct lv_endpoint *e = state;

	int left = e->looped ? lv_loop_unref() : 0;
	if (left > 0)
		e->host->log(VMM_LOG_WARNING, "libvirt: %d kept connection%s did not close within 2 s (a host does not answer): left to close on %s own",
		    left, left == 1 ? "" : "s", left == 1 ? "its" : "their");
	lv_conf_free(&e->conf);
	free(e->hints);
	free(e);
}

/* From memory: called between moves and locates, never during one. */
static size_t
lv_hints(void *state, struct vmm_host_hint *out, size_t max)
{
	struct lv_endpoint *e = state;
	size_t n = 0;

	for (size_t i = 0; i < e->conf.nhosts && n < max; i++) {
		if (!e->hints[i].seen)
			continue;
		out[n++] = (struct vmm_host_hint){ .host = e->conf.hosts[i].name,
			.free_memory = e->hints[i].free_memory, .cpu_idle = e->hints[i].cpu_idle,
			.incoming = e->hints[i].incoming, .vm_memory = e->hints[i].vm_memory };
	}
	return n;
}

static const struct vmm_endpoint_ops lv_ops = {
	.abi = VMM_ENDPOINT_ABI,
	.size = sizeof(struct vmm_endpoint_ops),
	.name = "libvirt",
	.summary = "live migration with virDomainMigrateToURI3, confirmed by asking every host",
	.keys = lv_keys,
	.init = lv_init,
	.move = lv_move,
	.locate = lv_locate,
	.fini = lv_fini,
	.hints = lv_hints,
	.recover = lv_recover,
};

const struct vmm_endpoint_ops *
vmm_endpoint_entry(void)
{
	return &lv_ops;
}
