/* SPDX-License-Identifier: ISC */
/* vmmanage: the daemon in each guest, and its own command-line client. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "core/conf.h"
#include "agent/control.h"
#include "agent/daemon.h"
#include "common/ev.h"
#include "common/log.h"
#include "core/setup.h"

#define DEFAULT_CONFIG VMM_SYSCONFDIR "/vmmanage/vmmanage.conf"

struct options {
	const char *config;
	const char *socket;
	int foreground, debug, check, dry_run;
	int nargs;
	char **args;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vmmanage [-dfnt] [-c file]           run the agent (-t: check the config and exit,\n"
	    "                                             -n: only recommend moves, mode = \"recommend\")\n"
	    "       vmmanage [-c file] [-s socket] status [--json] | reload | resume | ACTION\n"
	    "       vmmanage -V\n"
	    "ACTION: move, move_up, move_down, move_to_base, move_from_home, move_to_home\n");
}

static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->config = DEFAULT_CONFIG;
	/* '+': options end at the command, so that `status --json` reaches the daemon */
	while ((ch = getopt(argc, argv, "+c:dfhns:tV")) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'd': o->debug = 1; o->foreground = 1; break;
		case 'f': o->foreground = 1; break;
		case 'n': o->dry_run = 1; break;
		case 's': o->socket = optarg; break;
		case 't': o->check = 1; break;
		case 'V': printf("vmmanage %s\n", PACKAGE_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	o->nargs = argc - optind;
	o->args = argv + optind;
}

static void
warn_stderr(const char *msg)
{
	fprintf(stderr, "vmmanage: warning: %s\n", msg);
}

static int
check_config(const struct options *o)
{
	char err[2048];
	struct setup *su = setup_load(o->config, warn_stderr, err, sizeof(err));

	if (su == NULL) {
		fprintf(stderr, "vmmanage: %s\n", err);
		return 1;
	}
	printf("%s: configuration OK (policy %s, sensor %s, endpoint %s, %zu hosts%s%s)\n",
	    o->config, su->set.policy, su->set.sensor, su->set.endpoint, su->set.nhosts,
	    su->set.base ? ", base " : "", su->set.base ? su->set.base : "");
	/* a source install must leave an agent that can start: say what it would find */
	int rc = agent_check_dirs(su, stdout) < 0 ? 1 : 0;
	setup_free(su);
	return rc;
}

/* The client needs only control_socket from the config, so it works even when another
 * part of the file is broken (and `vmmanage reload` can report that). */
static int
client(const struct options *o)
{
	const char *path = o->socket;
	struct vmm_conf *c = NULL;
	char err[1024], line[256];

	if (path == NULL) {
		/* a file broken elsewhere (being edited) must not lock the administrator out of
		 * the running daemon: try the default socket, and say so */
		c = conf_read(o->config, err, sizeof(err));
		if (c == NULL || conf_string(c, "control_socket", &path, err, sizeof(err)) < 0)
			fprintf(stderr, "vmmanage: warning: %s; trying the default socket (or use -s SOCKET)\n", err);
		if (path == NULL)
			path = VMM_RUNSTATEDIR "/vmmanage/vmmanage.sock";
	}
	snprintf(line, sizeof(line), "%s", o->args[0]);
	for (int i = 1; i < o->nargs; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s", o->args[i]);
	int rc = control_request(path, line, 30, stdout, stderr, err, sizeof(err));
	if (rc == 2)
		fprintf(stderr, "vmmanage: %s\n", err);
	conf_free(c);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o;

	parse_options(argc, argv, &o);
	if (o.dry_run)
		setup_force_mode(VMM_MODE_RECOMMEND);
	if (o.nargs > 0 && !o.check)
		return client(&o);
	if (o.check)
		return check_config(&o);
	return daemon_run(o.config, o.foreground, o.debug);
}
