/* SPDX-License-Identifier: ISC */
/* The steal and load sensors on /proc files the test writes (VMM_PROC_STAT and
 * VMM_PROC_LOADAVG point the modules at them): first steal reading is a baseline, then
 * the share of steal in the interval; a missing or garbled file is unknown, not 0. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/conf.h"
#include "core/host.h"
#include "tap.h"

static char dir[] = "/tmp/vmm-proc-XXXXXX";

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static struct vmm_sensor_reading
sample(const struct vmm_sensor_ops *ops, void *state)
{
	struct vmm_sensor_reading r = { 0 };

	ops->sample(state, &r);
	return r;
}

static void *
start(struct module **m, const char *name, const struct vmm_sensor_ops **ops)
{
	char err[512];
	struct vmm_conf *c = conf_read_string("", "test.conf", err, sizeof(err));
	void *state = NULL;

	*m = module_load(MODULE_SENSOR, VMM_TEST_MODULE_DIR "/sensors", name, err, sizeof(err));
	TAP_OK(*m != NULL, "load %s (%s)", name, *m ? "" : err);
	*ops = (*m)->ops;
	TAP_OK((*ops)->init(&vmm_host_api, c, &state, err, sizeof(err)) == 0, "init %s", name);
	conf_free(c);
	return state;
}

static void
test_steal(void)
{
	struct module *m;
	const struct vmm_sensor_ops *ops;
	char path[256];

	snprintf(path, sizeof(path), "%s/stat", dir);
	setenv("VMM_PROC_STAT", path, 1);
	put("stat", "cpu  100 0 100 700 0 0 0 100 0 0\ncpu0 1 2 3\n");
	void *st = start(&m, "steal", &ops);
	struct vmm_sensor_reading r = sample(ops, st);
	TAP_OK(!r.known, "the first reading is a baseline, unknown (%s)", r.why);
	put("stat", "cpu  150 0 150 750 0 0 0 150 0 0\n");
	r = sample(ops, st);
	TAP_OK(r.known && r.value > 24.99 && r.value < 25.01, "50 of 200 ticks stolen: 25%% (%g)", r.value);
	r = sample(ops, st);
	TAP_OK(!r.known, "no time passed: unknown, not 0 (%s)", r.why);
	put("stat", "intr 1 2 3\n");
	r = sample(ops, st);
	TAP_OK(!r.known, "no cpu line: unknown (%s)", r.why);
	unlink(path);
	r = sample(ops, st);
	TAP_OK(!r.known, "no file: unknown (%s)", r.why);
	ops->fini(st);
	module_unload(m);
}

static void
test_load(void)
{
	struct module *m;
	const struct vmm_sensor_ops *ops;
	char path[256];

	snprintf(path, sizeof(path), "%s/loadavg", dir);
	setenv("VMM_PROC_LOADAVG", path, 1);
	put("loadavg", "1.50 0.75 0.25 2/300 4242\n");
	void *st = start(&m, "load", &ops);
	struct vmm_sensor_reading r = sample(ops, st);
	TAP_OK(r.known && r.value == 1.5, "the one-minute load (%g)", r.value);
	TAP_OK(r.nextra == 2 && r.extra[1].value == 0.25, "five and fifteen as extras");
	put("loadavg", "garbage\n");
	r = sample(ops, st);
	TAP_OK(!r.known, "garbage: unknown (%s)", r.why);
	ops->fini(st);
	module_unload(m);
	unsetenv("VMM_PROC_LOADAVG");
	st = start(&m, "load", &ops);
	r = sample(ops, st);
	TAP_OK(r.known && r.value >= 0, "the real /proc/loadavg reads (%g)", r.value);
	ops->fini(st);
	module_unload(m);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	test_steal();
	test_load();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "%s/stat", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/loadavg", dir);
	unlink(cmd);
	rmdir(dir);
	return tap_done();
}
