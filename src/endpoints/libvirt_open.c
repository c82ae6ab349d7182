/* SPDX-License-Identifier: ISC */
/* Opening libvirt connections with a deadline. virConnectOpenAuth has none, and
 * keepalive starts only once a connection is open, so a host that accepts TCP but never
 * answers (a hung or stopped libvirtd) would hold the move forever. Each open runs on a
 * thread of its own; past the deadline the caller goes on and the thread is left to
 * finish on its own, closing what it gets. One such thread per URI at most.
 *
 * Connections are kept between moves. Opening one costs a name lookup and some ten
 * round trips; a move opens one per configured host and one more for its watcher, and
 * that was most of the time from the decision to the migration call. A connection given
 * back is kept idle, a few per URI, for the whole process: in the broker, every VM's
 * instance of the module draws on the same ones, so libvirtd sees a handful of clients
 * per host, not two per VM. A connection is lent to one user at a time, never shared:
 * a migration call holds its connection for seconds, and libvirtd serves only
 * max_client_requests calls of one client at once. One taken from the pool is proved
 * with one round trip, on the opener's thread under the caller's deadline, so a host
 * that hangs costs what it cost before. The idle ones are closed when the event loop
 * stops, since their keepalive timers live in it. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvirt.h"

#define LV_KEEPALIVE_COUNT 5
#define LV_IDLE_PER_URI 4    /* a move takes one per host, and one more on its source */
#define LV_IDLE_MAX 128      /* in all: a broker's hosts times a few */
#define LV_IDLE_FOR 600.0    /* seconds an idle connection is kept */

struct lv_idle {
	char *uri;
	int keepalive;           /* as it was opened: one VM's settings never serve another's */
	virConnectPtr conn;
	double since;            /* monotonic: given back then */
};

/* What a host said it is (lv_host_identity), while no newer connection to it exists. */
struct lv_known {
	char *uri;
	char uuid[64];
	char hostname[256];
};

/* one lock for both tables */
static pthread_mutex_t lv_idle_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lv_idle lv_idle[LV_IDLE_MAX];
static size_t lv_nidle;
static struct lv_known lv_known[LV_IDLE_MAX];
static size_t lv_nknown;
static unsigned lv_known_gen;  /* counts opens: an answer asked across one is not kept */

struct lv_opener {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *uri;
	int keepalive;
	virConnectPtr reuse;     /* taken from the idle ones, to be proved, or NULL */
	int done, abandoned;
	virConnectPtr conn;
	int code;
	char err[320];
	double started;
	struct lv_opener *next; /* in the list of abandoned opens */
};

static pthread_mutex_t lv_hung_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lv_opener *lv_hung; /* abandoned, still waiting for their host */

static void lv_pin_module(void);

/* ---- closing without waiting for the host ----
 * A close is a round trip: to a host that stopped answering (a hung or stopped
 * libvirtd) it waits until keepalive gives up, 25 to 30 s at the defaults. A move must
 * not wait for that when it drops a stale idle connection, nor a stop for long: each
 * close runs on a thread of its own, and a stop waits LV_CLOSE_WAIT for them at most. */
#define LV_CLOSE_WAIT 2.0

static pthread_mutex_t lv_close_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lv_close_cv;
static pthread_once_t lv_close_once = PTHREAD_ONCE_INIT;
static int lv_closing;       /* closes under way */

static void
lv_close_init(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&lv_close_cv, &ca);
	pthread_condattr_destroy(&ca);
}

static void *
lv_closer_run(void *arg)
{
	virConnectClose(arg);
	pthread_mutex_lock(&lv_close_mu);
	lv_closing--;
	pthread_cond_broadcast(&lv_close_cv);
	pthread_mutex_unlock(&lv_close_mu);
	return NULL;
}

static void
lv_close_soon(virConnectPtr c)
{
	pthread_attr_t ta;
	pthread_t t;
	int rc;

	pthread_once(&lv_close_once, lv_close_init);
	lv_pin_module(); /* the thread may return into the module after it is unloaded */
	pthread_mutex_lock(&lv_close_mu);
	lv_closing++;
	pthread_mutex_unlock(&lv_close_mu);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &ta, lv_closer_run, c);
	pthread_attr_destroy(&ta);
	if (rc != 0)
		lv_closer_run(c); /* no thread: close here, as before */
}

/* Waits up to seconds for the closes under way; returns how many are left. */
static int
lv_close_wait(double seconds)
{
	double deadline = vmm_mono_now() + seconds; /* CLOCK_MONOTONIC, as the condition's */
	struct timespec ts = { .tv_sec = (time_t)deadline,
		.tv_nsec = (long)((deadline - (double)(time_t)deadline) * 1e9) };
	int left;

	pthread_once(&lv_close_once, lv_close_init);
	pthread_mutex_lock(&lv_close_mu);
	while (lv_closing > 0 && pthread_cond_timedwait(&lv_close_cv, &lv_close_mu, &ts) == 0)
		;
	left = lv_closing;
	pthread_mutex_unlock(&lv_close_mu);
	return left;
}

/* ---- the idle connections ---- */

static void
lv_idle_drop(size_t i, virConnectPtr *close_out)
{
	*close_out = lv_idle[i].conn;
	free(lv_idle[i].uri);
	lv_idle[i] = lv_idle[--lv_nidle];
}

/* An idle connection to uri, the most recently given back, or NULL; the caller has
 * the only reference. Dead ones (keepalive closed them) and stale ones go. */
static virConnectPtr
lv_idle_take(const char *uri, int keepalive)
{
	virConnectPtr found = NULL, stale[LV_IDLE_MAX];
	size_t nstale = 0, best = LV_IDLE_MAX;
	double now = vmm_mono_now();

	pthread_mutex_lock(&lv_idle_mu);
	for (size_t i = 0; i < lv_nidle;) {
		if (virConnectIsAlive(lv_idle[i].conn) != 1 || now - lv_idle[i].since > LV_IDLE_FOR) {
			lv_idle_drop(i, &stale[nstale++]);
			continue;
		}
		if (strcmp(lv_idle[i].uri, uri) == 0 && lv_idle[i].keepalive == keepalive &&
		    (best == LV_IDLE_MAX || lv_idle[i].since > lv_idle[best].since))
			best = i;
		i++;
	}
	if (best != LV_IDLE_MAX)
		lv_idle_drop(best, &found);
	pthread_mutex_unlock(&lv_idle_mu);
	for (size_t i = 0; i < nstale; i++) /* a close is a round trip: not the move's */
		lv_close_soon(stale[i]);
	return found;
}

void
lv_conn_release(const char *uri, int keepalive, virConnectPtr c)
{
	size_t same = 0;
	char *u;

	if (c == NULL)
		return;
	if (virConnectIsAlive(c) != 1 || (u = strdup(uri)) == NULL) {
		virConnectClose(c);
		return;
	}
	pthread_mutex_lock(&lv_idle_mu);
	for (size_t i = 0; i < lv_nidle; i++)
		same += strcmp(lv_idle[i].uri, uri) == 0;
	if (same < LV_IDLE_PER_URI && lv_nidle < LV_IDLE_MAX) {
		lv_idle[lv_nidle++] = (struct lv_idle){ .uri = u, .keepalive = keepalive, .conn = c,
			.since = vmm_mono_now() };
		c = NULL;
		u = NULL;
	}
	pthread_mutex_unlock(&lv_idle_mu);
	free(u);
	if (c != NULL)
		virConnectClose(c);
}

int
lv_idle_close_all(void)
{
	virConnectPtr c[LV_IDLE_MAX];
	size_t n = 0;

	pthread_mutex_lock(&lv_idle_mu);
	while (lv_nidle > 0)
		lv_idle_drop(lv_nidle - 1, &c[n++]);
	while (lv_nknown > 0)
		free(lv_known[--lv_nknown].uri);
	pthread_mutex_unlock(&lv_idle_mu);
	for (size_t i = 0; i < n; i++)
		lv_close_soon(c[i]);
	return lv_close_wait(LV_CLOSE_WAIT);
}

/* ---- who answers at a URI ----
 * The check that two URIs are not one libvirt host (lv_same_host) needs each host's
 * UUID from its capabilities XML, which libvirtd builds afresh on each call: 4 ms a host
 * here, most of the time from the decision to the migration call. A host's identity
 * cannot change while a connection to its libvirtd lives, so it is asked once and kept
 * until a new connection to that URI is opened (libvirtd restarted, or a second
 * connection: asked again to be sure). */

/* A new connection to uri was opened: what was asked over the old ones goes. */
static void
lv_known_forget(const char *uri)
{
	pthread_mutex_lock(&lv_idle_mu);
	lv_known_gen++;
	for (size_t i = 0; i < lv_nknown; i++)
		if (strcmp(lv_known[i].uri, uri) == 0) {
			free(lv_known[i].uri);
			lv_known[i] = lv_known[--lv_nknown];
			break;
		}
	pthread_mutex_unlock(&lv_idle_mu);
}

/* The host UUID from the capabilities XML (<host><uuid>): what libvirt compares. */
static void
lv_ask_uuid(virConnectPtr c, char *out, size_t len)
{
	char *caps = virConnectGetCapabilities(c);
	const char *h = caps ? strstr(caps, "<host>") : NULL;
	const char *u = h ? strstr(h, "<uuid>") : NULL;

	out[0] = '\0';
	if (u != NULL)
		snprintf(out, len, "%.*s", (int)strcspn(u + 6, "<"), u + 6);
	free(caps);
}

void
lv_host_identity(const char *uri, virConnectPtr c, struct lv_identity *id)
{
	unsigned gen;
	int found = 0;

	pthread_mutex_lock(&lv_idle_mu);
	gen = lv_known_gen;
	for (size_t i = 0; i < lv_nknown && !found; i++)
		if (strcmp(lv_known[i].uri, uri) == 0) {
			snprintf(id->uuid, sizeof(id->uuid), "%s", lv_known[i].uuid);
			snprintf(id->hostname, sizeof(id->hostname), "%s", lv_known[i].hostname);
			found = 1;
		}
	pthread_mutex_unlock(&lv_idle_mu);
	if (found)
		return;
	char *name = virConnectGetHostname(c);
	snprintf(id->hostname, sizeof(id->hostname), "%s", name ? name : "");
	free(name);
	lv_ask_uuid(c, id->uuid, sizeof(id->uuid));
	char *u = strdup(uri);
	pthread_mutex_lock(&lv_idle_mu);
	/* kept only when no connection to any URI was opened meanwhile, and both answered */
	if (u != NULL && gen == lv_known_gen && id->uuid[0] && id->hostname[0] && lv_nknown < LV_IDLE_MAX) {
		lv_known[lv_nknown] = (struct lv_known){ .uri = u };
		snprintf(lv_known[lv_nknown].uuid, sizeof(lv_known[lv_nknown].uuid), "%s", id->uuid);
		snprintf(lv_known[lv_nknown].hostname, sizeof(lv_known[lv_nknown].hostname), "%s", id->hostname);
		lv_nknown++;
		u = NULL;
	}
	pthread_mutex_unlock(&lv_idle_mu);
	free(u);
}

/* ---- opening, with a deadline ---- */

/* An abandoned thread returns into this module whenever its host answers: the module
 * must never be unmapped from then on. */
static void
lv_pin_module(void)
{
	Dl_info info;

	if (dladdr((void *)(uintptr_t)lv_pin_module, &info) != 0 && info.dli_fname != NULL)
		dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

static void
lv_opener_free(struct lv_opener *o)
{
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->mu);
	free(o->uri);
	free(o);
}

static void
lv_hung_remove(struct lv_opener *o)
{
	pthread_mutex_lock(&lv_hung_mu);
	for (struct lv_opener **p = &lv_hung; *p != NULL; p = &(*p)->next)
		if (*p == o) {
			*p = o->next;
			break;
		}
	pthread_mutex_unlock(&lv_hung_mu);
}

/* Seconds an open to uri has hung so far, or -1 when none has. */
static double
lv_hung_for(const char *uri)
{
	double since = -1;

	pthread_mutex_lock(&lv_hung_mu);
	for (struct lv_opener *o = lv_hung; o != NULL; o = o->next)
		if (strcmp(o->uri, uri) == 0)
			since = vmm_mono_now() - o->started;
	pthread_mutex_unlock(&lv_hung_mu);
	return since;
}

static void *
lv_opener_run(void *arg)
{
	struct lv_opener *o = arg;
	char msg[320] = "";
	int code = 0;
	unsigned long version;
	virConnectPtr c = o->reuse;

	/* a kept connection answers a round trip, or it is replaced */
	if (c != NULL && virConnectGetLibVersion(c, &version) < 0) {
		virConnectClose(c);
		c = NULL;
	}
	if (c == NULL) {
		/* libvirt's own credentials (auth.conf, LIBVIRT_AUTH_FILE, TLS, SASL): never ours */
		c = virConnectOpenAuth(o->uri, virConnectAuthPtrDefault, 0);
		lv_known_forget(o->uri);
		if (c == NULL)
			code = lv_last_error(msg, sizeof(msg));
		else if (o->keepalive > 0) /* a host that dies mid-call: noticed, not waited for */
			virConnectSetKeepAlive(c, o->keepalive, LV_KEEPALIVE_COUNT);
	}
	pthread_mutex_lock(&o->mu);
	int abandoned = o->abandoned;
	o->conn = c;
	o->code = code;
	snprintf(o->err, sizeof(o->err), "%s", msg);
	o->done = 1;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	if (abandoned) {
		lv_hung_remove(o);
		if (c != NULL)
			virConnectClose(c);
		lv_opener_free(o);
	}
	return NULL;
}

struct lv_opener *
lv_open_start(const char *uri, int keepalive)
{
	struct lv_opener *o = calloc(1, sizeof(*o));
	pthread_condattr_t ca;
	pthread_attr_t ta;

	if (o == NULL || (o->uri = strdup(uri)) == NULL) {
		free(o);
		return NULL;
	}
	o->keepalive = keepalive;
	o->started = vmm_mono_now();
	pthread_mutex_init(&o->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&o->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (lv_hung_for(uri) >= 0) {
		o->done = 1; /* do not pile up threads on a host that hangs */
		o->code = VIR_ERR_OPERATION_TIMEOUT;
		snprintf(o->err, sizeof(o->err), "an earlier connection has had no answer for %.0f s",
		    lv_hung_for(uri));
		return o;
	}
	o->reuse = lv_idle_take(uri, keepalive);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	if (pthread_create(&t, &ta, lv_opener_run, o) != 0) {
		o->done = 1;
		snprintf(o->err, sizeof(o->err), "cannot start a thread to connect");
		lv_conn_release(uri, keepalive, o->reuse);
	}
	pthread_attr_destroy(&ta);
	return o;
}

/* The connection, or NULL with err and code; the opener is consumed either way. */
virConnectPtr
lv_open_wait(struct lv_opener *o, double deadline, char *err, size_t errlen, int *code)
{
	struct timespec ts = { .tv_sec = (time_t)deadline,
		.tv_nsec = (long)((deadline - (double)(time_t)deadline) * 1e9) };
	virConnectPtr c;

	if (o == NULL) {
		*code = 0;
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_lock(&o->mu);
	while (!o->done && pthread_cond_timedwait(&o->cv, &o->mu, &ts) == 0)
		;
	if (!o->done) {
		/* listed before o->mu is let go: the thread frees o once it has both */
		o->abandoned = 1;
		pthread_mutex_lock(&lv_hung_mu);
		o->next = lv_hung;
		lv_hung = o;
		pthread_mutex_unlock(&lv_hung_mu);
		pthread_mutex_unlock(&o->mu);
		lv_pin_module();
		*code = VIR_ERR_OPERATION_TIMEOUT;
		snprintf(err, errlen, "no answer within %.0f s", deadline - o->started);
		return NULL;
	}
	pthread_mutex_unlock(&o->mu);
	c = o->conn;
	*code = o->code;
	snprintf(err, errlen, "%s", o->err);
	lv_opener_free(o);
	return c;
}

virConnectPtr
lv_open(const char *uri, int keepalive, double timeout, char *err, size_t errlen, int *code)
{
	return lv_open_wait(lv_open_start(uri, keepalive), vmm_mono_now() + timeout, err, errlen, code);
}
