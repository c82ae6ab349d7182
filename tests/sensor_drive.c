/* SPDX-License-Identifier: ISC */
/* Drives one sensor module the way the daemon does (real loader, real config parser), a
 * command per stdin line, so the shell tests can act between samples:
 *   sample             -> "KNOWN<TAB>VALUE<TAB>MS<TAB>EXTRAS<TAB>WHY"
 *   process [BUDGET]   -> "RC<TAB>ERR"  (the sensor's process call)
 * sensor_drive -t CONF SENSOR only runs init and prints its error (exit 2 when refused). */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmmanage/sensor.h>

#include "core/conf.h"
#include "core/host.h"
#include "common/log.h"


static double
drive_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
drive_sample(const struct vmm_sensor_ops *ops, void *state)
{
	struct vmm_sensor_reading r;
	double t0 = drive_now();

	memset(&r, 0, sizeof(r));
	ops->sample(state, &r);
	printf("%d\t%.17g\t%.0f\t", r.known, r.known ? r.value : 0.0, (drive_now() - t0) * 1000);
	for (size_t i = 0; i < r.nextra && i < VMM_SENSOR_MAX_EXTRA; i++)
		printf("%s%s=%.17g", i ? "," : "", r.extra[i].key, r.extra[i].value);
	printf("\t%s\n", r.why);
}

static void
drive_process(const struct vmm_sensor_ops *ops, void *state, const char *arg)
{
	char err[512] = "";

	if (ops->process == NULL) {
		printf("-1\tthis sensor has no process call\n");
		return;
	}
	int rc = ops->process(state, arg ? atof(arg) : 0, err, sizeof(err));
	printf("%d\t%s\n", rc, err);
}

static int
drive_loop(const struct vmm_sensor_ops *ops, void *state)
{
	char line[256];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "sample") == 0)
			drive_sample(ops, state);
		else if (strncmp(line, "process", 7) == 0)
			drive_process(ops, state, line[7] ? line + 8 : NULL);
		else if (strcmp(line, "quit") == 0)
			break;
		else
			printf("?\tunknown command %s\n", line);
		fflush(stdout);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = getenv("VMM_MODULE_DIR");
	char err[1024];
	int check = argc > 1 && strcmp(argv[1], "-t") == 0;
	void *state = NULL;
	struct module *m = NULL;
	int rc = 2;

	if (argc != 3 + check) {
		fprintf(stderr, "usage: sensor_drive [-t] CONF SENSOR\n");
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	log_init("sensor_drive", 1, 1);
	struct vmm_conf *conf = conf_read(argv[1 + check], err, sizeof(err));
	if (conf == NULL) {
		printf("conf\t%s\n", err);
		return 2;
	}
	m = module_load(MODULE_SENSOR, dir ? dir : VMM_TEST_MODULE_DIR "/sensors", argv[2 + check],
	    err, sizeof(err));
	if (m == NULL) {
		printf("load\t%s\n", err);
		goto out;
	}
	const struct vmm_sensor_ops *ops = m->ops;
	if (ops->init(&vmm_host_api, conf, &state, err, sizeof(err)) < 0) {
		printf("init\t%s\n", err);
		goto out;
	}
	printf("ready\t%s\t%s\n", ops->name, ops->label);
	fflush(stdout);
	rc = check ? 0 : drive_loop(ops, state);
	ops->fini(state);
out:
	module_unload(m);
	conf_free(conf);
	return rc;
}
