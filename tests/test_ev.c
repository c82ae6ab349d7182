/* SPDX-License-Identifier: ISC */
/* The event loop object (src/common/ev.c): timers in deadline order, fd readiness, removal from
 * inside a dispatch, two loops that do not see each other, many fds, groups muted
 * together, signals as callbacks, and the hooks around the wait. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
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

/* ---- an fd number reused during the dispatch ---- */

struct reuse {
	struct record *r;
	int own_r, own_w;
	int victim_r, victim_w;   /* a pipe this callback closes and replaces */
	int ran;
};

static void
reuse_new_fd(int fd, int revents, void *arg)
{
	struct record *r = arg;

	(void)fd;
	(void)revents;
	record(r, 'N');
}

/* Whichever of the two runs first closes the other's pipe and opens a fresh, empty one
 * under the same number: the old fd's pending POLLIN must not reach the new one. */
static void
reuse_first(int fd, int revents, void *arg)
{
	struct reuse *u = arg;
	int p[2];
	char b;

	(void)revents;
	record(u->r, 'F');
	u->ran = 1;
	if (read(fd, &b, 1) < 0)
		record(u->r, '!');
	ev_fd_del(u->r->loop, u->victim_r);
	close(u->victim_r);
	close(u->victim_w);
	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	if (p[0] != u->victim_r)
		record(u->r, '?');   /* the kernel gave another number: the check below is void */
	ev_fd_add(u->r->loop, p[0], POLLIN, reuse_new_fd, u->r);
	u->victim_r = p[0];
	u->victim_w = p[1];
	ev_fd_del(u->r->loop, fd);
	ev_stop(u->r->loop);
}

static void
test_fd_reuse(void)
{
	struct record r = { .loop = ev_loop_new() };
	int a[2], b[2];

	if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
		abort();
	struct reuse ua = { &r, a[0], a[1], b[0], b[1], 0 }, ub = { &r, b[0], b[1], a[0], a[1], 0 };
	ev_fd_add(r.loop, a[0], POLLIN, reuse_first, &ua);
	ev_fd_add(r.loop, b[0], POLLIN, reuse_first, &ub);
	TAP_OK(write(a[1], "x", 1) == 1 && write(b[1], "y", 1) == 1, "both pipes are written");
	run_bounded(&r);
	TAP_STR(r.seen, "F", "an fd closed and its number reused in a dispatch gets no stale event");
	ev_loop_free(r.loop);
	struct reuse *first = ua.ran ? &ua : &ub;
	close(first->own_r);
	close(first->own_w);
	close(first->victim_r);
	close(first->victim_w);
}

/* ---- many fds: more than one wait returns, numbers far past the table's start ---- */

#define MANY 1500

struct many {
	struct ev_loop *loop;
	int calls[4 * MANY];   /* by fd */
	int left;
};

static void
many_ready(int fd, int revents, void *arg)
{
	struct many *m = arg;
	char buf[8];

	(void)revents;
	if (read(fd, buf, sizeof(buf)) < 0)
		return;
	if (fd < 4 * MANY)
		m->calls[fd]++;
	ev_fd_del(m->loop, fd);
	if (--m->left == 0)
		ev_stop(m->loop);
}

static void
test_many_fds(void)
{
	static struct many m;
	static int rd[MANY], wr[MANY];
	struct rlimit rl;
	struct record r = { .loop = ev_loop_new() };
	int n = 0, ok = 1;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 2 * MANY + 64 && rl.rlim_max >= 2 * MANY + 64) {
		rl.rlim_cur = 2 * MANY + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	m.loop = r.loop;
	for (; n < MANY; n++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			break;
		rd[n] = p[0];
		wr[n] = p[1];
	}
	/* more than one wait's worth (256 events) even under a hard limit of 1024 fds */
	TAP_OK(n > 400, "%d pipes are open (%d wanted)", n, MANY);
	for (int i = 0; i < n; i++)
		ok &= ev_fd_add(r.loop, rd[i], POLLIN, many_ready, &m) == 0;
	TAP_OK(ok, "%d fds are added", n);
	m.left = n;
	for (int i = 0; i < n; i++)
		if (write(wr[i], "x", 1) != 1)
			ok = 0;
	run_bounded(&r);
	int once = 0;
	for (int i = 0; i < n; i++)
		once += rd[i] < 4 * MANY && m.calls[rd[i]] == 1;
	TAP_OK(once == n && m.left == 0, "all %d ready fds ran once each (%d did)", n, once);
	TAP_OK(!r.timed_out, "no run hit its time limit");
	ev_loop_free(r.loop);
	for (int i = 0; i < n; i++) {
		close(rd[i]);
		close(wr[i]);
	}
}

/* ---- groups ---- */

static double
stop_loop(void *arg)
{
	ev_stop(arg);
	return -1;
}

static void
group_ready(int fd, int revents, void *arg)
{
	struct watched *w = arg;
	char buf[16];

	(void)revents;
	record(w->r, w->tag);
	if (read(fd, buf, sizeof(buf)) < 0)
		record(w->r, '!');
}

/* Runs the loop for a short while (no stop from a callback). */
static void
run_for(struct record *r, double seconds)
{
	ev_timer_add(r->loop, seconds, stop_loop, r->loop);
	run_bounded(r);
}

static void
test_groups(void)
{
	struct record r = { .loop = ev_loop_new() };
	int p[3][2];

	for (int i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) < 0)
			abort();
	struct watched wa = { &r, 'a', p[0][0], -1 }, wb = { &r, 'b', p[1][0], -1 },
	    wl = { &r, 'l', p[2][0], -1 };
	int g = ev_group_new(r.loop);
	TAP_OK(g > 0, "a group is made (%d)", g);
	TAP_OK(ev_group_mute(r.loop, 0, 1) < 0, "the loop's own group cannot be muted");
	ev_fd_add_to(r.loop, g, p[0][0], POLLIN, group_ready, &wa);
	ev_fd_add(r.loop, p[2][0], POLLIN, group_ready, &wl);
	TAP_OK(ev_group_mute(r.loop, g, 1) == 0, "the group is muted");
	/* added while muted: muted too */
	ev_fd_add_to(r.loop, g, p[1][0], POLLIN, group_ready, &wb);
	for (int i = 0; i < 3; i++)
		if (write(p[i][1], "x", 1) != 1)
			abort();
	run_for(&r, 0.05);
	TAP_STR(r.seen, "l", "a muted group's fds are not called, the loop's others are");
	r.n = 0;
	r.seen[0] = '\0';
	TAP_OK(ev_group_mute(r.loop, g, 0) == 0, "the group is unmuted");
	run_for(&r, 0.05);
	TAP_OK(r.n == 2 && strchr(r.seen, 'a') && strchr(r.seen, 'b'),
	    "unmuted, the group's fds run with what waited (%s)", r.seen);
	/* a member's events change inside the group: the write end, POLLOUT */
	r.n = 0;
	r.seen[0] = '\0';
	ev_fd_del(r.loop, p[1][0]);
	struct watched ww = { &r, 'w', p[1][1], -1 };
	ev_fd_add_to(r.loop, g, p[1][1], 0, fd_ready, &ww);
	TAP_OK(ev_fd_mod(r.loop, p[1][1], POLLOUT) == 0, "a member's events change");
	run_bounded(&r);
	TAP_STR(r.seen, "W", "a member of a group gets POLLOUT");
	TAP_OK(!r.timed_out, "no run hit its time limit");
	ev_loop_free(r.loop);
	for (int i = 0; i < 3; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
}

/* ---- signals ---- */

struct sigseen {
	struct record *r;
	int stop;
};

static void
sig_cb(int sig, void *arg)
{
	struct sigseen *ss = arg;

	record(ss->r, sig == SIGUSR1 ? '1' : sig == SIGUSR2 ? '2' : '?');
	if (ss->stop)
		ev_stop(ss->r->loop);
}

static double
raise_both(void *arg)
{
	(void)arg;
	raise(SIGUSR2);
	raise(SIGUSR1);
	return -1;
}

static void
test_signals(void)
{
	struct record r = { .loop = ev_loop_new() }, other = { .loop = ev_loop_new() };
	struct sigseen s1 = { &r, 1 }, s2 = { &r, 0 };
	struct sigaction sa;

	TAP_OK(ev_signal_add(r.loop, SIGUSR1, sig_cb, &s1) == 0 &&
	    ev_signal_add(r.loop, SIGUSR2, sig_cb, &s2) == 0, "signals are taken");
	TAP_OK(ev_signal_add(other.loop, SIGTERM, sig_cb, &s1) < 0,
	    "a second loop cannot take signals while the first has them");
	/* from another process while the loop waits with nothing due: the signal wakes it */
	double t0 = ev_now();
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(50);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	run_bounded(&r);
	waitpid(pid, NULL, 0);
	TAP_STR(r.seen, "1", "a signal runs its callback in the loop");
	TAP_OK(!r.timed_out && ev_now() - t0 < 4, "the signal woke the wait (%.2f s)", ev_now() - t0);
	/* two in one turn: both callbacks run */
	r.n = 0;
	r.seen[0] = '\0';
	ev_timer_add(r.loop, 0, raise_both, NULL);
	run_bounded(&r);
	TAP_OK(strchr(r.seen, '1') && strchr(r.seen, '2'), "two signals in one turn both run (%s)",
	    r.seen);
	ev_loop_free(r.loop);
	sigaction(SIGUSR1, NULL, &sa);
	TAP_OK(sa.sa_handler == SIG_DFL, "freeing the loop puts the signal's old handling back");
	TAP_OK(ev_signal_add(other.loop, SIGUSR1, sig_cb, &s1) == 0,
	    "another loop may take signals once the first is freed");
	ev_loop_free(other.loop);
}

/* ---- the hooks around the wait ---- */

struct hooked {
	struct record r;
	int afters;
};

static double
hook_before(void *arg)
{
	struct hooked *h = arg;

	record(&h->r, 'B');
	return 0.01;   /* the only bound on the wait: without it the run hits its limit */
}

static void
hook_after(void *arg)
{
	struct hooked *h = arg;

	record(&h->r, 'A');
	if (++h->afters == 3)
		ev_stop(h->r.loop);
}

static void
hook_fd(int fd, int revents, void *arg)
{
	struct hooked *h = arg;
	char b;

	(void)revents;
	record(&h->r, 'f');
	if (read(fd, &b, 1) < 0)
		record(&h->r, '!');
}

static void
test_hooks(void)
{
	struct hooked h = { .r = { .loop = ev_loop_new() } };
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		abort();
	ev_fd_add(h.r.loop, p[0], POLLIN, hook_fd, &h);
	ev_set_before_wait(h.r.loop, hook_before, &h);
	ev_set_after_wait(h.r.loop, hook_after, &h);
	TAP_OK(write(p[1], "x", 1) == 1, "the pipe is written");
	run_bounded(&h.r);
	TAP_STR(h.r.seen, "BAfBABA",
	    "before each wait the hook bounds it; after it, the other runs before the callbacks");
	TAP_OK(!h.r.timed_out, "no run hit its time limit");
	ev_loop_free(h.r.loop);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	test_timers_in_order();
	test_fds();
	test_two_loops();
	test_fd_reuse();
	test_many_fds();
	test_groups();
	test_signals();
	test_hooks();
	return tap_done();
}
