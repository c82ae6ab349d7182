/* SPDX-License-Identifier: ISC */
/* spawn_run(), which runs every command sensor, endpoint and alert: its output, its exit
 * status when the child closes its pipes before it exits (the exit is waited for, not the
 * pipes), the deadline for one that never exits, and a worker told to give up. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/ev.h"
#include "common/worker.h"
#include "core/subproc.h"
#include "tap.h"

static void
test_output(void)
{
	static const char *const argv[] = { "sh", "-c", "echo hi; exit 3", NULL };
	struct vmm_run_result r;

	TAP_OK(spawn_run(argv, NULL, 10, 64, &r) == 0, "a command that ends: ran");
	TAP_OK(r.status == 3 && !r.timed_out, "its exit status (%d)", r.status);
	TAP_STR(r.out, "hi\n", "its output");
	spawn_result_free(&r);
}

static void
test_exit_after_pipes(void)
{
	static const char *const argv[] = { "sh", "-c", "exec >&- 2>&-; sleep 0.3; exit 7", NULL };
	struct vmm_run_result r;
	double t0 = vmm_mono_now();

	TAP_OK(spawn_run(argv, NULL, 20, 64, &r) == 0, "pipes closed, then an exit 0.3 s later: ran");
	double took = vmm_mono_now() - t0;
	TAP_OK(r.status == 7, "the status is the exit's, not a guess at the pipes' close (%d)", r.status);
	TAP_OK(took >= 0.25, "it waited for the exit (%.2f s)", took);
	spawn_result_free(&r);
}

static void
test_deadline(void)
{
	static const char *const argv[] = { "sh", "-c", "exec >&- 2>&-; sleep 30", NULL };
	struct vmm_run_result r;
	double t0 = vmm_mono_now();

	TAP_OK(spawn_run(argv, NULL, 0.5, 64, &r) < 0, "one that never exits: -1");
	double took = vmm_mono_now() - t0;
	TAP_OK(r.timed_out && strstr(r.err, "no answer within 0.5 s, killed") != NULL,
	    "killed at the deadline, and said so (%s)", r.err);
	TAP_OK(took < 10, "well before its sleep ends (%.2f s)", took);
	spawn_result_free(&r);
}

struct cancel_job {
	char started[64];  /* the command makes this file once it runs */
	struct vmm_run_result r;
	int rc;
	double took;
};

static void
cancel_job_run(void *arg)
{
	struct cancel_job *j = arg;
	const char *const argv[] = { "sh", "-c", ": > \"$0\"; exec sleep 30", j->started, NULL };
	double t0 = vmm_mono_now();

	j->rc = spawn_run(argv, NULL, 60, 64, &j->r);
	j->took = vmm_mono_now() - t0;
}

static void
cancel_job_done(void *arg)
{
	(void)arg;
}

/* What a daemon's stop does: worker_cancel, then worker_free, which waits for the job. */
static void
test_cancel(void)
{
	struct ev_loop *loop = ev_loop_new();
	sigset_t all, old;
	struct cancel_job j = { .rc = 0 };

	snprintf(j.started, sizeof(j.started), "test_subproc.started.%ld", (long)getpid());
	unlink(j.started);

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	struct worker *w = worker_new(loop, "test");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	TAP_OK(w != NULL && worker_submit(w, cancel_job_run, cancel_job_done, &j) == 0,
	    "a 30 s command on a worker");
	/* cancelled while the command runs: wait until it has said so (10 s at most) */
	for (double until = vmm_mono_now() + 10; access(j.started, F_OK) != 0 && vmm_mono_now() < until; )
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	TAP_OK(access(j.started, F_OK) == 0, "the command runs");
	double t0 = vmm_mono_now();
	worker_cancel(w);
	worker_free(w);
	double took = vmm_mono_now() - t0;
	TAP_OK(j.rc < 0 && !j.r.timed_out && strstr(j.r.err, "killed, the daemon is stopping") != NULL,
	    "told to give up: -1, not a timeout, and said so (%s)", j.r.err);
	TAP_OK(took < 5 && j.took < 10, "the worker ended at once (%.2f s; the job %.2f s)", took, j.took);
	TAP_OK(worker_cancel_fd() == -1, "outside a worker there is nothing to poll");
	spawn_result_free(&j.r);
	unlink(j.started);
	ev_loop_free(loop);
}

int
main(void)
{
	test_output();
	test_exit_after_pipes();
	test_deadline();
	test_cancel();
	return tap_done();
}
