/* SPDX-License-Identifier: ISC */
/* Two helpers of the libvirt endpoint that run threads of their own: the client event
 * loop, without which libvirt cannot send keepalives (so a dead host would hang a call),
 * and the watcher, which follows a migration job on a second connection and aborts it
 * past the deadline or when it stops making progress (kubevirt#2326). */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvirt.h"

/* ---- the event loop: one for the process, shared by every instance of the module ---- */

static pthread_mutex_t lv_loop_mu = PTHREAD_MUTEX_INITIALIZER;
static int lv_loop_refs;
static int lv_loop_timer = -1;
static pthread_t lv_loop_thread;
static atomic_int lv_loop_quit;

/* A periodic timer, so that the loop wakes to see lv_loop_quit. */
static void
lv_loop_tick(int timer, void *opaque)
{
	(void)timer;
	(void)opaque;
}

/* libvirt's default handler prints every error on stderr; ours go into the move's
 * result and the agent's log instead. */
static void
lv_quiet(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

static void *
lv_loop_run(void *arg)
{
	(void)arg;
	while (!atomic_load(&lv_loop_quit))
		if (virEventRunDefaultImpl() < 0)
			nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	return NULL;
}

/* Registering the default loop is idempotent in libvirt (and libvirt stays loaded:
 * it is linked -z nodelete), so a reloaded module registers again harmlessly. */
int
lv_loop_ref(char *err, size_t errlen)
{
	int rc = 0;

	pthread_mutex_lock(&lv_loop_mu);
	if (lv_loop_refs > 0) {
		lv_loop_refs++;
		goto out;
	}
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0) {
		lv_last_error(err, errlen);
		rc = -1;
		goto out;
	}
	virSetErrorFunc(NULL, lv_quiet);
	atomic_store(&lv_loop_quit, 0);
	lv_loop_timer = virEventAddTimeout(1000, lv_loop_tick, NULL, NULL);
	if (lv_loop_timer < 0 || pthread_create(&lv_loop_thread, NULL, lv_loop_run, NULL) != 0) {
		snprintf(err, errlen, "cannot start the libvirt event loop");
		if (lv_loop_timer >= 0)
			virEventRemoveTimeout(lv_loop_timer);
		virSetErrorFunc(NULL, NULL);
		rc = -1;
		goto out;
	}
	lv_loop_refs = 1;
out:
	pthread_mutex_unlock(&lv_loop_mu);
	return rc;
}

/* The last one out stops the thread: the module may be unloaded next. */
int
lv_loop_unref(void)
{
	int left = 0;

	pthread_mutex_lock(&lv_loop_mu);
	if (lv_loop_refs > 0 && --lv_loop_refs == 0) {
		left = lv_idle_close_all();
		atomic_store(&lv_loop_quit, 1);
		virEventUpdateTimeout(lv_loop_timer, 0);
		pthread_join(lv_loop_thread, NULL);
		virEventRemoveTimeout(lv_loop_timer);
		lv_loop_timer = -1;
		virSetErrorFunc(NULL, NULL);
	}
	pthread_mutex_unlock(&lv_loop_mu);
	return left;
}

/* ---- the migration job watcher ---- */

struct lv_watch {
	struct lv_watch_conf wc;
	char *uri, *uuid;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int aborted;
	char why[384];
	/* progress, for the stall check and the words on abort */
	double least_remaining, least_at;
	unsigned long long remaining, iteration;
	int downtime_set;
	int step_set;            /* the last downtime step set, -1 none */
	int postcopy;            /* switched to post-copy */
};

/* The maximum downtime raised in steps over the migration's course, and the switch to
 * post-copy: what a migration that does not converge needs. */
static void
lv_watch_converge(struct lv_watch *w, virDomainPtr d, double now)
{
	const struct lv_watch_conf *wc = &w->wc;
	double ran = now - wc->started;

	if (wc->ndowntime_steps > 0) {
		size_t k = (size_t)(ran / wc->step_interval);
		if (k >= wc->ndowntime_steps)
			k = wc->ndowntime_steps - 1;
		if ((int)k > w->step_set &&
		    virDomainMigrateSetMaxDowntime(d, (unsigned long long)wc->downtime_steps[k], 0) == 0) {
			w->step_set = (int)k;
			wc->host->log(VMM_LOG_INFO, "libvirt: maximum downtime %lld ms after %.0f s (pass %llu, %llu MiB to copy)",
			    (long long)wc->downtime_steps[k], ran, w->iteration, w->remaining >> 20);
		}
	}
	if (wc->postcopy_after > 0 && !w->postcopy && ran >= wc->postcopy_after) {
		w->postcopy = 1;
		if (virDomainMigrateStartPostCopy(d, 0) == 0)
			wc->host->log(VMM_LOG_WARNING, "libvirt: switched to post-copy after %.0f s (%llu MiB to copy): the guest runs on the target now, and a network cut until the end loses it",
			    ran, w->remaining >> 20);
		else {
			char msg[400];
			lv_last_error(msg, sizeof(msg));
			wc->host->log(VMM_LOG_WARNING, "libvirt: the switch to post-copy failed: %s", msg);
		}
	}
}

static void
lv_watch_progress(struct lv_watch *w, virDomainPtr d, double now)
{
	virTypedParameterPtr p = NULL;
	int np = 0, type = VIR_DOMAIN_JOB_NONE;

	if (virDomainGetJobStats(d, &type, &p, &np, 0) < 0)
		return; /* the job may just have ended: the domain left this host */
	if (type == VIR_DOMAIN_JOB_UNBOUNDED) {
		virTypedParamsGetULLong(p, np, VIR_DOMAIN_JOB_DATA_REMAINING, &w->remaining);
		virTypedParamsGetULLong(p, np, VIR_DOMAIN_JOB_MEMORY_ITERATION, &w->iteration);
		if (w->least_remaining < 0 || (double)w->remaining < w->least_remaining) {
			w->least_remaining = (double)w->remaining;
			w->least_at = now;
		}
		/* qemu takes the limit only once the migration job exists */
		if (w->wc.max_downtime > 0 && !w->downtime_set &&
		    virDomainMigrateSetMaxDowntime(d, (unsigned long long)w->wc.max_downtime, 0) == 0)
			w->downtime_set = 1;
		lv_watch_converge(w, d, now);
	}
	virTypedParamsFree(p, np);
}

static void
lv_watch_check(struct lv_watch *w, virDomainPtr d, double now)
{
	char why[384];

	if (now >= w->wc.deadline)
		snprintf(why, sizeof(why), "aborted at endpoint_timeout: the migration ran longer than the deadline of %.0f s (%llu passes, %llu MiB still to copy)",
		    w->wc.deadline - w->wc.started, w->iteration, w->remaining >> 20);
	else if (w->wc.stall > 0 && w->least_remaining >= 0 && now - w->least_at >= w->wc.stall)
		snprintf(why, sizeof(why), "aborted: no progress for %.0f s (%llu passes, %llu MiB still to copy): the guest writes memory faster than it is copied; see libvirt_auto_converge, libvirt_max_downtime, libvirt_bandwidth",
		    w->wc.stall, w->iteration, w->remaining >> 20);
	else
		return;
	if (virDomainAbortJob(d) == 0) {
		pthread_mutex_lock(&w->mu);
		w->aborted = 1;
		snprintf(w->why, sizeof(w->why), "%s", why);
		pthread_mutex_unlock(&w->mu);
	}
}

static void *
lv_watch_run(void *arg)
{
	struct lv_watch *w = arg;
	char err[256];
	int code;
	virConnectPtr c = lv_open(w->uri, w->wc.keepalive, w->wc.connect_timeout, err, sizeof(err), &code);
	virDomainPtr d = c != NULL ? virDomainLookupByUUIDString(c, w->uuid) : NULL;

	pthread_mutex_lock(&w->mu);
	if (d == NULL)
		snprintf(w->why, sizeof(w->why), "the job could not be watched: %s", c ? "domain not found" : err);
	while (!w->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 500000000;
		ts.tv_sec += ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		if (w->stop || d == NULL || w->aborted)
			continue;
		pthread_mutex_unlock(&w->mu);
		double now = vmm_mono_now();
		lv_watch_progress(w, d, now);
		lv_watch_check(w, d, now);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	if (d != NULL)
		virDomainFree(d);
	lv_conn_release(w->uri, w->wc.keepalive, c);
	return NULL;
}

static void
lv_watch_free(struct lv_watch *w)
{
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->uri);
	free(w->uuid);
	free(w);
}

struct lv_watch *
lv_watch_start(const struct lv_watch_conf *wc, char *err, size_t errlen)
{
	struct lv_watch *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;

	if (w == NULL)
		return snprintf(err, errlen, "out of memory"), NULL;
	w->wc = *wc;
	w->least_remaining = -1;
	w->step_set = -1;
	w->uri = strdup(wc->uri);
	w->uuid = strdup(wc->uuid);
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (w->uri == NULL || w->uuid == NULL || pthread_create(&w->thread, NULL, lv_watch_run, w) != 0) {
		snprintf(err, errlen, "cannot start the migration watcher");
		lv_watch_free(w);
		return NULL;
	}
	return w;
}

int
lv_watch_stop(struct lv_watch *w, char *why, size_t len)
{
	int aborted;

	if (w == NULL)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	aborted = w->aborted;
	snprintf(why, len, "%s", w->why);
	lv_watch_free(w);
	return aborted;
}
