/* SPDX-License-Identifier: ISC */
/* Sensor `steal`: the share of CPU time the hypervisor gave to others (steal in
 * /proc/stat), in percent over the last interval: host contention seen from the guest. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>

#include <vmmanage/sensor.h>

#include "procstat.h"

struct steal_sensor {
	const char *path;
	int have_base;
	uint64_t steal, total;
};

static const char *const steal_keys[] = { NULL };

static int
steal_init(const struct vmm_host *host, const struct vmm_conf *conf, void **state, char *err,
    size_t errlen)
{
	struct steal_sensor *s = calloc(1, sizeof(*s));

	(void)host;
	(void)conf;
	if (s == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	/* tests point it at a file of their own */
	s->path = getenv("VMM_PROC_STAT") ? getenv("VMM_PROC_STAT") : "/proc/stat";
	*state = s;
	return 0;
}

/* The aggregate "cpu" line: user nice system idle iowait irq softirq steal. */
static int
steal_parse(const char *buf, uint64_t *steal, uint64_t *total)
{
	uint64_t f[8] = { 0 };
	int n = sscanf(buf, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
	    " %" SCNu64 " %" SCNu64 " %" SCNu64, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]);

	if (n < 8)
		return -1;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += f[i];
	*steal = f[7];
	return 0;
}

static void
steal_sample(void *state, struct vmm_sensor_reading *out)
{
	struct steal_sensor *s = state;
	char buf[4096];
	uint64_t steal, total;

	if (procstat_read(s->path, buf, sizeof(buf), out->why, sizeof(out->why)) < 0)
		return;
	if (steal_parse(buf, &steal, &total) < 0) {
		snprintf(out->why, sizeof(out->why), "steal: %s: no cpu line with a steal field", s->path);
		return;
	}
	if (!s->have_base || total < s->total || steal < s->steal) {
		snprintf(out->why, sizeof(out->why), "steal: first reading, a baseline");
	} else if (total == s->total) {
		snprintf(out->why, sizeof(out->why), "steal: no CPU time passed since the last reading");
	} else {
		out->known = 1;
		out->value = 100.0 * (double)(steal - s->steal) / (double)(total - s->total);
	}
	s->have_base = 1;
	s->steal = steal;
	s->total = total;
}

static void
steal_fini(void *state)
{
	free(state);
}

static const struct vmm_sensor_ops steal_ops = {
	.abi = VMM_SENSOR_ABI,
	.size = sizeof(struct vmm_sensor_ops),
	.name = "steal",
	.summary = "CPU steal time in percent over the interval (/proc/stat)",
	.keys = steal_keys,
	.direction = VMM_HIGHER_IS_WORSE,
	.label = "steal",
	.init = steal_init,
	.sample = steal_sample,
	.fini = steal_fini,
};

const struct vmm_sensor_ops *
vmm_sensor_entry(void)
{
	return &steal_ops;
}
