/* SPDX-License-Identifier: ISC */
/* The collector on the shared event loop (common/ev.c): accept, read, then once per turn
 * (before the loop waits again) write every line gathered, fdatasync when agent frames
 * are among them, and only then send the acks, so many frames share one sync and an ack
 * always means "on disk". */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/metrics_http.h"
#include "common/notify.h"
#include "common/clock.h"
#include "server.h"

/* How often paused (rate-limited) clients are looked at again. */
#define COLLECTOR_RESUME_INTERVAL 0.05
/* How often writing is tried again while it fails. */
#define COLLECTOR_RETRY_INTERVAL 1.0
/* How long the listeners rest when accept fails for want of descriptors or memory. */
#define COLLECTOR_ACCEPT_PAUSE 0.1

double
collector_now(void)
{
	return vmm_mono_now();
}

static void collector_reopen(struct collector *s);

static void
collector_on_hup(int sig, void *arg)
{
	(void)sig;
	collector_reopen(arg);
}

static void
collector_on_term(int sig, void *arg)
{
	struct collector *s = arg;

	(void)sig;
	ev_stop(s->loop);
}

static int
collector_signals(struct collector *s)
{
	return ev_signal_add(s->loop, SIGHUP, collector_on_hup, s) < 0 ||
	    ev_signal_add(s->loop, SIGTERM, collector_on_term, s) < 0 ||
	    ev_signal_add(s->loop, SIGINT, collector_on_term, s) < 0 ? -1 : 0;
}

struct collector *
collector_new(struct collector_conf *conf, struct collector_output *out, struct collector_seqdb *db,
    struct collector_keys *keys, char *err, size_t errlen)
{
	struct collector *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conf = conf;
	s->out = out;
	s->db = db;
	s->keys = keys;
	s->loop = ev_loop_new();
	s->conns = s->loop != NULL ? ev_group_new(s->loop) : -1;
	/* an agent frame is held whole; at least 64 KiB so that a small max_line still
	 * lets the agent's 8 KiB messages through (they are cut when written) */
	s->frame_max = conf->max_line > 65536 ? conf->max_line : 65536;
	s->scratch_cap = s->frame_max + COLLECTOR_MAX_HEADER + 2 * 65536;
	s->scratch = malloc(s->scratch_cap);
	s->compose = malloc(conf->max_line + 1024);
	/* a budget that one agent frame could exceed would refuse that frame forever */
	if (conf->max_partial < 4 * s->scratch_cap) {
		log_info("max_partial_bytes raised to %zu, four times the largest frame held",
		    4 * s->scratch_cap);
		conf->max_partial = 4 * s->scratch_cap;
	}
	s->rate = collector_rate_new(conf->rate_limit, conf->rate_burst);
	s->now = s->last_sweep = s->last_resume = collector_now();
	s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s->control_fd = -1;
	s->started = s->now;
	s->fleet.t = collector_htab_new(sizeof(struct collector_vm));
	if (s->loop == NULL || s->fleet.t == NULL || s->conns < 0 || collector_signals(s) < 0 ||
	    s->scratch == NULL || s->compose == NULL || s->rate == NULL) {
		snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
		collector_free(s);
		return NULL;
	}
	return s;
}

int
collector_add_listener(struct collector *s, int fd, char *err, size_t errlen)
{
	struct collector_listener *l;

	if (s->nlisteners == COLLECTOR_MAX_LISTEN) {
		snprintf(err, errlen, "too many listen addresses");
		return -1;
	}
	l = &s->listeners[s->nlisteners];
	l->s = s;
	l->fd = fd;
	if (ev_fd_add(s->loop, fd, POLLIN, collector_conn_accept, l) < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		return -1;
	}
	s->nlisteners++;
	return 0;
}

/* ---- out of descriptors: rest the listeners, never spin ---- */

static void
collector_listeners_on(struct collector *s, int on)
{
	for (size_t i = 0; i < s->nlisteners; i++)
		ev_fd_mod(s->loop, s->listeners[i].fd, on ? POLLIN : 0);
	s->accept_paused = !on;
}

/* accept() failed with err (EMFILE, ENFILE, ENOBUFS, ENOMEM...): a level-triggered
 * listener would wake us at once, forever. The spare descriptor lets one waiting client
 * be accepted and closed, so it learns at once rather than hang; then the listeners
 * rest for COLLECTOR_ACCEPT_PAUSE while the connections we have are served. Logged
 * once per episode; collector_accept_ok logs its end. */
void
collector_accept_failed(struct collector *s, struct collector_listener *l, int err)
{
	if ((err == EMFILE || err == ENFILE) && s->spare_fd >= 0) {
		close(s->spare_fd);
		int fd = accept(l->fd, NULL, NULL);
		if (fd >= 0) {
			close(fd);
			s->fd_closed++;
		}
		s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (!s->fd_episode) {
		s->fd_episode = 1;
		s->fd_since = s->now;
		s->fd_pauses = s->fd_closed = 0;
		log_warnx("listen: accept: %s; not accepting for %.1f s at a time until it "
		    "passes (connections already open are served)", strerror(err),
		    COLLECTOR_ACCEPT_PAUSE);
	}
	s->fd_pauses++;
	s->fd_last_fail = s->now;
	collector_listeners_on(s, 0);
	s->accept_resume_at = s->now + COLLECTOR_ACCEPT_PAUSE;
}

/* The episode ends when accept has not failed for a second (clients that went away
 * while waiting are accepted in a rush and may briefly exhaust descriptors again). */
static void
collector_accept_check(struct collector *s)
{
	if (!s->fd_episode || s->accept_paused || s->now - s->fd_last_fail < 1)
		return;
	s->fd_episode = 0;
	log_warnx("listen: accepting again after %.1f s; accept failed %" PRIu64 " times, %"
	    PRIu64 " waiting clients were closed at once", s->fd_last_fail - s->fd_since,
	    s->fd_pauses, s->fd_closed);
}

/* ---- unfinished frames: a global budget ---- */

static int
collector_by_len_desc(const void *a, const void *b)
{
	const struct collector_conn *x = *(struct collector_conn *const *)a;
	const struct collector_conn *y = *(struct collector_conn *const *)b;

	return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

/* Past max_partial_bytes, closes the connections holding the most until the total is
 * under it again. Checked once a turn, so it may be passed by one turn's reads. */
static void
collector_partial_check(struct collector *s)
{
	struct collector_conn **v, *c;
	size_t n = 0;

	if (s->partial <= s->conf->max_partial)
		return;
	if (!s->partial_episode) {
		s->partial_episode = 1;
		s->partial_closed = 0;
		log_warnx("memory: unfinished frames hold %zu bytes, over max_partial_bytes (%zu): "
		    "closing the connections that hold the most", s->partial, s->conf->max_partial);
	}
	if ((v = malloc((size_t)s->nconns * sizeof(*v))) == NULL)
		return;
	for (int i = 0; i < COLLECTOR_LRU_N; i++)
		for (c = s->lru[i].head; c != NULL && n < (size_t)s->nconns; c = c->next)
			if (c->len > 0)
				v[n++] = c;
	qsort(v, n, sizeof(*v), collector_by_len_desc);
	for (size_t i = 0; i < n && s->partial > s->conf->max_partial; i++) {
		s->partial_closed++;
		collector_conn_close(s, v[i], "unfinished frames over max_partial_bytes");
	}
	free(v);
}

/* The episode ends when the total is back under half the budget. */
static void
collector_partial_end(struct collector *s)
{
	if (!s->partial_episode || s->partial > s->conf->max_partial / 2)
		return;
	s->partial_episode = 0;
	log_warnx("memory: unfinished frames back to %zu bytes; %" PRIu64 " connections were "
	    "closed for max_partial_bytes", s->partial, s->partial_closed);
}

/* ---- cannot write: stop reading, retry on a timer ---- */

/* Writing failed (disk full, quota, I/O error): reading on would only pile lines up in
 * memory, so the connections are not polled at all until a retry works; the kernel's
 * socket buffers then hold the clients back. Logged once per episode. */
static void
collector_write_failed(struct collector *s, const char *err)
{
	s->write_fails++;
	s->write_fails_total++;
	s->retry_at = s->now + COLLECTOR_RETRY_INTERVAL;
	if (s->blocked)
		return;
	s->blocked = 1;
	s->st.blocked_episodes++;
	s->blocked_since = s->now;
	s->write_fails = 1;
	ev_group_mute(s->loop, s->conns, 1);
	log_warnx("%s; not reading from clients until it can write again (trying every %.0f s; "
	    "acks held back)", err, COLLECTOR_RETRY_INTERVAL);
}

static void
collector_write_ok(struct collector *s)
{
	if (!s->blocked)
		return;
	s->blocked = 0;
	ev_group_mute(s->loop, s->conns, 0);
	/* the clients were idle because we did not read them */
	for (int i = 0; i < COLLECTOR_LRU_N; i++)
		for (struct collector_conn *c = s->lru[i].head; c != NULL; c = c->next)
			c->last = s->now;
	log_warnx("output: writing again after %.0f s; %" PRIu64 " attempts failed",
	    s->now - s->blocked_since, s->write_fails);
}

/* For vmmanage_collector_fsync_seconds. */
static void
collector_sync_observe(struct collector *s, double took)
{
	static const double le[] = COLLECTOR_SYNC_BUCKETS;
	size_t i = 0;

	while (i < sizeof(le) / sizeof(le[0]) && took > le[i])
		i++;
	if (i < sizeof(le) / sizeof(le[0]))
		s->st.sync_buckets[i]++;
	s->st.syncs++;
	s->st.sync_seconds += took;
}

/* The agent lines of this turn, made durable with their seq.state record first. */
static int
collector_commit_acked(struct collector *s, int durable, char *err, size_t errlen)
{
	char e[512];
	uint64_t dev, ino, size;

	if (durable) {
		if (collector_output_position(s->out, &dev, &ino, &size) < 0) {
			snprintf(err, errlen, "output: fstat: %s", strerror(errno));
			return -1;
		}
		if (collector_seqdb_prepare(s->db, dev, ino, size,
		    size + collector_output_pending_acked(s->out), e, sizeof(e)) < 0) {
			snprintf(err, errlen, "seqdb: %s", e);
			return -1;
		}
	}
	double t0 = collector_now();
	if (collector_output_commit_acked(s->out, durable, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "output: %s", e);
		return -1;
	}
	if (durable) {
		collector_sync_observe(s, collector_now() - t0);
		collector_seqdb_commit(s->db);
	}
	return 0;
}

/* Writes what this turn gathered: 0 when all of it is written, 1 when the agent lines
 * are (and durable: their acks may go) but not the others, -1 when not even those. */
static int
collector_commit(struct collector *s)
{
	char err[600], e[512];
	int durable = collector_seqdb_dirty(s->db);

	if (collector_output_pending(s->out) == 0) {
		collector_write_ok(s);
		return 0;
	}
	if (collector_commit_acked(s, durable, err, sizeof(err)) < 0) {
		collector_write_failed(s, err);
		return -1;
	}
	if (collector_output_commit_rest(s->out, durable, e, sizeof(e)) < 0) {
		snprintf(err, sizeof(err), "output: %s", e);
		collector_write_failed(s, err);
		return 1;
	}
	collector_write_ok(s);
	return 0;
}

static void
collector_send_acks(struct collector *s)
{
	struct collector_conn *c = s->ackq, *next;

	s->ackq = NULL;
	for (; c != NULL; c = next) {
		next = c->ack_next;
		c->in_ackq = 0;
		if (c->fd < 0) {
			if (!c->paused)
				free(c);
			continue;
		}
		collector_conn_send_ack(s, c);
	}
}

static void
collector_resume_paused(struct collector *s)
{
	struct collector_conn *c = s->paused, *next;

	s->paused = NULL;
	for (; c != NULL; c = next) {
		next = c->pause_next;
		if (c->fd < 0) {
			c->paused = 0;
			if (!c->in_ackq)
				free(c);
			continue;
		}
		collector_conn_resume(s, c);
	}
}

static void
collector_sweep(struct collector *s)
{
	double limits[COLLECTOR_LRU_N] = { s->conf->idle_timeout, s->conf->agent_idle_timeout };

	for (int i = 0; i < COLLECTOR_LRU_N; i++)
		while (s->lru[i].head != NULL && s->now - s->lru[i].head->last >= limits[i]) {
			struct collector_conn *c = s->lru[i].head;
			s->st.idle_closed++;
			if (c->len > 0 || c->discard || c->skip > 0)
				log_info("conn %s: idle for %.0f s in the middle of a line; dropped it",
				    c->peer, limits[i]);
			collector_conn_close(s, c, "idle");
		}
}

static void
collector_reopen(struct collector *s)
{
	char err[512];

	if (collector_commit(s) >= 0)
		collector_send_acks(s);
	if (collector_output_reopen(s->out, err, sizeof(err)) < 0)
		log_warnx("output: reopen: %s (still writing to the old file)", err);
	else
		log_info("outputs reopened");
}

/* seconds until deadline, at most max, at least 1 ms */
static double
collector_timeout_until(double deadline, double max)
{
	double t = deadline - collector_now() + 0.001;

	return t < 0.001 ? 0.001 : t > max ? max : t;
}

/* How long the loop may wait for events: until the next of the deadlines below. */
static double
collector_wait_timeout(const struct collector *s)
{
	double timeout = s->paused != NULL ? COLLECTOR_RESUME_INTERVAL : 1;

	if (s->accept_paused)
		timeout = collector_timeout_until(s->accept_resume_at, timeout);
	if (s->blocked)
		timeout = collector_timeout_until(s->retry_at, timeout);
	return timeout;
}

static void
collector_after_wait(void *arg)
{
	struct collector *s = arg;

	s->now = collector_now();
	s->wall = time(NULL);
}

/* What is due once the events of a turn are handled, before the loop waits again: the
 * memory budget, writing and acks (retried on a timer while writing fails), and the
 * timers. Returns how long the loop may wait. */
static double
collector_before_wait(void *arg)
{
	struct collector *s = arg;

	collector_partial_check(s);
	if ((!s->blocked || s->now >= s->retry_at) && collector_commit(s) >= 0)
		collector_send_acks(s);
	if (s->accept_paused && s->now >= s->accept_resume_at)
		collector_listeners_on(s, 1);
	if (!s->blocked && s->paused != NULL && s->now - s->last_resume >= COLLECTOR_RESUME_INTERVAL) {
		s->last_resume = s->now;
		collector_resume_paused(s);
	}
	if (s->now - s->last_sweep >= 1) {
		s->last_sweep = s->now;
		if (!s->blocked) /* its clients are idle because it does not read them */
			collector_sweep(s);
		collector_accept_check(s);
		collector_partial_end(s);
		fleet_tick(s);
	}
	return collector_wait_timeout(s);
}

static int
collector_finish(struct collector *s)
{
	int rc = collector_commit(s);

	if (rc >= 0)
		collector_send_acks(s);
	if (rc != 0)
		log_warnx("stopping with %zu bytes of lines that could not be written",
		    collector_output_pending(s->out));
	log_info("stopping: %" PRIu64 " connections, %" PRIu64 " lines, %" PRIu64 " cut, %"
	    PRIu64 " duplicates dropped, %" PRIu64 " refused by allow, %" PRIu64 " unauthenticated",
	    s->st.accepted, s->st.lines, s->st.truncated, s->st.dups, s->st.refused_acl, s->st.unauth);
	return rc == 0 ? 0 : -1;
}

int
collector_run(struct collector *s)
{
	ev_set_after_wait(s->loop, collector_after_wait, s);
	ev_set_before_wait(s->loop, collector_before_wait, s);
	if (notify_watchdog_start(s->loop) < 0)
		return -1;
	int rc = ev_run(s->loop);
	notify_stopping();
	if (rc < 0)
		log_warn("event loop");
	return collector_finish(s) < 0 || rc < 0 ? -1 : 0;
}

void
collector_free(struct collector *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < COLLECTOR_LRU_N; i++)
		while (s->lru[i].head != NULL) {
			struct collector_conn *c = s->lru[i].head;
			collector_conn_close(s, c, NULL);
		}
	collector_send_acks(s);
	collector_resume_paused(s);
	for (size_t i = 0; i < s->nlisteners; i++)
		close(s->listeners[i].fd);
	if (s->fleet.dirty)
		fleet_save(s);
	collector_htab_free(s->fleet.t);
	collector_control_close(s);
	metrics_http_stop(s->metrics);
	alertq_free(s->alerts);
	ev_loop_free(s->loop);
	if (s->spare_fd >= 0)
		close(s->spare_fd);
	collector_rate_free(s->rate);
	free(s->scratch);
	free(s->compose);
	free(s);
}
