/* SPDX-License-Identifier: ISC */
/* The agent: one cycle is sensor -> policy -> guard -> endpoint -> log. */
#ifndef VMM_AGENT_H
#define VMM_AGENT_H

#include <stddef.h>
#include <stdio.h>

#include <vmmanage/module.h>

struct agent;
struct ev_loop;
struct setup;

/* Takes ownership of su. Opens the logs and the state, starts the workers and the cycle. */
struct agent *agent_new(struct ev_loop *loop, struct setup *su, const char *config_path, char *err,
    size_t errlen);
void agent_free(struct agent *a);

/* Ask for an action as `origin` ("policy", "cli"). 0 sent to the endpoint, 1 nothing to
 * do, -1 refused; reply says which and why. */
int agent_request(struct agent *a, enum vmm_action act, const char *origin, const char *reason,
    char *reply, size_t len);
/* `vmmanage resume`: the breaker is reset and the agent acts on its own again. */
void agent_resume(struct agent *a, char *reply, size_t len);
/* Re-read the config; the old one stays on any error. 0, or -1 with err. */
int agent_reload(struct agent *a, char *err, size_t errlen);
/* logrotate moved the files */
void agent_reopen_logs(struct agent *a);
/* `vmmanage status`: text, or one JSON object when json is 1. */
void agent_status(struct agent *a, FILE *out, int json);
const char *agent_control_socket(const struct agent *a);
const char *agent_pid_file(const struct agent *a);
/* For -t: the directories of state_dir, log_file, pid_file and control_socket, one line
 * each on out: ready, made at the start, or why not. 0, or -1 when one cannot be used
 * (what only this user may not do counts when it is root, as the daemon runs). */
int agent_check_dirs(const struct setup *su, FILE *out);

#endif
