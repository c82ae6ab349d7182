/* SPDX-License-Identifier: ISC */
/* logship_driver: streams N numbered messages through logship (on the ev loop) to a
 * collector and waits until every one is acknowledged; the kill -9 and link-cut tests
 * run it in place of the agent. Exit 0 when all were delivered in time. */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ev.h"
#include "logship/logship.h"

static struct ev_loop *driver_loop;

struct driver {
	struct logship *ls;
	long n, next, rate;
	const char *prefix;
	double start, deadline, last_report;
	int verbose, rc, drained;
};

static double
driver_tick(void *arg)
{
	struct driver *d = arg;
	struct logship_status st;
	double now = ev_now();
	/* at most 1000 per tick, so the loop keeps serving the socket between batches */
	long due = d->rate > 0 ? (long)((now - d->start) * (double)d->rate) + 1 : d->next + 1000;

	while (d->next <= d->n && d->next <= due) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s %ld", d->prefix, d->next);
		if (logship_submit(d->ls, time(NULL), msg) < 0) {
			perror("logship_submit");
			d->rc = 2;
			ev_stop(driver_loop);
			return -1;
		}
		d->next++;
	}
	logship_status(d->ls, &st);
	if (d->verbose && now - d->last_report >= 1) {
		d->last_report = now;
		fprintf(stderr, "driver: submitted %ld, acked %" PRIu64 ", spooled %" PRIu64 ", dropped %"
		    PRIu64 ", %s%s%s\n", d->next - 1, st.acked_seq, st.spooled, st.dropped,
		    st.connected ? "connected" : "not connected", st.last_error[0] ? ": " : "", st.last_error);
	}
	if (d->next > d->n && st.spooled == 0) {
		d->drained = 1;
		ev_stop(driver_loop);
		return -1;
	}
	if (now > d->deadline) {
		fprintf(stderr, "driver: timed out with %" PRIu64 " not delivered (%s)\n", st.spooled,
		    st.last_error);
		d->rc = 1;
		ev_stop(driver_loop);
		return -1;
	}
	return 0.01;
}

static void __attribute__((noreturn))
driver_usage(void)
{
	fprintf(stderr, "usage: logship_driver -c HOST:PORT -s STATE_DIR -n COUNT [-H HOSTNAME] "
	    "[-p vmmanage|syslog] [-m SPOOL_MAX] [-k KEY_FILE] [-r PER_SECOND] [-t TIMEOUT] "
	    "[-x PREFIX] [-a ACK_TIMEOUT] [-N] [-v]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct logship_conf conf = { 0 };
	struct driver d = { .prefix = "message", .rc = 0 };
	struct logship_status st;
	double timeout = 60;
	char err[256] = "";
	int ch;

	while ((ch = getopt(argc, argv, "a:c:H:k:m:n:Np:r:s:t:vx:")) != -1) {
		switch (ch) {
		case 'a': conf.ack_timeout = atof(optarg); break;
		case 'c': conf.collector = optarg; break;
		case 'H': conf.hostname = optarg; break;
		case 'k': conf.key_file = optarg; break;
		case 'm': conf.spool_max_bytes = strtoull(optarg, NULL, 10); break;
		case 'n': d.n = atol(optarg); break;
		case 'N': conf.no_sync = 1; break;
		case 'p': conf.protocol = strcmp(optarg, "syslog") == 0 ? LOGSHIP_SYSLOG : LOGSHIP_VMMANAGE; break;
		case 'r': d.rate = atol(optarg); break;
		case 's': conf.state_dir = optarg; break;
		case 't': timeout = atof(optarg); break;
		case 'v': d.verbose = 1; break;
		case 'x': d.prefix = optarg; break;
		default: driver_usage();
		}
	}
	if (conf.collector == NULL || conf.state_dir == NULL || d.n < 0)
		driver_usage();
	signal(SIGPIPE, SIG_IGN);
	if ((driver_loop = ev_loop_new()) == NULL) {
		fprintf(stderr, "logship_driver: out of memory\n");
		return 2;
	}
	conf.loop = driver_loop;
	if ((d.ls = logship_new(&conf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "logship_driver: %s\n", err);
		return 2;
	}
	d.next = 1;
	d.start = ev_now();
	d.deadline = d.start + timeout;
	ev_timer_add(driver_loop, 0, driver_tick, &d);
	ev_run(driver_loop);
	logship_status(d.ls, &st);
	printf("submitted=%ld acked=%" PRIu64 " spooled=%" PRIu64 " dropped=%" PRIu64 " boot=%s\n",
	    d.next - 1, st.acked_seq, st.spooled, st.dropped, st.boot);
	logship_free(d.ls);
	ev_loop_free(driver_loop);
	return d.drained ? 0 : d.rc ? d.rc : 1;
}
