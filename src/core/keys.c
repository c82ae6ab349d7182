/* SPDX-License-Identifier: ISC */
/* The core's own config keys, always in use. A module declares its keys in its ops
 * (`keys`); conf_check_keys puts the two together, so no key is listed twice
 * (tests/conf_keys_documented.sh checks that each is in vmmanage.conf(5)). */
#include "config.h"

#include <stddef.h>

#include "core/conf.h"

const char *const conf_core_keys[] = {
	"policy",
	"policy_dir",
	"module_dir",
	"daemon_interval",
	"sensor",
	"sensor_direction",
	"sensor_timeout",
	"endpoint",
	"endpoint_timeout",
	"hosts",
	"base",
	"location",
	"min_range",
	"max_range",
	"home",
	"away",
	"home_broadcast",
	"cooldown",
	"max_moves_per_hour",
	"state_dir",
	"log_file",
	"json_log_file",
	"metrics_file",
	"alert_command",
	"alert_failed_moves",
	"alert_unknown_cycles",
	"alert_spool_messages",
	"alert_timeout",
	"pid_file",
	"control_socket",
	"hostname",
	"collector",
	"collector_protocol",
	"collector_key_file",
	"collector_failback",
	"spool_max_bytes",
	"target_choice",
	"host_memory",
	"retry_backoff",
	"retry_backoff_max",
	"locate_interval",
	"mode",
	"warmup",
	"min_stay",
	"min_stay_override",
	"breaker_moves",
	"breaker_window",
	"breaker_hold",
	"move_margin",
	"efficacy_window",
	"quiet",
	"splay",
	NULL
};
