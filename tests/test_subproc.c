/* SPDX-License-Identifier: ISC */
/* spawn_run(), which runs every command sensor, endpoint and alert: its output, its exit
 * status when the child closes its pipes before it exits (the exit is waited for, not the
 * pipes), and the deadline for one that never exits. */
#include "config.h"

#include <string.h>

#include "common/clock.h"
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

int
main(void)
{
	test_output();
	test_exit_after_pipes();
	test_deadline();
	return tap_done();
}
