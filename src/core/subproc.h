/* SPDX-License-Identifier: ISC */
/* Run a program without a shell, with a deadline, capturing its output. */
#ifndef VMM_SUBPROC_H
#define VMM_SUBPROC_H

#include <vmmanage/module.h>

/* argv[0] is searched in PATH. Returns 0 when the program ran to its end (res->status is
 * its exit status), -1 when it could not start or was killed at the deadline (res->err
 * and res->timed_out say which). res->out is always allocated (maybe empty). */
int spawn_run(const char *const argv[], const char *stdin_data, double timeout_s,
    size_t out_cap, struct vmm_run_result *res);
void spawn_result_free(struct vmm_run_result *res);
/* An alert_command call (common/alertq.h's run function): argv to its end or timeout_s,
 * its output read and dropped. 0 when it exited 0, else -1 with err. */
int spawn_alert(const char *const argv[], double timeout_s, char *err, size_t errlen);

#endif
