/* SPDX-License-Identifier: ISC */
/* Sensor `exec`: runs sensor_command without a shell; the first number on its stdout is
 * the sample. A non-zero exit, a timeout or no number is unknown, never zero. */
#include "config.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmmanage/sensor.h>

struct exec_sensor {
	const struct vmm_host *host;
	const char **argv;
	double timeout;
};

static const char *const exec_keys[] = { "sensor_command", "sensor_timeout", "daemon_interval", NULL };

static int
exec_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state, char *err,
    size_t errlen)
{
	struct exec_sensor *s = calloc(1, sizeof(*s));
	size_t n = 0;

	if (s == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	s->host = host;
	/* the core's default: half the interval, at most 30 s */
	double interval = 60;
	host->conf_number(conf, "daemon_interval", &interval, err, errlen);
	s->timeout = interval / 2 < 30 ? interval / 2 : 30;
	int rc = host->conf_strings(conf, "sensor_command", &s->argv, &n, err, errlen);
	if (rc == 0 || (rc > 0 && n == 0)) {
		snprintf(err, errlen, "%s: sensor_command is not set: add e.g. sensor_command = [\"/usr/local/bin/probe\", \"--json\"]",
		    host->conf_where(conf, "sensor_command", (char[512]){ 0 }, 512));
		rc = -1;
	}
	if (rc < 0 || host->conf_number(conf, "sensor_timeout", &s->timeout, err, errlen) < 0) {
		free(s->argv);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

/* The first decimal number in text; 0 when there is none. */
static int
exec_first_number(const char *text, double *out)
{
	for (const char *p = text; *p; p++) {
		int starts = isdigit((unsigned char)*p) ||
		    ((*p == '-' || *p == '+' || *p == '.') && isdigit((unsigned char)p[1])) ||
		    ((*p == '-' || *p == '+') && p[1] == '.' && isdigit((unsigned char)p[2]));
		if (!starts)
			continue;
		char *end;
		double v = strtod(p, &end);
		if (end != p && isfinite(v)) {
			*out = v;
			return 1;
		}
	}
	return 0;
}

static void
exec_sample(void *state, struct vmm_sensor_reading *out)
{
	struct exec_sensor *s = state;
	struct vmm_run_result res;

	if (s->host->run(s->argv, NULL, s->timeout, 4096, &res) < 0)
		snprintf(out->why, sizeof(out->why), "exec: %s", res.err);
	else if (res.status != 0)
		snprintf(out->why, sizeof(out->why), "exec: %s exited with status %d%s%.200s",
		    s->argv[0], res.status, res.err[0] ? ": " : "", res.err);
	else if (!exec_first_number(res.out, &out->value))
		snprintf(out->why, sizeof(out->why), "exec: %s printed no number", s->argv[0]);
	else
		out->known = 1;
	s->host->run_free(&res);
}

static void
exec_fini(void *state)
{
	struct exec_sensor *s = state;

	free(s->argv);
	free(s);
}

static const struct vmm_sensor_ops exec_ops = {
	.abi = VMM_SENSOR_ABI,
	.size = sizeof(struct vmm_sensor_ops),
	.name = "exec",
	.summary = "the first number printed by sensor_command",
	.keys = exec_keys,
	.direction = VMM_HIGHER_IS_WORSE,
	.label = "value",
	.init = exec_init,
	.sample = exec_sample,
	.fini = exec_fini,
};

const struct vmm_sensor_ops *
vmm_sensor_entry(void)
{
	return &exec_ops;
}
