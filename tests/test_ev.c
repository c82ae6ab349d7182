/* SPDX-License-Identifier: ISC */
/* The event loop object (src/common/ev.c): timers in deadline order, fd readiness, removal from
 * inside a dispatch, and two loops that do not see each other. */
#include "config.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "common/ev.h"
#include "tap.h"

/* What the callbacks did, in order. */
struct record {
	struct ev_loop *loop;
	char seen[64];
	size_t n;
	int timed_out;
};

static void
record(struct record *r, char c)
{
	if (r->n < sizeof(r->seen) - 1)
		r->seen[r->n++] = c;
	r->seen[r->n] = '\0';
}

/* Every run has a time limit: a loop that never stops fails the check, not the suite. */
static double
guard_fired(void *arg)
{
	struct record *r = arg;

	r->timed_out = 1;
	ev_stop(r->loop);
	return -1;
}

static void
run_bounded(struct record *r)
{
	struct ev_timer *guard = ev_timer_add(r->loop, 5, guard_fired, r);

	TAP_OK(ev_run(r->loop) == 0, "ev_run returns 0 after ev_stop");
	if (!r->timed_out)
		ev_timer_del(guard);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* ---- timers ---- */

struct tagged {
	struct record *r;
	char tag;
	int stop;        /* the last one: stop the loop */
	int again;       /* run this many more times, 10 ms apart */
	struct ev_timer *victim;
};

static double
timer_fired(void *arg)
{
	struct tagged *t = arg;

	record(t->r, t->tag);
	if (t->victim != NULL) {
		ev_timer_del(t->victim);
		t->victim = NULL;
	}
	if (t->again > 0) {
		t->again--;
		return 0.01;
	}
	if (t->stop)
		ev_stop(t->r->loop);
	return -1;
}

static void
test_timers_in_order(void)
{
	struct record r = { .loop = ev_loop_new() };
	struct tagged c = { &r, 'c', 1, 0, NULL }, a = { &r, 'a', 0, 0, NULL },
	    b = { &r, 'b', 0, 0, NULL };

	TAP_OK(r.loop != NULL, "a loop is made");
	ev_timer_add(r.loop, 0.030, timer_fired, &c);
	ev_timer_add(r.loop, 0.010, timer_fired, &a);
	ev_timer_add(r.loop, 0.020, timer_fired, &b);
	run_bounded(&r);
	TAP_STR(r.seen, "abc", "timers added out of order run by deadline");

	/* all three due before the loop first looks: still by deadline, not by insertion */
	r.n = 0;
	ev_timer_add(r.loop, 0.003, timer_fired, &c);
	ev_timer_add(r.loop, 0.001, timer_fired, &a);
	ev_timer_add(r.loop, 0.002, timer_fired, &b);
	sleep_ms(20);
	run_bounded(&r);
	TAP_STR(r.seen, "abc", "timers all due at once run by deadline");

	/* a repeating timer, and one deleted by an earlier timer of the same pass */
	r.n = 0;
	struct tagged rep = { &r, 'r', 0, 2, NULL }, end = { &r, 'e', 1, 0, NULL },
	    killer = { &r, 'k', 0, 0, NULL }, victim = { &r, 'v', 0, 0, NULL };
	killer.victim = ev_timer_add(r.loop, 0.002, timer_fired, &victim);
	ev_timer_add(r.loop, 0.001, timer_fired, &killer);
	ev_timer_add(r.loop, 0, timer_fired, &rep);
	ev_timer_add(r.loop, 0.2, timer_fired, &end);
	sleep_ms(10);
	run_bounded(&r);
	TAP_STR(r.seen, "rkrre", "a repeating timer runs again, a deleted one never");
	TAP_OK(!r.timed_out, "no run hit its time limit");
	ev_loop_free(r.loop);
}

/* ---- fds ---- */

struct watched {
	struct record *r;
	char tag;
	int fd, other;   /* other: an fd this callback deletes, -1 for none */
};

static void
fd_ready(int fd, int revents, void *arg)
{
	struct watched *w = arg;
	char buf[16];

	record(w->r, revents & POLLIN ? w->tag : (char)(w->tag - 'a' + 'A'));
	if (revents & POLLIN && read(fd, buf, sizeof(buf)) < 0)
		record(w->r, '!');
	ev_fd_del(w->r->loop, fd);
	if (w->other >= 0)
		ev_fd_del(w->r->loop, w->other);
	ev_stop(w->r->loop);
}

static void
test_fds(void)
{
	struct record r = { .loop = ev_loop_new() };
	int p[2], q[2];

	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(q, O_CLOEXEC) < 0)
		abort();
	struct watched wp = { &r, 'p', p[0], -1 }, wq = { &r, 'q', q[0], -1 };

	TAP_OK(ev_fd_add(r.loop, p[0], POLLIN, fd_ready, &wp) == 0, "an fd is added");
	TAP_OK(ev_fd_add(r.loop, p[0], POLLIN, fd_ready, &wp) < 0, "the same fd twice is refused");
	TAP_OK(write(p[1], "x", 1) == 1, "the pipe is written");
	run_bounded(&r);
	TAP_STR(r.seen, "p", "a readable fd's callback runs with POLLIN");

	/* POLLOUT through ev_fd_mod: the write end of an empty pipe is writable */
	r.n = 0;
	struct watched ww = { &r, 'w', p[1], -1 };
	ev_fd_add(r.loop, p[1], 0, fd_ready, &ww);
	TAP_OK(ev_fd_mod(r.loop, p[1], POLLOUT) == 0, "an fd's events change");
	run_bounded(&r);
	TAP_STR(r.seen, "W", "a writable fd's callback runs with POLLOUT");

	/* both readable: whichever runs first deletes the other, which then must not run */
	r.n = 0;
	wp.other = q[0];
	wq.other = p[0];
	ev_fd_add(r.loop, p[0], POLLIN, fd_ready, &wp);
	ev_fd_add(r.loop, q[0], POLLIN, fd_ready, &wq);
	TAP_OK(write(p[1], "x", 1) == 1 && write(q[1], "y", 1) == 1, "both pipes are written");
	run_bounded(&r);
	TAP_OK(r.n == 1, "an fd deleted during the dispatch is not called (%s)", r.seen);
	TAP_OK(!r.timed_out, "no run hit its time limit");
	ev_loop_free(r.loop);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

/* ---- two loops ---- */

static void
test_two_loops(void)
{
	struct record r1 = { .loop = ev_loop_new() }, r2 = { .loop = ev_loop_new() };
	struct tagged t1 = { &r1, '1', 1, 0, NULL }, t2 = { &r2, '2', 1, 0, NULL };
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	struct watched w1 = { &r1, 'a', p[0], -1 }, w2 = { &r2, 'b', p[0], -1 };
	TAP_OK(ev_fd_add(r1.loop, p[0], POLLIN, fd_ready, &w1) == 0 &&
	    ev_fd_add(r2.loop, p[0], POLLIN, fd_ready, &w2) == 0,
	    "one fd may be on two loops");
	ev_fd_del(r1.loop, p[0]);
	ev_timer_add(r1.loop, 0.001, timer_fired, &t1);
	ev_timer_add(r2.loop, 0.002, timer_fired, &t2);
	sleep_ms(10);
	run_bounded(&r1);
	TAP_STR(r1.seen, "1", "the first loop runs only its own timer");
	TAP_STR(r2.seen, "", "the second loop's callbacks did not run");
	TAP_OK(write(p[1], "x", 1) == 1, "the pipe is written");
	run_bounded(&r2);
	TAP_OK(strchr(r2.seen, 'b') != NULL && strchr(r2.seen, '2') != NULL,
	    "the second loop still has its fd and timer, and stops on its own (%s)", r2.seen);
	TAP_STR(r1.seen, "1", "the first loop heard nothing of it");
	TAP_OK(!r1.timed_out && !r2.timed_out, "no run hit its time limit");
	/* a timer left pending is freed with its loop (ASan would see a leak) */
	ev_timer_add(r1.loop, 60, timer_fired, &t1);
	ev_loop_free(r1.loop);
	ev_loop_free(r2.loop);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	test_timers_in_order();
	test_fds();
	test_two_loops();
	return tap_done();
}
