/* SPDX-License-Identifier: ISC */
/* logship: spool, then send over one persistent connection; see logship.h. The connection
 * is a small state machine driven by the event loop: BACKOFF -> RESOLVING (c-ares, a new
 * channel at every attempt, since a VM that moved may have a new resolver and the name a
 * new address) -> CONNECTING (each address in turn) -> HELLO -> (with a key: AUTH) ->
 * STREAMING. With a key, only what the collector proves with that key (a MAC over this
 * connection's nonces) trims the spool: anyone else posing as the collector trims nothing. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "common/keyfile.h"
#include "logship/logship_priv.h"

/* ---- the collectors in turn ---- */

static void
ls_target_use(struct logship *ls, size_t i)
{
	ls->tcur = i;
	ls->host = ls->targets[i].host;
	ls->port = ls->targets[i].port;
}

/* A connection failed (ls_fail): 1 when there is another collector to try at once, 0
 * when every one has failed in a row (then the first is next, after the backoff). Said
 * once per outage, not per attempt. */
int
ls_failover(struct logship *ls)
{
	size_t from = ls->tcur;

	if (ls->ntargets < 2)
		return 0;
	if (++ls->round_failed >= ls->ntargets) {
		ls->round_failed = 0;
		ls_target_use(ls, 0);
		return 0;
	}
	ls_target_use(ls, (ls->tcur + 1) % ls->ntargets);
	ls->failovers++;
	if (!ls->failing_back && !ls->outage_said) {
		ls_warn(ls, "collector %s: %s; trying %s", ls->targets[from].spec, ls->last_error,
		    ls->targets[ls->tcur].spec);
		ls->outage_said = 1;
	}
	return 1;
}

/* Connected and the handshake done: the outage, if any, is over. */
void
ls_target_works(struct logship *ls)
{
	if (ls->outage_said)
		ls_warn(ls, "collector %s: connected, sending there", ls->targets[ls->tcur].spec);
	ls->outage_said = 0;
	ls->failing_back = 0;
	ls->round_failed = 0;
	ls->on_later_since = ev_now();
}

/* On a later collector for `failback` seconds with nothing in flight: try the first
 * again. If it still fails, the others follow at once, quietly. */
static int
ls_maybe_failback(struct logship *ls)
{
	if (ls->tcur == 0 || ev_now() - ls->on_later_since < ls->failback ||
	    ls->sent_seq != lspool_acked(ls->sp))
		return 0;
	ls_close(ls);
	ls_target_use(ls, 0);
	ls->round_failed = 0;
	ls->failing_back = 1;
	ls->state = LS_BACKOFF;
	ls_set_timer(ls, 0.01);
	return 1;
}

/* ---- the state timer ---- */

static double
ls_timer(void *arg)
{
	struct logship *ls = arg;

	ls->timer_delay = LS_TICK;
	switch (ls->state) {
	case LS_BACKOFF:
		ls_resolve(ls);
		break;
	case LS_RESOLVING:
		/* ls_resolved runs from inside ares_cancel with ARES_ECANCELLED */
		ares_cancel(ls->ch);
		if (ls->state == LS_RESOLVING)
			ls_fail(ls, "resolve %s: timed out", ls->host);
		break;
	case LS_CONNECTING:
		snprintf(ls->last_error, sizeof(ls->last_error), "connect %s port %s: timed out", ls->host, ls->port);
		ls_connect_next(ls);
		break;
	case LS_HELLO:
	case LS_AUTH:
		ls_fail(ls, "collector %s: no answer to %s", ls->host, ls->state == LS_HELLO ?
		    "HELLO" : "AUTH");
		break;
	case LS_STREAMING:
		if (ls->proto == LOGSHIP_SYSLOG)
			ls_syslog_delivered(ls);
		if (ls->sent_seq > lspool_acked(ls->sp) && ev_now() - ls->last_progress > ls->ack_timeout)
			ls_fail(ls, "no ack for %.0f s: link or collector gone", ls->ack_timeout);
		else if (!ls_maybe_failback(ls))
			ls_pump(ls);
		break;
	}
	return ls->timer_delay;
}

/* ---- the API ---- */

/* One "host:port" (or "[v6addr]:port", or a host alone) into t. */
static int
ls_parse_target(struct ls_target *t, const char *s, enum logship_protocol proto, char *err,
    size_t errlen)
{
	const char *colon;
	const char *defport = proto == LOGSHIP_SYSLOG ? "514" : "31000";

	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "collector: not set (\"host:port\")");
		return -1;
	}
	if ((t->spec = strdup(s)) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			snprintf(err, errlen, "collector \"%s\": expected [ADDRESS]:PORT", s);
			return -1;
		}
		t->host = strndup(s + 1, (size_t)(close - s - 1));
		t->port = strdup(close[1] == ':' ? close + 2 : defport);
	} else if ((colon = strrchr(s, ':')) != NULL && strchr(s, ':') == colon) {
		t->host = strndup(s, (size_t)(colon - s));
		t->port = strdup(colon + 1);
	} else {
		t->host = strdup(s);
		t->port = strdup(defport);
	}
	if (t->host == NULL || t->port == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	char *end;
	long p = strtol(t->port, &end, 10);
	if (*t->host == '\0' || *end != '\0' || p < 1 || p > 65535) {
		snprintf(err, errlen, "collector \"%s\": expected HOST:PORT with PORT 1..65535", s);
		return -1;
	}
	return 0;
}

static int
ls_parse_targets(struct logship *ls, const struct logship_conf *conf, char *err, size_t errlen)
{
	const char *const one[] = { conf->collector, NULL };
	const char *const *list = conf->collectors != NULL ? conf->collectors : one;
	size_t n = conf->collectors != NULL ? conf->ncollectors : 1;

	if (n == 0 || n > LS_MAX_TARGETS) {
		snprintf(err, errlen, "collector: give 1 to %d collectors", LS_MAX_TARGETS);
		return -1;
	}
	for (ls->ntargets = 0; ls->ntargets < n; ls->ntargets++)
		if (ls_parse_target(&ls->targets[ls->ntargets], list[ls->ntargets], conf->protocol, err,
		    errlen) < 0) {
			ls->ntargets++; /* freed with the others */
			return -1;
		}
	ls_target_use(ls, 0);
	return 0;
}

static int
ls_load_key(struct logship *ls, const char *file, char *err, size_t errlen)
{
	if (keyfile_read_one(file, "collector_key_file", ls->key, err, errlen) < 0)
		return -1;
	ls->has_key = 1;
	return 0;
}

struct logship *
logship_new(const struct logship_conf *conf, char *err, size_t errlen)
{
	struct logship *ls = calloc(1, sizeof(*ls));

	if (ls == NULL || sodium_init() < 0 || ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		snprintf(err, errlen, "logship: cannot initialise");
		free(ls);
		return NULL;
	}
	ls->loop = conf->loop;
	ls->fd = -1;
	vmm_buf_init(&ls->out, 65536, LS_OUT_CAP);
	ls->proto = conf->protocol;
	ls->ack_timeout = conf->ack_timeout > 0 ? conf->ack_timeout : 10;
	ls->backoff = LS_BACKOFF_MIN;
	ls->warn = conf->warn;
	if (conf->hostname != NULL && *conf->hostname)
		snprintf(ls->hostname, sizeof(ls->hostname), "%s", conf->hostname);
	else if (gethostname(ls->hostname, sizeof(ls->hostname) - 1) < 0)
		strcpy(ls->hostname, "localhost");
	ls->failback = conf->failback > 0 ? conf->failback : 300;
	if (ls_parse_targets(ls, conf, err, errlen) < 0 ||
	    (conf->key_file != NULL && *conf->key_file && ls_load_key(ls, conf->key_file, err, errlen) < 0) ||
	    (ls->rec = malloc(LS_REC_CAP)) == NULL ||
	    (ls->sp = lspool_open(conf->state_dir ? conf->state_dir : ".", conf->spool_max_bytes,
	    !conf->no_sync, err, errlen)) == NULL ||
	    (ls->timer = ev_timer_add(ls->loop, 0, ls_timer, ls)) == NULL) {
		if (err[0] == '\0')
			snprintf(err, errlen, "logship: out of memory");
		logship_free(ls);
		return NULL;
	}
	ls->state = LS_BACKOFF;
	return ls;
}

int
logship_submit(struct logship *ls, time_t t, const char *msg)
{
	size_t len = strlen(msg);
	int rc;

	if (len > LOGSHIP_MAX_MSG - 12) {
		/* cut on a UTF-8 boundary and say so */
		size_t cut = LOGSHIP_MAX_MSG - 12;
		while (cut > 0 && ((unsigned char)msg[cut] & 0xc0) == 0x80)
			cut--;
		char *m = malloc(cut + 13);
		if (m == NULL)
			return -1;
		memcpy(m, msg, cut);
		memcpy(m + cut, " [truncated]", 13);
		rc = lspool_append(ls->sp, t, m, cut + 12);
		free(m);
	} else
		rc = lspool_append(ls->sp, t, msg, len);
	if (rc == 0)
		ls_pump(ls);
	return rc;
}

void
logship_status(const struct logship *ls, struct logship_status *st)
{
	memset(st, 0, sizeof(*st));
	st->connected = ls->state == LS_STREAMING;
	st->spooled = lspool_pending(ls->sp);
	st->spool_bytes = lspool_bytes(ls->sp);
	st->dropped = lspool_dropped(ls->sp);
	st->next_seq = lspool_next_seq(ls->sp);
	st->acked_seq = lspool_acked(ls->sp);
	snprintf(st->boot, sizeof(st->boot), "%s", lspool_boot(ls->sp));
	snprintf(st->last_error, sizeof(st->last_error), "%s", ls->last_error);
	snprintf(st->current, sizeof(st->current), "%s", ls->targets[ls->tcur].spec);
	st->failovers = ls->failovers;
}

void
logship_free(struct logship *ls)
{
	if (ls == NULL)
		return;
	ls->destroying = 1;
	ls_close(ls);
	if (ls->timer != NULL)
		ev_timer_del(ls->timer);
	if (ls->ares_timer != NULL)
		ev_timer_del(ls->ares_timer);
	if (ls->ch_ok)
		ares_destroy(ls->ch);
	if (ls->ai != NULL)
		ares_freeaddrinfo(ls->ai);
	lspool_close(ls->sp);
	sodium_memzero(ls->key, sizeof(ls->key));
	free(ls->rec);
	vmm_buf_free(&ls->out);
	for (size_t i = 0; i < ls->ntargets; i++) {
		free(ls->targets[i].host);
		free(ls->targets[i].port);
		free(ls->targets[i].spec);
	}
	free(ls);
}
