/* SPDX-License-Identifier: ISC */
/* Sensor mysql_slow: slow queries per cycle, from SHOW GLOBAL STATUS over libmariadb. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include <vmmanage/sensor.h>

#include "common/secret.h"
#include "sensors/mysql_slow_parse.h"

#define MYSQL_DEFAULT_TIMEOUT 5
/* After repeated connect failures, skip at most this many cycles between attempts. */
#define MYSQL_MAX_SKIP 4
/* Client-side error numbers (CR_*) start here; they mean the connection is in doubt. */
#define MYSQL_CLIENT_ERRORS 2000

struct mysql_state {
	const struct vmm_host *host;
	const char *where;      /* for messages: socket or host:port */
	char *host_name, *socket, *user, *option_file;
	unsigned port, timeout;
	MYSQL *db;              /* NULL until connected; kept between cycles */
	struct slow_counter counter;
	struct timespec last;   /* monotonic time of the counter's reading */
	unsigned fails, skip;   /* connect failures in a row; cycles still to skip */
	double long_query_time; /* the server's, last seen; < 0 before the first reading */
	char last_why[256];
	char where_buf[300];
};

/* Sensors alive in this process: the client library is set up for the first and torn
 * down after the last (a reload starts the new one before it ends the old one). Only the
 * daemon's main thread calls init and fini. */
static unsigned mysql_instances;

static const char *const mysql_keys[] = {
	"mysql_host", "mysql_port", "mysql_socket", "mysql_user", "mysql_option_file",
	"mysql_timeout", NULL
};

/* The option file holds the password: the rule of every secret the agent reads
 * (common/secret.h), checked on an opened descriptor. libmariadb then opens the file again
 * by name (MYSQL_READ_DEFAULT_FILE takes only a path), so the check runs at init and again
 * right before every connect, which keeps the window to the connect itself. */
static int
mysql_check_private(const char *path, char *err, size_t errlen)
{
	return secret_check(path, "mysql_option_file", err, errlen);
}

/* An optional string key copied into *out (NULL when absent). */
static int
mysql_conf_str(const struct vmm_host *host, const struct vmm_conf *conf, const char *key,
    char **out, char *err, size_t errlen)
{
	const char *s = NULL;

	*out = NULL;
	if (host->conf_string(conf, key, &s, err, errlen) < 0)
		return -1;
	if (s != NULL && (*out = strdup(s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int
mysql_conf(struct mysql_state *st, const struct vmm_conf *conf, char *err, size_t errlen)
{
	const struct vmm_host *h = st->host;
	int64_t port = 0, timeout = MYSQL_DEFAULT_TIMEOUT;

	if (mysql_conf_str(h, conf, "mysql_host", &st->host_name, err, errlen) < 0 ||
	    mysql_conf_str(h, conf, "mysql_socket", &st->socket, err, errlen) < 0 ||
	    mysql_conf_str(h, conf, "mysql_user", &st->user, err, errlen) < 0 ||
	    mysql_conf_str(h, conf, "mysql_option_file", &st->option_file, err, errlen) < 0 ||
	    h->conf_int(conf, "mysql_port", 0, 65535, &port, err, errlen) < 0 ||
	    h->conf_int(conf, "mysql_timeout", 1, 3600, &timeout, err, errlen) < 0)
		return -1;
	if (st->option_file != NULL && mysql_check_private(st->option_file, err, errlen) < 0)
		return -1;
	st->port = (unsigned)port;
	st->timeout = (unsigned)timeout;
	if (st->socket != NULL)
		snprintf(st->where_buf, sizeof(st->where_buf), "%s", st->socket);
	else
		snprintf(st->where_buf, sizeof(st->where_buf), "%s:%u",
		    st->host_name ? st->host_name : "localhost", st->port ? st->port : 3306);
	st->where = st->where_buf;
	return 0;
}

static void
mysql_state_free(struct mysql_state *st)
{
	if (st->db != NULL)
		mysql_close(st->db); /* say goodbye to the server (netdata#13318) */
	free(st->host_name);
	free(st->socket);
	free(st->user);
	free(st->option_file);
	free(st);
}

static int
mysql_init_sensor(const struct vmm_host *host, const struct vmm_conf *conf, void **state,
    char *err, size_t errlen)
{
	struct mysql_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->host = host;
	st->long_query_time = -1;
	if (mysql_conf(st, conf, err, errlen) < 0) {
		mysql_state_free(st);
		return -1;
	}
	/* here, in the daemon's thread, not lazily in the worker: it is not thread-safe */
	if (mysql_instances == 0 && mysql_library_init(0, NULL, NULL) != 0) {
		snprintf(err, errlen, "mysql: cannot initialise the client library");
		mysql_state_free(st);
		return -1;
	}
	mysql_instances++;
	*state = st;
	return 0;
}

static void
mysql_disconnect(struct mysql_state *st)
{
	if (st->db != NULL)
		mysql_close(st->db);
	st->db = NULL;
}

/* Timeouts on every step, so a dead server costs at most mysql_timeout per step
 * (collectd#983); the password only from the option file. */
static void
mysql_set_options(struct mysql_state *st)
{
	unsigned t = st->timeout;

	mysql_options(st->db, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	mysql_options(st->db, MYSQL_OPT_READ_TIMEOUT, &t);
	mysql_options(st->db, MYSQL_OPT_WRITE_TIMEOUT, &t);
	if (st->option_file != NULL) {
		/* the [client] group is read as well as [vmmanage] */
		mysql_options(st->db, MYSQL_READ_DEFAULT_FILE, st->option_file);
		mysql_options(st->db, MYSQL_READ_DEFAULT_GROUP, "vmmanage");
	}
}

static int
mysql_connect(struct mysql_state *st, char *err, size_t errlen)
{
	if ((st->db = mysql_init(NULL)) == NULL) {
		snprintf(err, errlen, "mysql: out of memory");
		return -1;
	}
	if (st->option_file != NULL && mysql_check_private(st->option_file, err, errlen) < 0) {
		mysql_disconnect(st);
		return -1;
	}
	mysql_set_options(st);
	/* NULLs leave host, user and socket to the option file and the library defaults */
	if (mysql_real_connect(st->db, st->host_name, st->user, NULL, NULL, st->port,
	    st->socket, 0) == NULL) {
		snprintf(err, errlen, "mysql: %s: %s", st->where, mysql_error(st->db));
		mysql_disconnect(st);
		return -1;
	}
	return 0;
}

/* The two counters from the result; -1 with err when one is missing or odd. */
static int
mysql_read_rows(MYSQL_RES *res, uint64_t *slow, uint64_t *uptime, char *err, size_t errlen)
{
	unsigned seen = 0;
	MYSQL_ROW row;

	if (mysql_num_fields(res) < 2) {
		snprintf(err, errlen, "mysql: SHOW GLOBAL STATUS gave %u columns",
		    mysql_num_fields(res));
		return -1;
	}
	while ((row = mysql_fetch_row(res)) != NULL)
		if (slow_status_row(row[0], row[1], slow, uptime, &seen) < 0) {
			snprintf(err, errlen, "mysql: %s is \"%s\", not a counter", row[0],
			    row[1] ? row[1] : "NULL");
			return -1;
		}
	if (seen != (SLOW_SEEN_SLOW | SLOW_SEEN_UPTIME)) {
		snprintf(err, errlen, "mysql: SHOW GLOBAL STATUS has no %s",
		    (seen & SLOW_SEEN_SLOW) ? "Uptime" : "Slow_queries");
		return -1;
	}
	return 0;
}

/*
 * GLOBAL, not session, status (mymon#24). Uptime comes along to tell a restart from a
 * quiet server. Returns 0, -1 with err, or -2 when the connection is in doubt.
 */
static int
mysql_query_counters(struct mysql_state *st, uint64_t *slow, uint64_t *uptime, char *err,
    size_t errlen)
{
	static const char q[] = "SHOW GLOBAL STATUS WHERE Variable_name IN ('Slow_queries', 'Uptime')";
	MYSQL_RES *res;
	int rc;

	if (mysql_real_query(st->db, q, sizeof(q) - 1) != 0 ||
	    (res = mysql_store_result(st->db)) == NULL) {
		snprintf(err, errlen, "mysql: %s: %s", st->where, mysql_error(st->db));
		return mysql_errno(st->db) >= MYSQL_CLIENT_ERRORS ? -2 : -1;
	}
	rc = mysql_read_rows(res, slow, uptime, err, errlen);
	mysql_free_result(res);
	return rc;
}

/* Read the counters over the kept connection; a lost one (wait_timeout, a restart) is
 * reopened once right away (Diamond#268). */
static int
mysql_read_counters(struct mysql_state *st, uint64_t *slow, uint64_t *uptime, char *err,
    size_t errlen)
{
	int fresh = 0, rc;

	if (st->db == NULL) {
		if (mysql_connect(st, err, errlen) < 0)
			return -1;
		fresh = 1;
	}
	rc = mysql_query_counters(st, slow, uptime, err, errlen);
	if (rc == -2 && !fresh) {
		mysql_disconnect(st);
		if (mysql_connect(st, err, errlen) < 0)
			return -1;
		rc = mysql_query_counters(st, slow, uptime, err, errlen);
	}
	if (rc == -2)
		mysql_disconnect(st);
	return rc < 0 ? -1 : 0;
}

/* long_query_time decides which queries the server counts as slow: the threshold means
 * something else when it changes, so it is said at the first reading and at a change
 * (SET GLOBAL, or a restart with another setting). A failure here costs no sample. */
static void
mysql_watch_long_query_time(struct mysql_state *st)
{
	static const char q[] = "SHOW GLOBAL VARIABLES WHERE Variable_name = 'long_query_time'";
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *end = NULL;
	double v = -1;

	if (mysql_real_query(st->db, q, sizeof(q) - 1) != 0 ||
	    (res = mysql_store_result(st->db)) == NULL)
		return;
	if (mysql_num_fields(res) >= 2 && (row = mysql_fetch_row(res)) != NULL && row[1] != NULL) {
		v = strtod(row[1], &end);
		if (end == row[1] || *end != '\0' || !(v >= 0))
			v = -1;
	}
	mysql_free_result(res);
	if (v < 0 || v == st->long_query_time)
		return;
	if (st->long_query_time < 0)
		st->host->log(VMM_LOG_INFO, "mysql_slow: %s: long_query_time is %g s: queries that "
		    "take longer count as slow", st->where, v);
	else
		st->host->log(VMM_LOG_WARNING, "mysql_slow: %s: long_query_time changed from %g s to "
		    "%g s: the threshold now counts other queries as slow", st->where,
		    st->long_query_time, v);
	st->long_query_time = v;
}

static double
mysql_elapsed(const struct timespec *since, struct timespec *now)
{
	clock_gettime(CLOCK_MONOTONIC, now);
	return (double)(now->tv_sec - since->tv_sec) + (now->tv_nsec - since->tv_nsec) / 1e9;
}

/* A failed cycle: unknown; retry the connection with a growing pause. */
static void
mysql_failed(struct mysql_state *st, struct vmm_sensor_reading *out, const char *why)
{
	snprintf(out->why, sizeof(out->why), "%s", why);
	snprintf(st->last_why, sizeof(st->last_why), "%s", why);
	slow_counter_forget(&st->counter);
	if (st->db == NULL) {
		st->fails++;
		st->skip = st->fails - 1 < MYSQL_MAX_SKIP ? st->fails - 1 : MYSQL_MAX_SKIP;
	}
}

static void
mysql_use_reading(struct mysql_state *st, uint64_t slow, uint64_t uptime,
    struct vmm_sensor_reading *out)
{
	struct slow_counter prev = st->counter;
	struct timespec now;
	double elapsed = mysql_elapsed(&st->last, &now);
	uint64_t delta;

	st->last = now;
	switch (slow_counter_update(&st->counter, slow, uptime, elapsed, &delta)) {
	case SLOW_RATE:
		out->known = 1;
		out->value = (double)delta;
		break;
	case SLOW_BASELINE:
		snprintf(out->why, sizeof(out->why), "mysql: baseline");
		break;
	case SLOW_RESTART:
		/* the core cannot see the counters, so say what happened here */
		st->host->log(VMM_LOG_INFO, "mysql_slow: Slow_queries went from %" PRIu64 " to %"
		    PRIu64 ", Uptime from %" PRIu64 " to %" PRIu64 " s in %.0f s: server restarted, "
		    "new baseline", prev.slow, slow, prev.uptime, uptime, elapsed);
		snprintf(out->why, sizeof(out->why), "mysql: server restarted: new baseline");
		break;
	}
}

static void
mysql_sample(void *state, struct vmm_sensor_reading *out)
{
	struct mysql_state *st = state;
	uint64_t slow = 0, uptime = 0;
	char err[256];

	out->known = 0;
	out->nextra = 0;
	out->why[0] = '\0';
	if (st->skip > 0) {
		/* backing off: the same why, so the core logs nothing new */
		st->skip--;
		snprintf(out->why, sizeof(out->why), "%s", st->last_why);
		return;
	}
	if (mysql_read_counters(st, &slow, &uptime, err, sizeof(err)) < 0) {
		mysql_failed(st, out, err);
		return;
	}
	st->fails = 0;
	mysql_watch_long_query_time(st);
	mysql_use_reading(st, slow, uptime, out);
}

static void
mysql_fini(void *state)
{
	if (state == NULL)
		return;
	mysql_state_free(state);
	if (--mysql_instances == 0)
		mysql_library_end();
}

static const struct vmm_sensor_ops mysql_ops = {
	.abi = VMM_SENSOR_ABI,
	.size = sizeof(struct vmm_sensor_ops),
	.name = "mysql_slow",
	.summary = "MySQL/MariaDB slow queries per cycle (Slow_queries of SHOW GLOBAL STATUS)",
	.keys = mysql_keys,
	.direction = VMM_HIGHER_IS_WORSE,
	.label = "slow rate",
	.init = mysql_init_sensor,
	.sample = mysql_sample,
	.fini = mysql_fini,
};

const struct vmm_sensor_ops *
vmm_sensor_entry(void)
{
	return &mysql_ops;
}
