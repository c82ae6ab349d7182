/* SPDX-License-Identifier: ISC */
/* vmmanage-collector: the central log collector. Start-up, privileges, signals. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "server.h"
#include "common/daemonize.h"
#include "common/metrics_http.h"

#ifndef VMM_SYSCONFDIR
#define VMM_SYSCONFDIR "/etc"
#endif
#define COLLECTOR_DEFAULT_CONF VMM_SYSCONFDIR "/vmmanage/collector.conf"

static void __attribute__((noreturn))
collector_usage(int rc)
{
	fprintf(rc ? stderr : stdout,
	    "usage: vmmanage-collector [-dfhtV] [-c FILE] [-j JSON] [-o OUTPUT]\n"
	    "       vmmanage-collector [-c FILE] status [--json]\n"
	    "  -c FILE    configuration file (default " COLLECTOR_DEFAULT_CONF ")\n"
	    "  -o OUTPUT  the log file, one line per message (overrides output)\n"
	    "  -j JSON    also write JSON lines to this file (overrides json_output)\n"
	    "  -f         stay in the foreground and log to stderr\n"
	    "  -d         debug messages\n"
	    "  -t         check the configuration and exit\n"
	    "  -V         print the version\n"
	    "  status     the running collector's counters and fleet view (--json: as JSON)\n");
	exit(rc);
}

struct collector_opts {
	const char *conf, *output, *json;
	int foreground, debug, check, conf_given;
	int status, status_json;   /* the CLI: status [--json] */
};

static void
collector_parse_args(int argc, char **argv, struct collector_opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->conf = COLLECTOR_DEFAULT_CONF;
	/* "+": options end at the command (status --json) */
	while ((ch = getopt(argc, argv, "+c:dfhj:o:tV")) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; o->conf_given = 1; break;
		case 'd': o->debug = 1; break;
		case 'f': o->foreground = 1; break;
		case 'h': collector_usage(0);
		case 'j': o->json = optarg; break;
		case 'o': o->output = optarg; break;
		case 't': o->check = 1; break;
		case 'V': printf("vmmanage-collector %s\n", PACKAGE_VERSION); exit(0);
		default: collector_usage(2);
		}
	}
	if (optind < argc && strcmp(argv[optind], "status") == 0) {
		o->status = 1;
		if (++optind < argc && strcmp(argv[optind], "--json") == 0) {
			o->status_json = 1;
			optind++;
		}
	}
	if (optind != argc)
		collector_usage(2);
}

/* A relative path made absolute against the current directory. */
static void
collector_abspath(char **path)
{
	char cwd[4096], *abs;

	if (*path == NULL || (*path)[0] == '/')
		return;
	if (getcwd(cwd, sizeof(cwd)) == NULL || asprintf(&abs, "%s/%s", cwd, *path) < 0)
		fatal("%s: cannot make it an absolute path", *path);
	free(*path);
	*path = abs;
}

static void
collector_load_conf(const struct collector_opts *o, struct collector_conf *conf)
{
	char err[1024];

	collector_conf_defaults(conf);
	/* the default file is optional; one named with -c must exist */
	if ((o->conf_given || access(o->conf, F_OK) == 0) &&
	    collector_conf_load(conf, o->conf, err, sizeof(err)) < 0)
		fatalx("%s", err);
	if (o->output != NULL) {
		free(conf->output);
		conf->output = strdup(o->output);
	}
	if (o->json != NULL) {
		free(conf->json_output);
		conf->json_output = strdup(o->json);
	}
	collector_abspath(&conf->state_dir);
	if (conf->control_socket == NULL && asprintf(&conf->control_socket, "%s/control",
	    conf->state_dir) < 0)
		fatalx("out of memory");
	if (o->status)
		return;
	if (conf->output == NULL)
		fatalx("no output file: give -o OUTPUT or set output in %s", o->conf);
	/* the files are opened after the daemon has changed to / */
	collector_abspath(&conf->output);
	collector_abspath(&conf->json_output);
	collector_abspath(&conf->pid_file);
	collector_abspath(&conf->control_socket);
}

/* -t: the verdict, always on stdout (an error has gone to stderr already, with exit 1).
 * A missing state_dir is no error: the daemon creates it. */
static void __attribute__((noreturn))
collector_check(const struct collector_opts *o, struct collector_conf *conf)
{
	struct stat st;
	const char *file = o->conf_given || access(o->conf, F_OK) == 0 ? o->conf : "defaults";

	if (conf->user != NULL && getpwnam(conf->user) == NULL)
		fatalx("%s: user \"%s\" does not exist", file, conf->user);
	if (stat(conf->state_dir, &st) == 0 && !S_ISDIR(st.st_mode))
		fatalx("%s: state_dir %s is not a directory", file, conf->state_dir);
	printf("%s: configuration OK\n", file);
	if (stat(conf->state_dir, &st) < 0 && errno == ENOENT)
		printf("%s: state_dir %s does not exist yet: it is created at start\n", file,
		    conf->state_dir);
	collector_conf_free(conf);
	exit(0);
}

/* Enough descriptors for max_clients, raised while we still may. */
static void
collector_raise_nofile(long max_clients)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_clients + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want && geteuid() == 0)
		rl.rlim_max = want;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		log_warnx("open files limited to %llu, fewer than max_clients + 64",
		    (unsigned long long)rl.rlim_cur);
}

/* Creates a missing state_dir; for the service user (pw) when root: root makes the
 * directory (its parent is root's, e.g. /var/lib) and hands over only the directory it
 * has just made. */
static void
collector_make_state_dir(const char *dir, const struct passwd *pw)
{
	int fd;

	if (mkdir(dir, 0750) < 0) {
		if (errno != EEXIST)
			fatal("state_dir %s: cannot create it", dir);
		return;
	}
	if (pw == NULL)
		return;
	/* the directory just made, not whatever may have been put in its place */
	struct stat st;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
	    fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
		fatal("state_dir %s: cannot give it to user %s", dir, pw->pw_name);
	close(fd);
	log_info("created state_dir %s for user %s", dir, pw->pw_name);
}

/* Root's last acts: make state_dir if missing, then become the service user. Every file
 * of the service user (outputs, seq.state) is opened only after this, so a symbolic link
 * planted there by that user gets that user's rights, never root's. */
static void
collector_drop_privileges(const struct collector_conf *conf)
{
	struct passwd *pw = NULL;

	if (geteuid() == 0 && conf->user != NULL &&
	    (pw = getpwnam(conf->user)) == NULL)
		fatalx("user \"%s\" does not exist (set user in the configuration)", conf->user);
	collector_make_state_dir(conf->state_dir, pw);
	if (pw == NULL)
		return;
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		fatal("cannot become user %s", conf->user);
	if (pw->pw_uid != 0 && setuid(0) == 0)
		fatalx("could regain root after dropping privileges");
}

/* As root, in a directory root controls (the run directory), before dropping
 * privileges; see pidfile_create. */
static void
collector_write_pid(const char *path)
{
	char err[1024];

	if (path != NULL && pidfile_create(path, err, sizeof(err)) < 0)
		fatalx("%s", err);
}

/* What needs root, before the fork (so that its errors reach the caller at once): the
 * listening sockets and the keys file (root's, in /etc). The metrics socket is bound
 * here too (a port below 1024 needs root), but its HTTP server starts only after the
 * privilege drop: no request is parsed as root. */
static void
collector_setup_root(const struct collector_conf *conf, int *fds, int *mfd,
    struct collector_keys **keys)
{
	char err[1024];

	for (size_t i = 0; i < conf->nlisten; i++)
		if ((fds[i] = collector_listen(conf->listen[i], err, sizeof(err))) < 0)
			fatalx("listen %s", err);
	*mfd = -1;
	if (conf->metrics_listen != NULL &&
	    (*mfd = metrics_http_bind(conf->metrics_listen, err, sizeof(err))) < 0)
		fatalx("%s", err);
	*keys = NULL;
	if (conf->keys_file != NULL && (*keys = collector_keys_load(conf->keys_file, err, sizeof(err))) == NULL)
		fatalx("keys_file: %s", err);
}

/* As the service user: the output first, then the sequence state reconciled with it. */
static struct collector *
collector_setup_user(struct collector_conf *conf, const int *fds, int mfd,
    struct collector_output **out, struct collector_seqdb **db, struct collector_keys *keys)
{
	char err[1024];
	struct collector *s;

	if (access(conf->state_dir, W_OK) < 0)
		fatalx("state_dir %s is not writable by user %s (chown it)", conf->state_dir,
		    conf->user ? conf->user : "running the collector");
	if ((*out = collector_output_open(conf->output, conf->json_output, err, sizeof(err))) == NULL)
		fatalx("output: %s", err);
	if ((*db = collector_seqdb_open(conf->state_dir, conf->max_agent_hosts, err, sizeof(err))) == NULL ||
	    collector_seqdb_recover(*db, *out, err, sizeof(err)) < 0)
		fatalx("%s", err);
	if ((s = collector_new(conf, *out, *db, keys, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	for (size_t i = 0; i < conf->nlisten; i++)
		if (collector_add_listener(s, fds[i], err, sizeof(err)) < 0)
			fatalx("listen %s", err);
	/* the fleet view, the control socket and /metrics: the service user's too */
	fleet_load(s);
	if (collector_control_open(s, err, sizeof(err)) < 0 ||
	    collector_metrics_start(s, mfd, err, sizeof(err)) < 0)
		fatalx("%s", err);
	return s;
}

int
main(int argc, char **argv)
{
	struct collector_opts o;
	struct collector_conf conf;
	struct collector_output *out;
	struct collector_seqdb *db;
	struct collector_keys *keys;

	collector_parse_args(argc, argv, &o);
	log_init("vmmanage-collector", 1, o.debug);
	collector_load_conf(&o, &conf);
	if (o.status) {
		int rc = collector_control_client(conf.control_socket,
		    o.status_json ? "status --json" : "status");
		collector_conf_free(&conf);
		return rc;
	}
	if (o.check)
		collector_check(&o, &conf);
	tzset();
	collector_raise_nofile(conf.max_clients);
	int fds[COLLECTOR_MAX_LISTEN], mfd;
	collector_setup_root(&conf, fds, &mfd, &keys);
	int ready = -1;
	/* the parent returns only when the daemon is ready (pid file written, privileges
	 * dropped) or with the reason it is not: an init script that sees 0 can trust it */
	if (!o.foreground) {
		if ((ready = daemonize(conf.pid_file)) < 0)
			fatal("cannot detach");
		log_init("vmmanage-collector", 0, o.debug);
	}
	collector_write_pid(conf.pid_file);
	collector_drop_privileges(&conf);
	struct collector *s = collector_setup_user(&conf, fds, mfd, &out, &db, keys);
	struct collector_forward *fwd = NULL;
	char err[1024] = "";
	if (conf.forward_relp != NULL &&
	    (fwd = collector_forward_start(&conf, out, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	signal(SIGPIPE, SIG_IGN);
	daemonize_ready(ready);
	log_info("listening on %zu address(es), writing %s", conf.nlisten, conf.output);
	int rc = collector_run(s);
	collector_forward_stop(fwd);
	collector_free(s);
	collector_output_close(out);
	collector_seqdb_free(db);
	collector_keys_free(keys);
	if (conf.pid_file != NULL)
		unlink(conf.pid_file);
	collector_conf_free(&conf);
	return rc < 0 ? 1 : 0;
}
