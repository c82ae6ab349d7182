/* SPDX-License-Identifier: ISC */
/* vmmanage-broker: options, the CLI (status, drain, undrain), and the daemon's life:
 * settings and VMs, sockets as root, detach, pid file, the privilege drop, the loop. */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "common/daemonize.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/metrics_http.h"

#define BROKER_DEFAULT_CONF VMM_SYSCONFDIR "/vmmanage/broker.conf"

static volatile sig_atomic_t broker_quit;

static void
broker_on_signal(int sig)
{
	(void)sig;
	broker_quit = 1;
}

static double
broker_check_quit(void *arg)
{
	if (broker_quit)
		ev_stop(arg);
	return 0.1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: vmmanage-broker [-dft] [-c file]\n"
	    "       vmmanage-broker [-c file] status [--json] | drain HOST [--deadline DURATION] |\n"
	    "       undrain HOST\n");
	exit(2);
}

/* initgroups, not setgroups(0): a libvirt group lets the user open qemu:///system. */
static void
broker_drop_privileges(struct broker *b)
{
	struct passwd *pw;

	if (geteuid() != 0 || b->user == NULL)
		return;
	if ((pw = getpwnam(b->user)) == NULL)
		fatalx("user \"%s\" does not exist (set user in %s)", b->user, b->conf_path);
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		fatal("cannot become user %s", b->user);
	if (pw->pw_uid != 0 && setuid(0) == 0)
		fatalx("could regain root after dropping privileges");
}

static int
broker_cli(const char *conf, int argc, char **argv)
{
	struct broker b = { .control_fd = -1, .listen_fd = -1, .metrics_fd = -1 };
	char err[1024], line[512];
	int rc;

	if (broker_config_settings(&b, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmmanage-broker: %s\n", err);
		broker_config_free(&b);
		return 1;
	}
	if (strcmp(argv[0], "status") == 0 && argc == 1)
		snprintf(line, sizeof(line), "status");
	else if (strcmp(argv[0], "status") == 0 && argc == 2 && strcmp(argv[1], "--json") == 0)
		snprintf(line, sizeof(line), "status --json");
	else if ((strcmp(argv[0], "drain") == 0 || strcmp(argv[0], "undrain") == 0) && argc == 2 &&
	    wire_host_valid(argv[1], strlen(argv[1])))
		snprintf(line, sizeof(line), "%s %s", argv[0], argv[1]);
	else if (strcmp(argv[0], "drain") == 0 && argc == 4 && strcmp(argv[2], "--deadline") == 0 &&
	    wire_host_valid(argv[1], strlen(argv[1])) && strlen(argv[3]) < 32)
		snprintf(line, sizeof(line), "drain %s --deadline %s", argv[1], argv[3]);
	else
		usage();
	rc = broker_control_client(b.control_socket, line);
	broker_config_free(&b);
	return rc;
}

static void
broker_run(struct broker *b, int foreground, int debug)
{
	struct sigaction sa = { .sa_handler = broker_on_signal };
	char err[1024];
	int ready = -1;

	if (broker_listen(b, err, sizeof(err)) < 0)
		fatalx("%s", err);
	/* bound as root (a port below 1024), served only after the privilege drop */
	if (b->metrics_listen != NULL &&
	    (b->metrics_fd = metrics_http_bind(b->metrics_listen, err, sizeof(err))) < 0)
		fatalx("%s", err);
	if ((b->loop = ev_loop_new()) == NULL || broker_control_open(b, err, sizeof(err)) < 0)
		fatalx("%s", b->loop ? err : "out of memory");
	if (!foreground && (ready = daemonize(b->pid_file)) < 0)
		fatal("cannot fork");
	/* until here errors went to stderr; now to syslog, and to the waiting parent */
	if (!foreground)
		log_init("vmmanage-broker", 0, debug);
	log_set_ready_fd(ready);
	if (!foreground && pidfile_create(b->pid_file, err, sizeof(err)) < 0)
		fatalx("%s", err);
	broker_drop_privileges(b);
	if (broker_events_start(b, err, sizeof(err)) < 0)
		fatalx("collector: %s", err);
	if (broker_moves_open(b, err, sizeof(err)) < 0)
		fatalx("%s", err);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	broker_vm_init(b);
	broker_vm_recover(b);
	broker_server_start(b);
	if (broker_metrics_start(b, err, sizeof(err)) < 0)
		fatalx("%s", err);
	ev_timer_add(b->loop, 0.1, broker_check_quit, b->loop);
	log_info("broker: listening on %s:%s for %zu VM%s, endpoint %s", b->listen_host,
	    b->listen_port, b->nvms, b->nvms == 1 ? "" : "s", b->endpoint);
	daemonize_ready(ready);
	log_set_ready_fd(-1);
	if (ev_run(b->loop) < 0)
		log_warn("broker: event loop");
	log_info("broker: exiting");
	metrics_http_stop(b->metrics);
	broker_drain_stop(b);
	broker_vm_stop(b);
	broker_moves_close(b);
	broker_server_stop(b);
	broker_events_stop();
	broker_control_close(b);
	if (!foreground)
		unlink(b->pid_file);
}

int
main(int argc, char **argv)
{
	const char *conf = BROKER_DEFAULT_CONF;
	int ch, foreground = 0, check = 0, debug = 0;
	struct broker b = { .control_fd = -1, .listen_fd = -1, .metrics_fd = -1 };
	char err[1024];

	while ((ch = getopt(argc, argv, "+c:dft")) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'd': debug = 1; break;
		case 'f': foreground = 1; break;
		case 't': check = 1; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		return broker_cli(conf, argc, argv);
	log_init("vmmanage-broker", 1, debug);
	if (broker_config_load(&b, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmmanage-broker: %s\n", err);
		broker_config_free(&b);
		return 1;
	}
	if (check) {
		printf("%s: ok (%zu VM%s, endpoint %s)\n", conf, b.nvms, b.nvms == 1 ? "" : "s", b.endpoint);
		broker_config_free(&b);
		return 0;
	}
	broker_run(&b, foreground, debug);
	broker_config_free(&b);
	ev_loop_free(b.loop);
	return 0;
}
