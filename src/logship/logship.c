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

#include "common/secret.h"
#include "logship/logship_priv.h"

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
		else
			ls_pump(ls);
		break;
	}
	return ls->timer_delay;
}

/* ---- the API ---- */

static int
ls_parse_target(struct logship *ls, const struct logship_conf *conf, char *err, size_t errlen)
{
	const char *s = conf->collector, *colon;
	const char *defport = conf->protocol == LOGSHIP_SYSLOG ? "514" : "31000";

	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "collector: not set (\"host:port\")");
		return -1;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
			snprintf(err, errlen, "collector \"%s\": expected [ADDRESS]:PORT", s);
			return -1;
		}
		ls->host = strndup(s + 1, (size_t)(close - s - 1));
		ls->port = strdup(close[1] == ':' ? close + 2 : defport);
	} else if ((colon = strrchr(s, ':')) != NULL && strchr(s, ':') == colon) {
		ls->host = strndup(s, (size_t)(colon - s));
		ls->port = strdup(colon + 1);
	} else {
		ls->host = strdup(s);
		ls->port = strdup(defport);
	}
	char *end;
	long p = strtol(ls->port, &end, 10);
	if (*ls->host == '\0' || *end != '\0' || p < 1 || p > 65535) {
		snprintf(err, errlen, "collector \"%s\": expected HOST:PORT with PORT 1..65535", s);
		return -1;
	}
	return 0;
}

static int
ls_load_key(struct logship *ls, const char *file, char *err, size_t errlen)
{
	char hex[160];
	size_t binlen;
	int fd = secret_open(file, "collector_key_file", err, errlen);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");

	if (f == NULL) {
		if (fd >= 0) {
			snprintf(err, errlen, "collector_key_file %s: %s", file, strerror(errno));
			close(fd);
		}
		return -1;
	}
	if (fgets(hex, sizeof(hex), f) == NULL)
		hex[0] = '\0';
	fclose(f);
	hex[strcspn(hex, " \t\r\n")] = '\0';
	if (sodium_hex2bin(ls->key, sizeof(ls->key), hex, strlen(hex), NULL, &binlen, NULL) != 0 ||
	    binlen != sizeof(ls->key)) {
		snprintf(err, errlen, "collector_key_file %s: expected %d hex digits", file,
		    2 * crypto_auth_KEYBYTES);
		return -1;
	}
	sodium_memzero(hex, sizeof(hex));
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
	if (ls_parse_target(ls, conf, err, errlen) < 0 ||
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
	free(ls->host);
	free(ls->port);
	free(ls);
}
