/* SPDX-License-Identifier: ISC */
/* What every vmmanage module sees of the daemon: actions, samples, and the host API. */
#ifndef VMMANAGE_MODULE_H
#define VMMANAGE_MODULE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The host API's own version; a module built against a newer one is refused. */
#define VMM_HOST_ABI 1

/* Actions a policy (or an administrator) can ask for; thesis Appendix A.2. */
enum vmm_action {
	VMM_ACT_NONE = 0,
	VMM_ACT_MOVE,           /* next host of the array, wrapping, never the base */
	VMM_ACT_MOVE_UP,        /* next host, no wrap */
	VMM_ACT_MOVE_DOWN,      /* previous host, no wrap */
	VMM_ACT_MOVE_TO_BASE,
	VMM_ACT_MOVE_FROM_HOME, /* to the away site */
	VMM_ACT_MOVE_TO_HOME,
	VMM_ACT__COUNT
};

/* Which way an indicator gets worse: slow queries up, idle workers down. */
enum vmm_direction {
	VMM_HIGHER_IS_WORSE = 0,
	VMM_LOWER_IS_WORSE = 1
};

/* One reading of the indicator. Unknown is not zero: known == 0 carries no value. */
struct vmm_sample {
	int known;
	double value;
	int64_t time; /* wall-clock epoch seconds when taken */
};

/* syslog priorities, so modules need not include <syslog.h> */
enum vmm_log_prio { VMM_LOG_ERR = 3, VMM_LOG_WARNING = 4, VMM_LOG_INFO = 6, VMM_LOG_DEBUG = 7 };

struct vmm_conf; /* the parsed vmmanage.conf; opaque to modules */

/* A child run without a shell (see vmm_host.run). */
struct vmm_run_result {
	int status;       /* exit status, or -1 when killed or not started */
	int timed_out;    /* killed at the deadline */
	char *out;        /* stdout, NUL-terminated, capped; free with vmm_host.run_free */
	size_t out_len;
	char err[256];    /* first part of stderr, or why it could not start */
};

/*
 * Services the daemon lends to modules, so that modules never link against it.
 * Config lookups return 1 when the key is set, 0 when it is absent (out untouched),
 * -1 when it has the wrong type or range (err says which, with file and line).
 */
struct vmm_host {
	uint32_t abi;
	uint32_t size;
	void (*log)(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	int (*conf_number)(const struct vmm_conf *, const char *key, double *out,
	    char *err, size_t errlen);
	int (*conf_int)(const struct vmm_conf *, const char *key, int64_t min, int64_t max,
	    int64_t *out, char *err, size_t errlen);
	int (*conf_bool)(const struct vmm_conf *, const char *key, int *out,
	    char *err, size_t errlen);
	/* the string stays valid as long as the conf */
	int (*conf_string)(const struct vmm_conf *, const char *key, const char **out,
	    char *err, size_t errlen);
	/* an array or list of strings, or one string; *out is NULL-terminated, free with free() */
	int (*conf_strings)(const struct vmm_conf *, const char *key, const char ***out,
	    size_t *n, char *err, size_t errlen);
	/* "file:line" of a key, for messages; just the file name when the key is absent */
	const char *(*conf_where)(const struct vmm_conf *, const char *key, char *buf, size_t len);
	/* run argv (argv[0] searched in PATH) without a shell; stdin_data may be NULL */
	int (*run)(const char *const argv[], const char *stdin_data, double timeout_s,
	    size_t out_cap, struct vmm_run_result *res);
	void (*run_free)(struct vmm_run_result *res);
	/* host name this agent reports as (config `hostname` or the system's) */
	const char *(*hostname)(void);
	/* VMM_POLICY_MINOR of the policy input the daemon fills; appended after hostname,
	 * so a module that reads a newer input checks size first (see vmmanage-policy(7)) */
	uint32_t policy_minor;
};

/* The action's name as in the config, the CLI and the logs. */
static inline const char *vmm_action_name(enum vmm_action a)
{
	static const char *const names[VMM_ACT__COUNT] = {
		"none", "move", "move_up", "move_down", "move_to_base",
		"move_from_home", "move_to_home",
	};
	return (unsigned)a < VMM_ACT__COUNT ? names[a] : "invalid";
}

/* The action named by the n bytes at s; VMM_ACT_NONE when none is. */
static inline enum vmm_action vmm_action_named(const char *s, size_t n)
{
	for (int a = VMM_ACT_MOVE; a < VMM_ACT__COUNT; a++)
		if (strlen(vmm_action_name((enum vmm_action)a)) == n &&
		    memcmp(vmm_action_name((enum vmm_action)a), s, n) == 0)
			return (enum vmm_action)a;
	return VMM_ACT_NONE;
}

#endif
