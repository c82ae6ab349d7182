/* SPDX-License-Identifier: ISC */
/* The libvirt endpoint's private parts: its settings, the error table, the connection
 * helpers, the client event loop and the migration job watcher. */
#ifndef VMM_ENDPOINT_LIBVIRT_H
#define VMM_ENDPOINT_LIBVIRT_H

#include <stdint.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <vmmanage/endpoint.h>

#include "common/clock.h"

/* ---- libvirt_conf.c: vmmanage.conf, read once at init, never connects ---- */

struct lv_host {
	char *name;        /* as in hosts, base, home or away */
	char *uri;         /* the libvirt connection URI */
	char *migrate_uri; /* VIR_MIGRATE_PARAM_URI, or NULL: libvirt picks (by hostname) */
};

enum lv_cross { LV_CROSS_LIVE_COPY, LV_CROSS_OFFLINE };
enum lv_tls { LV_TLS_BETWEEN_SITES, LV_TLS_ALWAYS, LV_TLS_NEVER };
#define LV_MAX_DOWNTIME_STEPS 8

struct lv_conf {
	char *domain;            /* UUID or name */
	int domain_is_uuid;
	struct lv_host *hosts;   /* every configured host, each once */
	size_t nhosts;
	uint64_t bandwidth;      /* MiB/s; 0: libvirt's default */
	int64_t max_downtime;    /* ms; 0: libvirt's default */
	int64_t downtime_steps[LV_MAX_DOWNTIME_STEPS];  /* ms, rising; replaces max_downtime */
	size_t ndowntime_steps;
	double downtime_step_interval;  /* seconds between two steps */
	int postcopy;            /* VIR_MIGRATE_POSTCOPY, switched to after postcopy_after */
	double postcopy_after;
	double timeout_per_gib;  /* seconds added to timeout per GiB of the guest's memory */
	enum lv_tls tls;
	int site_link_encrypted; /* the sites' link is encrypted otherwise: no TLS needed */
	int persist, undefine_source, auto_converge;
	enum lv_cross cross;
	double timeout;          /* endpoint_timeout: the migration job's deadline */
	double stall;            /* seconds without progress before an abort; 0: never */
	int keepalive;           /* seconds; 0: off */
	double connect_timeout;  /* a host that does not answer an open by then is unreachable */
};

int lv_conf_read(const struct vmm_host *h, const struct vmm_conf *c, struct lv_conf *lc,
    char *err, size_t errlen);
void lv_conf_free(struct lv_conf *lc);
const struct lv_host *lv_conf_host(const struct lv_conf *lc, const char *name);
/* Pure helpers, unit-testable: a template with %s (host name), %a (the host part of
 * its libvirt URI) and %%; and that host part. 0, or -1 with err. */
int lv_expand(const char *tmpl, const char *name, const char *addr, char *out, size_t len,
    char *err, size_t errlen);
int lv_uri_address(const char *uri, char *out, size_t len);
int lv_looks_like_uuid(const char *s);

/* ---- libvirt_errors.c: failure classes from virErrorNumber, never from text ---- */

enum lv_phase { LV_CONNECTING, LV_MIGRATING };

struct lv_class {
	enum vmm_failure failure;
	int permanent;
	const char *what; /* a few words for the log */
};

void lv_classify(int code, enum lv_phase phase, struct lv_class *out);
/* libvirt's last error of this thread as "message (libvirt error N)"; its code or 0 */
int lv_last_error(char *buf, size_t len);

/* ---- libvirt_job.c: the client event loop (keepalive needs it) and the watcher ---- */

int lv_loop_ref(char *err, size_t errlen);
/* The last one out closes the idle connections and stops the loop; returns how many of
 * those connections were left closing (lv_idle_close_all). */
int lv_loop_unref(void);

struct lv_watch_conf {
	const char *uri;        /* the source host: the watcher opens its own connection */
	const char *uuid;
	double deadline;        /* monotonic time at which the job is aborted */
	double stall;           /* 0: no stall check */
	int64_t max_downtime;   /* ms; 0: leave it */
	const int64_t *downtime_steps;  /* raised in steps instead, one per step_interval */
	size_t ndowntime_steps;
	double step_interval;
	double postcopy_after;  /* seconds after start: switch to post-copy; 0: never */
	double started;         /* monotonic */
	const struct vmm_host *host;  /* its log */
	int keepalive;
	double connect_timeout;
};

struct lv_watch;
struct lv_watch *lv_watch_start(const struct lv_watch_conf *wc, char *err, size_t errlen);
/* Stop watching; 1 when the watcher aborted the job, with why (deadline or stall). */
int lv_watch_stop(struct lv_watch *w, char *why, size_t len);

/* ---- libvirt_hint.c: what a host offers, for the target choice ---- */

struct lv_hint {
	int seen;
	int64_t free_memory;     /* bytes; -1 unknown */
	double cpu_idle;         /* 0..1 between the last two looks; -1 unknown */
	unsigned long long prev_idle, prev_total;
	int have_prev;
	int incoming;            /* migrations arriving: other domains paused for one; -1 unknown */
	int64_t vm_memory;       /* bytes: this VM's memory, when it runs on the host; -1 */
};

/* d: this VM's domain on that host, or NULL when it is not there */
void lv_hint_read(struct lv_hint *h, virConnectPtr c, virDomainPtr d);

/* ---- libvirt_open.c: connections with a deadline; it needs only the error table and
 * the shared clock (common/clock.h), so libvirt_job.c and libvirt.c build on it, never
 * the other way ---- */

struct lv_opener;
/* An idle connection to uri, when one is kept and answers, else a new one. */
struct lv_opener *lv_open_start(const char *uri, int keepalive);
/* deadline in vmm_mono_now() time; a host that has not answered by then gives
 * VIR_ERR_OPERATION_TIMEOUT */
virConnectPtr lv_open_wait(struct lv_opener *o, double deadline, char *err, size_t errlen,
    int *code);
virConnectPtr lv_open(const char *uri, int keepalive, double timeout, char *err,
    size_t errlen, int *code);
/* Done with a connection lv_open gave: kept for the next open of uri with the same
 * keepalive, or closed. */
void lv_conn_release(const char *uri, int keepalive, virConnectPtr c);
/* Close the kept ones: before the event loop stops. */
/* Closes the idle connections, each on a thread of its own, waiting 2 s for them at
 * most; returns how many did not close by then (their host does not answer). */
int lv_idle_close_all(void);

/* Who answers at uri, over c: its host UUID and hostname ("" when it did not say). */
struct lv_identity {
	char uuid[64];
	char hostname[256];
};
void lv_host_identity(const char *uri, virConnectPtr c, struct lv_identity *id);

#endif
