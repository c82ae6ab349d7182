/* SPDX-License-Identifier: ISC */
/* Everything one vmmanage.conf produces: the core settings, the three modules loaded and
 * started. `vmmanage -t` builds one and throws it away; SIGHUP builds one and swaps it in
 * only if it is whole. */
#ifndef VMM_SETUP_H
#define VMM_SETUP_H

#include <stdint.h>

#include "core/damping.h"
#include "core/host.h"
#include "core/quiet.h"
#include "core/targets.h"

struct vmm_conf;

/* alert_command and when it is called (vmmanage.conf(5), Alerts). */
struct alert_conf {
	const char **command;         /* argv; NULL: no alerts */
	size_t ncommand;
	int64_t failed_moves;         /* failed or unconfirmed outcomes in a row */
	int64_t unknown_cycles;       /* unknown samples in a row */
	int64_t spool_messages;       /* unacknowledged messages in the spool */
	double timeout;               /* seconds the command may run */
};

struct settings {
	const char *policy, *sensor, *endpoint;
	const char *policy_dir, *module_dir;
	double interval, sensor_timeout, endpoint_timeout, cooldown;
	int64_t max_moves_per_hour;
	int target_choice;    /* enum target_choice: 0 learned, 1 round_robin */
	double host_memory;   /* seconds: how long what was learned of a host counts */
	double retry_backoff, retry_backoff_max; /* after a failed move, doubling */
	double locate_interval; /* seconds between asking the endpoint where the VM is; 0 never */
	struct target_rules targets; /* the fleet rules of the target choice */
	struct damping_conf damping;
	struct hold_conf hold;  /* quiet windows and splay */
	int64_t efficacy_window; /* samples before and after a move */
	double anticipate;      /* seconds the policy looks ahead on the indicator's line; 0: off */
	int dry_run;            /* vmmanage -n: mode recommend, whatever the file says */
	enum vmm_direction direction;
	const char **hosts;   /* the array, NULL-terminated */
	size_t nhosts;
	const char **home, **away;
	size_t nhome, naway;
	const char *base, *location, *home_broadcast;
	const char *state_dir, *log_file, *json_log_file, *pid_file, *control_socket;
	const char *metrics_file;       /* NULL: no node_exporter textfile */
	struct alert_conf alert;
	const char *hostname;
	const char *collector;          /* NULL: no central log; else collectors[0] */
	const char **collectors;        /* tried in order, NULL-terminated */
	size_t ncollectors;
	double collector_failback;      /* seconds on a later one before trying the first again */
	int collector_syslog;           /* collector_protocol = "syslog" */
	const char *collector_key_file;
	int64_t spool_max_bytes;
	char *legacy_hosts_text; /* min_range..max_range turned into names */
};

struct instance {
	struct module *mod;
	void *state;
	int started;       /* init succeeded: fini is owed */
	struct vmm_conf *conf; /* a reference: the strings it was handed live there */
	char *fingerprint; /* of the module's keys, to keep an instance across reloads */
};

struct setup {
	struct vmm_conf *conf;
	struct settings set;
	struct instance policy, sensor, endpoint;
};

/* Build a whole setup from a file. NULL with err (file:line, how to mend) on failure;
 * warnings (keys read by parts not in use, policy inferred) go to warn. */
struct setup *setup_load(const char *path, void (*warn)(const char *msg), char *err, size_t errlen);
/* The same, but only the policy is started (the simulator): the sensor and endpoint
 * modules are loaded to know their keys and the direction, never initialised. */
struct setup *setup_load_policy(const char *path, void (*warn)(const char *msg), char *err,
    size_t errlen);
/* Take over from `old` the instances whose module and settings did not change (the MySQL
 * sensor keeps its connection and baseline), freeing the new ones. */
void setup_adopt(struct setup *neu, struct setup *old);
/* Every setup this process loads gets this mode (vmmanage -n: recommend). */
void setup_force_mode(enum vmm_mode m);
/* module_dir for files that do not set it (vmmanage-sim --module-dir). */
void setup_default_module_dir(const char *dir);
void setup_free(struct setup *s);

static inline const struct vmm_policy_ops *setup_policy(const struct setup *s) { return s->policy.mod->ops; }
static inline const struct vmm_sensor_ops *setup_sensor(const struct setup *s) { return s->sensor.mod->ops; }
static inline const struct vmm_endpoint_ops *setup_endpoint(const struct setup *s) { return s->endpoint.mod->ops; }

#endif
