/* SPDX-License-Identifier: ISC */
/* Opening libvirt connections with a deadline. virConnectOpenAuth has none, and
 * keepalive starts only once a connection is open, so a host that accepts TCP but never
 * answers (a hung or stopped libvirtd) would hold the move forever. Each open runs on a
 * thread of its own; past the deadline the caller goes on and the thread is left to
 * finish on its own, closing what it gets. One such thread per URI at most. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libvirt.h"

#define LV_KEEPALIVE_COUNT 5

struct lv_opener {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *uri;
	int keepalive;
	int done, abandoned;
	virConnectPtr conn;
	int code;
	char err[320];
	double started;
	struct lv_opener *next; /* in the list of abandoned opens */
};

static pthread_mutex_t lv_hung_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lv_opener *lv_hung; /* abandoned, still waiting for their host */

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
	/* libvirt's own credentials (auth.conf, LIBVIRT_AUTH_FILE, TLS, SASL): never ours */
	virConnectPtr c = virConnectOpenAuth(o->uri, virConnectAuthPtrDefault, 0);

	if (c == NULL)
		code = lv_last_error(msg, sizeof(msg));
	else if (o->keepalive > 0) /* a host that dies mid-call: noticed, not waited for */
		virConnectSetKeepAlive(c, o->keepalive, LV_KEEPALIVE_COUNT);
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
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	if (pthread_create(&t, &ta, lv_opener_run, o) != 0) {
		o->done = 1;
		snprintf(o->err, sizeof(o->err), "cannot start a thread to connect");
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
