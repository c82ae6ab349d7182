/* SPDX-License-Identifier: ISC */
/* Sensor `load`: the one-minute load average (/proc/loadavg). */
#include "config.h"

#include <stdlib.h>

#include <vmmanage/sensor.h>

#include "procstat.h"

struct load_sensor {
	const char *path;
};

static const char *const load_keys[] = { NULL };

static int
load_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state, char *err,
    size_t errlen)
{
	struct load_sensor *s = calloc(1, sizeof(*s));

	(void)host;
	(void)conf;
	if (s == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	s->path = getenv("VMM_PROC_LOADAVG") ? getenv("VMM_PROC_LOADAVG") : "/proc/loadavg";
	*state = s;
	return 0;
}

static void
load_sample(void *state, struct vmm_sensor_reading *out)
{
	struct load_sensor *s = state;
	char buf[256];
	double one, five, fifteen;

	if (procstat_read(s->path, buf, sizeof(buf), out->why, sizeof(out->why)) < 0)
		return;
	if (sscanf(buf, "%lf %lf %lf", &one, &five, &fifteen) != 3 || one < 0) {
		snprintf(out->why, sizeof(out->why), "load: %s: not a load average line", s->path);
		return;
	}
	out->known = 1;
	out->value = one;
	out->nextra = 2;
	snprintf(out->extra[0].key, sizeof(out->extra[0].key), "load5");
	out->extra[0].value = five;
	snprintf(out->extra[1].key, sizeof(out->extra[1].key), "load15");
	out->extra[1].value = fifteen;
}

static void
load_fini(void *state)
{
	free(state);
}

static const struct vmm_sensor_ops load_ops = {
	.abi = VMM_SENSOR_ABI,
	.size = sizeof(struct vmm_sensor_ops),
	.name = "load",
	.summary = "one-minute load average (/proc/loadavg)",
	.keys = load_keys,
	.direction = VMM_HIGHER_IS_WORSE,
	.label = "load",
	.init = load_init,
	.sample = load_sample,
	.fini = load_fini,
};

const struct vmm_sensor_ops *
vmm_sensor_entry(void)
{
	return &load_ops;
}
