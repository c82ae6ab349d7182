/* Every key vmmanage knows and which part reads it. The core reads its own; a module
 * declares its keys in its ops, and they must be listed here too, so that a key of a
 * module that is not configured warns instead of failing (tests/conf_keys_documented.sh
 * checks that each key here is in vmmanage.conf(5)). */
#include "config.h"

#include <stddef.h>

#include "conf.h"

const struct conf_key_doc conf_known_keys[] = {
	/* the core */
	{ "policy", "the core" },
	{ "policy_dir", "the core" },
	{ "module_dir", "the core" },
	{ "daemon_interval", "the core" },
	{ "sensor", "the core" },
	{ "sensor_direction", "the core" },
	{ "sensor_timeout", "the core" },
	{ "endpoint", "the core" },
	{ "endpoint_timeout", "the core" },
	{ "hosts", "the core" },
	{ "base", "the core" },
	{ "location", "the core" },
	{ "min_range", "the core" },
	{ "max_range", "the core" },
	{ "home", "the core" },
	{ "away", "the core" },
	{ "home_broadcast", "the core" },
	{ "cooldown", "the core" },
	{ "max_moves_per_hour", "the core" },
	{ "state_dir", "the core" },
	{ "log_file", "the core" },
	{ "json_log_file", "the core" },
	{ "pid_file", "the core" },
	{ "control_socket", "the core" },
	{ "hostname", "the core" },
	{ "collector", "the core" },
	{ "collector_protocol", "the core" },
	{ "collector_key_file", "the core" },
	{ "spool_max_bytes", "the core" },
	/* policies */
	{ "threshold", "the threshold, base, schedule and site policies" },
	{ "tarry", "the threshold, base and schedule policies" },
	{ "lowthreshold", "the base and schedule policies" },
	{ "lowtarry", "the base and schedule policies" },
	{ "workstart", "the schedule policy" },
	{ "workstop", "the schedule policy" },
	{ "work_hours", "the schedule policy" },
	{ "work_days", "the schedule policy" },
	{ "rest_monitoring", "the schedule policy" },
	{ "bigjobs", "the site policy and the queue sensor" },
	/* sensors */
	{ "sensor_command", "the exec sensor" },
	{ "mysql_host", "the mysql_slow sensor" },
	{ "mysql_port", "the mysql_slow sensor" },
	{ "mysql_socket", "the mysql_slow sensor" },
	{ "mysql_user", "the mysql_slow sensor" },
	{ "mysql_option_file", "the mysql_slow sensor" },
	{ "mysql_timeout", "the mysql_slow sensor" },
	{ "apache_status_url", "the apache_idle sensor" },
	{ "http_timeout", "the apache_idle and queue sensors" },
	{ "http_max_bytes", "the apache_idle and queue sensors" },
	{ "tls_verify", "the apache_idle and queue sensors" },
	{ "queue_url", "the queue sensor" },
	{ "queue_claim_url", "the queue sensor" },
	{ "job_command", "the queue sensor" },
	{ "job_timeout", "the queue sensor" },
	/* endpoints */
	{ "endpoint_command", "the exec endpoint" },
	{ "mln_program", "the mln endpoint" },
	{ "mln_server", "the mln endpoint" },
	{ "mln_template", "the mln endpoint" },
	{ "mln_project_dir", "the mln endpoint" },
	{ "libvirt_domain", "the libvirt endpoint" },
	{ "libvirt_uri_template", "the libvirt endpoint" },
	{ "libvirt_uris", "the libvirt endpoint" },
	{ "libvirt_migrate_uri_template", "the libvirt endpoint" },
	{ "libvirt_bandwidth", "the libvirt endpoint" },
	{ "libvirt_max_downtime", "the libvirt endpoint" },
	{ "libvirt_auto_converge", "the libvirt endpoint" },
	{ "libvirt_stall_timeout", "the libvirt endpoint" },
	{ "libvirt_persist", "the libvirt endpoint" },
	{ "libvirt_undefine_source", "the libvirt endpoint" },
	{ "libvirt_cross_site", "the libvirt endpoint" },
	{ "libvirt_keepalive", "the libvirt endpoint" },
	{ NULL, NULL }
};
