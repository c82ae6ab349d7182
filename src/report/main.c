/* SPDX-License-Identifier: ISC */
/* vmmanage-report: read collector output (the thesis's format and JSON lines), the
 * agent's own logs and the simulator's events.csv, in one streaming pass with bounded
 * memory, and print (and draw) what they say. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strutil.h"
#include "report/stats.h"

#define READ_BUF (1u << 20)

struct ropts {
	struct prices prices;
	const char *charts, *gnuplot, *html;
	int png, svg, hourly;
	size_t max_charts;
	double jump;
	char **vms;
	size_t nvms;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: vmmanage-report [-H] [-b host] [-c dir] [-f png|svg|png,svg] [-g gnuplot]\n"
	    "                       [-j seconds] [-m n] [-P file] [-p host=price] [-v vm]\n"
	    "                       [-w dir] [file ...]\n"
	    "  -b, --base HOST       HOST is a base: its cost counts as C_b (repeat for more)\n"
	    "  -c, --charts DIR      draw charts into DIR (with gnuplot)\n"
	    "  -f, --format LIST     png, svg or png,svg (default)\n"
	    "  -g, --gnuplot PROG    the gnuplot to run (default: gnuplot in PATH)\n"
	    "  -H, --hourly          print requests and moves per hour\n"
	    "  -w, --html DIR        write DIR/index.html: the tables and charts in one page\n"
	    "  -j, --jump SECONDS    a forward step this long is a clock jump (default 604800)\n"
	    "  -m, --max-charts N    chart the first N VMs seen (default 8)\n"
	    "  -P, --prices FILE     prices, a line \"host price\" each ('*' for any other host)\n"
	    "  -p, --price H=P       the price of a VM-hour on host H ('*' for any other host)\n"
	    "  -v, --vm NAME         chart this VM (repeat for more)\n"
	    "Files are read in order; none or '-' is standard input.\n");
}

static int
ropts_vm(struct ropts *o, const char *name)
{
	char **n = realloc(o->vms, (o->nvms + 2) * sizeof(*n));

	if (n == NULL)
		return -1;
	o->vms = n;
	if ((o->vms[o->nvms] = strdup(name)) == NULL)
		return -1;
	o->vms[++o->nvms] = NULL;
	return 0;
}

static int
ropts_parse(int argc, char **argv, struct ropts *o)
{
	static const struct option longopts[] = {
		{ "base", required_argument, NULL, 'b' }, { "charts", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' }, { "gnuplot", required_argument, NULL, 'g' },
		{ "hourly", no_argument, NULL, 'H' }, { "jump", required_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'w' },
		{ "max-charts", required_argument, NULL, 'm' }, { "prices", required_argument, NULL, 'P' },
		{ "price", required_argument, NULL, 'p' }, { "vm", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	char err[1024], *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "b:c:f:g:Hj:m:P:p:v:w:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (prices_base(&o->prices, optarg) < 0)
				return -1;
			break;
		case 'c': o->charts = optarg; break;
		case 'f':
			o->png = strstr(optarg, "png") != NULL;
			o->svg = strstr(optarg, "svg") != NULL;
			if (!o->png && !o->svg) {
				fprintf(stderr, "vmmanage-report: --format: png, svg or png,svg\n");
				return -1;
			}
			break;
		case 'g': o->gnuplot = optarg; break;
		case 'H': o->hourly = 1; break;
		case 'w': o->html = optarg; break;
		case 'j':
			if (vmm_parse_double(optarg, &o->jump) < 0 || !(o->jump > 0)) {
				fprintf(stderr, "vmmanage-report: --jump: a number of seconds above 0\n");
				return -1;
			}
			break;
		case 'm':
			o->max_charts = (size_t)strtoul(optarg, &end, 10);
			if (*end != '\0' || *optarg == '\0' || o->max_charts > 1000) {
				fprintf(stderr, "vmmanage-report: --max-charts: 0 to 1000\n");
				return -1;
			}
			break;
		case 'P':
			if (prices_file(&o->prices, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "vmmanage-report: %s\n", err);
				return -1;
			}
			break;
		case 'p':
			if (prices_add(&o->prices, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "vmmanage-report: %s\n", err);
				return -1;
			}
			break;
		case 'v':
			if (ropts_vm(o, optarg) < 0)
				return -1;
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("vmmanage-report %s\n", PACKAGE_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	return 0;
}

/* ---- reading ---- */

struct reader {
	struct report *r;
	struct report_parser p;
	struct input_stats *in;
};

static void
reader_line(struct reader *rd, const char *line, size_t len)
{
	struct report_rec rec;
	int rc = report_parse_line(&rd->p, line, len, &rec);

	rd->in->lines++;
	if (rc < 0) {
		rd->in->malformed++;
		return;
	}
	if (rc == 0)
		return;
	/* 1973 to 2103: anything else is a broken clock or a broken line */
	if (!(rec.time > 1e8 && rec.time < 4.2e9)) {
		rd->in->bad_time++;
		return;
	}
	rd->in->records++;
	rd->in->formats |= 1u << rd->p.last_format;
	report_add(rd->r, &rec);
}

/* Lines of at most REPORT_MAX_LINE bytes from a fixed buffer: a line that never ends
 * costs nothing but the time to skip it. */
static int
reader_fd(struct reader *rd, int fd, const char *name)
{
	char *buf = malloc(READ_BUF);
	size_t start = 0, end = 0;
	int discard = 0, eof = 0;

	if (buf == NULL)
		return -1;
	report_parser_init(&rd->p);
	while (!eof) {
		ssize_t n = read(fd, buf + end, READ_BUF - end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "vmmanage-report: %s: %s\n", name, strerror(errno));
			free(buf);
			return -1;
		}
		eof = n == 0;
		end += (size_t)n;
		rd->in->bytes += (uint64_t)n;
		char *nl;
		while ((nl = memchr(buf + start, '\n', end - start)) != NULL) {
			size_t len = (size_t)(nl - buf) - start;
			if (!discard && len > REPORT_MAX_LINE)
				rd->in->overlong++;
			else if (!discard)
				reader_line(rd, buf + start, len);
			discard = 0;
			start = (size_t)(nl - buf) + 1;
		}
		if (eof && end > start && !discard)
			reader_line(rd, buf + start, end - start); /* the last line, cut short */
		else if (end - start > REPORT_MAX_LINE) {
			if (!discard)
				rd->in->overlong++;
			discard = 1;
			start = end;
		}
		memmove(buf, buf + start, end - start);
		end -= start;
		start = 0;
	}
	free(buf);
	return 0;
}

static int
reader_file(struct reader *rd, const char *path)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "vmmanage-report: %s: %s\n", path, strerror(errno));
		return -1;
	}
	rd->in->files++;
	int rc = reader_fd(rd, fd, path);
	if (fd != 0)
		close(fd);
	return rc;
}

/* ---- the chart's scratch directory ---- */

static void
tmp_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4400];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int
charts_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0777) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)))
		return 0;
	fprintf(stderr, "vmmanage-report: %s: %s\n", dir, strerror(errno == EEXIST ? ENOTDIR : errno));
	return -1;
}

static int
run(struct ropts *o, int nfiles, char **files)
{
	char tmp[4096] = "", err[1024];
	const char *t = getenv("TMPDIR");
	struct input_stats in = { 0 };
	int rc = 0;

	if (o->html != NULL && charts_dir(o->html) < 0)
		return 1;
	if (o->charts != NULL) {
		if (charts_dir(o->charts) < 0)
			return 1;
		snprintf(tmp, sizeof(tmp), "%s/vmmanage-report.XXXXXX", t && *t ? t : "/tmp");
		if (mkdtemp(tmp) == NULL) {
			fprintf(stderr, "vmmanage-report: %s: %s\n", tmp, strerror(errno));
			return 1;
		}
	}
	struct report_opts ro = { .charted = o->nvms ? (const char *const *)o->vms : NULL,
		.max_charts = o->max_charts, .chart_tmp = tmp[0] ? tmp : NULL, .jump = o->jump };
	struct reader rd = { .r = report_new(&ro), .in = &in };
	if (rd.r == NULL) {
		fprintf(stderr, "vmmanage-report: out of memory\n");
		rc = 1;
		goto out;
	}
	if (nfiles == 0)
		rc |= reader_file(&rd, "-") < 0;
	for (int i = 0; i < nfiles; i++)
		rc |= reader_file(&rd, files[i]) < 0;
	report_end(rd.r);
	report_print(stdout, rd.r, &o->prices, &in, o->hourly);
	if (o->charts != NULL && report_charts(rd.r, o->charts, o->gnuplot, o->png, o->svg, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmmanage-report: charts: %s\n", err);
		rc = 1;
	}
	if (o->html != NULL && report_html(rd.r, &o->prices, &in, o->html, err, sizeof(err)) < 0) {
		fprintf(stderr, "vmmanage-report: html: %s\n", err);
		rc = 1;
	}
out:
	report_free(rd.r);
	if (tmp[0])
		tmp_remove(tmp);
	return rc;
}

int
main(int argc, char **argv)
{
	struct ropts o = { .gnuplot = "gnuplot", .png = 1, .svg = 1, .max_charts = 8 };
	int rc;

	o.prices.dflt = NAN;
	if (ropts_parse(argc, argv, &o) < 0)
		rc = 2;
	else
		rc = run(&o, argc - optind, argv + optind);
	if (fflush(stdout) != 0)
		rc = 1;
	prices_free(&o.prices);
	for (size_t i = 0; i < o.nvms; i++)
		free(o.vms[i]);
	free(o.vms);
	return rc;
}
