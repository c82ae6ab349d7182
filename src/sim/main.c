/* SPDX-License-Identifier: ISC */
/* vmmanage-sim: run the policy modules, the guard and the target choice of vmmanage on
 * simulated time, for the hosts and VMs a simulation file describes. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strutil.h"
#include "core/setup.h"
#include "sim/sim.h"

struct main_opts {
	int compare, thesis, per_vm, hourly, check, quiet, trace_all, threads;
	int have_seed;
	uint64_t seed;
	double days;
	const char *outdir, *log, *file;
	char **trace;
	size_t ntrace;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: vmmanage-sim [-cHnpqTV] [--thesis] [-d days] [-j threads] [-l log] [-o dir]\n"
	    "                    [-s seed] [-t vm[,vm...]] file\n"
	    "  -c, --compare     the thesis's behaviour and ours, side by side\n"
	    "      --thesis      only the thesis's behaviour (round robin, a fixed sleep, no guard)\n"
	    "      --module-dir DIR  the modules, for confs that set no module_dir\n"
	    "  -d, --days D      simulate D days (instead of the file's days/hours)\n"
	    "  -H, --hourly      print requests/moves per hour\n"
	    "  -j, --threads N   threads (default: the number of CPUs); output does not change\n"
	    "  -l, --log FILE    the agents' messages as the collector writes them\n"
	    "  -n, --check       check the simulation file and the vmmanage.conf files, run nothing\n"
	    "  -o, --output DIR  summary.csv, hourly.csv, residency.csv, events.csv\n"
	    "  -p, --per-vm      a row per VM even when there are many\n"
	    "  -q, --quiet       no table\n"
	    "  -s, --seed N      the random seed (instead of the file's seed)\n"
	    "  -t, --trace VMS   every cycle of these VMs (or entries) into events.csv and the log\n"
	    "  -T, --trace-all   every cycle of every VM\n"
	    "  -V, --version\n");
}

static int
main_number(const char *opt, const char *s, double min, double max, double *out)
{
	if (vmm_parse_double(s, out) < 0 || !(*out >= min && *out <= max)) {
		fprintf(stderr, "vmmanage-sim: %s: '%s' is not a number from %g to %g\n", opt, s, min, max);
		return -1;
	}
	return 0;
}

static int
main_trace(struct main_opts *m, const char *list)
{
	char *copy = strdup(list), *save = NULL;

	if (copy == NULL)
		return -1;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char **nt = realloc(m->trace, (m->ntrace + 2) * sizeof(*nt));
		if (nt == NULL || (nt[m->ntrace] = strdup(tok)) == NULL) {
			if (nt != NULL)
				m->trace = nt;
			free(copy);
			return -1;
		}
		m->trace = nt;
		m->trace[++m->ntrace] = NULL;
	}
	free(copy);
	return 0;
}

static int
main_args(int argc, char **argv, struct main_opts *m)
{
	static const struct option longopts[] = {
		{ "compare", no_argument, NULL, 'c' }, { "days", required_argument, NULL, 'd' },
		{ "hourly", no_argument, NULL, 'H' }, { "threads", required_argument, NULL, 'j' },
		{ "log", required_argument, NULL, 'l' }, { "check", no_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' }, { "per-vm", no_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' }, { "seed", required_argument, NULL, 's' },
		{ "trace", required_argument, NULL, 't' }, { "trace-all", no_argument, NULL, 'T' },
		{ "version", no_argument, NULL, 'V' }, { "help", no_argument, NULL, 'h' },
		{ "thesis", no_argument, NULL, 1 }, { "module-dir", required_argument, NULL, 2 },
		{ NULL, 0, NULL, 0 }
	};
	double v;
	int ch;

	while ((ch = getopt_long(argc, argv, "cd:Hj:l:no:pqs:t:TVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': m->compare = 1; break;
		case 2: setup_default_module_dir(optarg); break;
		case 1: m->thesis = 1; break;
		case 'd':
			if (main_number("--days", optarg, 1.0 / 1440, 3660, &m->days) < 0)
				return -1;
			break;
		case 'H': m->hourly = 1; break;
		case 'j':
			if (main_number("--threads", optarg, 1, 64, &v) < 0)
				return -1;
			m->threads = (int)v;
			break;
		case 'l': m->log = optarg; break;
		case 'n': m->check = 1; break;
		case 'o': m->outdir = optarg; break;
		case 'p': m->per_vm = 1; break;
		case 'q': m->quiet = 1; break;
		case 's':
			if (main_number("--seed", optarg, 0, 9007199254740992.0, &v) < 0)
				return -1;
			m->seed = (uint64_t)v;
			m->have_seed = 1;
			break;
		case 't':
			if (main_trace(m, optarg) < 0)
				return -1;
			break;
		case 'T': m->trace_all = 1; break;
		case 'V': printf("vmmanage-sim %s\n", PACKAGE_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -1;
	}
	if (m->compare && m->thesis) {
		fprintf(stderr, "vmmanage-sim: --compare runs --thesis already: give one\n");
		return -1;
	}
	m->file = argv[optind];
	return 0;
}

static int
mkdir_p(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0777) < 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(path, 0777) == 0 || errno == EEXIST)
		return 0;
fail:
	fprintf(stderr, "vmmanage-sim: %s: %s\n", path, strerror(errno));
	return -1;
}

/* With --compare, "run.log" becomes "run-thesis.log" and "run-ours.log". */
static FILE *
main_open_log(const struct main_opts *m, const char *mode)
{
	char path[4096];
	const char *dot = strrchr(m->log, '.'), *slash = strrchr(m->log, '/');
	FILE *f;

	if (!m->compare)
		snprintf(path, sizeof(path), "%s", m->log);
	else if (dot != NULL && (slash == NULL || dot > slash))
		snprintf(path, sizeof(path), "%.*s-%s%s", (int)(dot - m->log), m->log, mode, dot);
	else
		snprintf(path, sizeof(path), "%s-%s", m->log, mode);
	if ((f = fopen(path, "we")) == NULL)
		fprintf(stderr, "vmmanage-sim: %s: %s\n", path, strerror(errno));
	return f;
}

static FILE *
main_open_events(const struct main_opts *m)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/events.csv", m->outdir);
	if ((f = fopen(path, "we")) == NULL) {
		fprintf(stderr, "vmmanage-sim: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	fprintf(f, "time,mode,vm,event,action,from,to,value,count,threshold,lowcount,lowthreshold,detail\n");
	return f;
}

static int
main_close(FILE *f, const char *what)
{
	if (f != NULL && fclose(f) != 0) {
		fprintf(stderr, "vmmanage-sim: %s: %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}

static struct sim_result *
main_run(const struct main_opts *m, const struct simfile *sf, int thesis, FILE *events, int quiet)
{
	char err[4096];
	struct sim_opts o = { .thesis = thesis, .threads = m->threads,
		.seed = m->have_seed ? m->seed : sf->seed, .trace_vms = (const char *const *)m->trace,
		.trace_all = m->trace_all, .events = events, .quiet = quiet, .check = m->check,
		.hindsight = m->compare && !thesis };
	struct sim_result *r;

	if (m->log != NULL && !m->check && (o.log = main_open_log(m, thesis ? "thesis" : "ours")) == NULL)
		return NULL;
	r = sim_run(sf, &o, err, sizeof(err));
	if (main_close(o.log, m->log) < 0) {
		sim_result_free(r);
		return NULL;
	}
	if (r == NULL)
		fprintf(stderr, "vmmanage-sim: %s\n", err);
	return r;
}

static int
main_report(const struct main_opts *m, const struct simfile *sf, struct sim_result **runs,
    size_t nruns)
{
	char err[4096];

	if (!m->quiet) {
		if (m->compare)
			out_compare(stdout, sf, runs[0], runs[1], m->per_vm);
		else
			out_table(stdout, sf, runs[0], m->per_vm);
		for (size_t k = 0; m->hourly && k < nruns; k++)
			out_hourly_table(stdout, runs[k], m->per_vm ? (size_t)-1 : 8);
	}
	if (m->outdir != NULL &&
	    out_csv(m->outdir, (const struct sim_result *const *)runs, nruns, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmmanage-sim: %s\n", err);
		return -1;
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct main_opts m = { .threads = (int)sysconf(_SC_NPROCESSORS_ONLN) };
	char err[4096];
	struct sim_result *runs[2] = { NULL, NULL };
	FILE *events = NULL;
	int rc = 1;

	if (m.threads < 1)
		m.threads = 1;
	if (main_args(argc, argv, &m) < 0)
		return 2;
	struct simfile *sf = simfile_load(m.file, err, sizeof(err));
	if (sf == NULL) {
		fprintf(stderr, "vmmanage-sim: %s\n", err);
		goto out;
	}
	if (m.days > 0)
		sf->duration = m.days * 86400;
	if (m.outdir != NULL && !m.check) {
		if (mkdir_p(m.outdir) < 0 || (events = main_open_events(&m)) == NULL)
			goto out;
	}
	size_t nruns = m.compare ? 2 : 1;
	for (size_t k = 0; k < nruns; k++)
		if ((runs[k] = main_run(&m, sf, m.thesis || (m.compare && k == 0), events, k > 0)) == NULL)
			goto out;
	if (m.check) {
		printf("vmmanage-sim: %s: %zu hosts, %zu VMs: OK\n", m.file, sf->nhosts, runs[0]->nvms);
		rc = 0;
		goto out;
	}
	if (main_close(events, "events.csv") < 0) {
		events = NULL;
		goto out;
	}
	events = NULL;
	rc = main_report(&m, sf, runs, nruns) < 0 ? 1 : 0;
out:
	if (events != NULL)
		fclose(events);
	sim_result_free(runs[0]);
	sim_result_free(runs[1]);
	simfile_free(sf);
	for (size_t i = 0; i < m.ntrace; i++)
		free(m.trace[i]);
	free(m.trace);
	return rc;
}
