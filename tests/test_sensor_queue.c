/* SPDX-License-Identifier: ISC */
/* Unit tests of the job page parser and of the resumable queue store, including a
 * worker killed with SIGKILL in the middle of a queue. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sensor_test.h"
#include "sensors/queue_store.h"
#include "core/subproc.h"

static enum queue_line_kind
line(const char *s, struct queue_job *j, const char **why)
{
	return queue_parse_line(s, strlen(s), j, why);
}

static int
job_is(const struct queue_job *j, const char *grade, const char *expr)
{
	return j->grade_len == strlen(grade) && memcmp(j->grade, grade, j->grade_len) == 0 &&
	    j->expr_len == strlen(expr) && memcmp(j->expr, expr, j->expr_len) == 0;
}

static void
test_lines(void)
{
	struct queue_job j;
	const char *why = NULL;

	st_ok(line("grade b = 123^123", &j, &why) == QUEUE_JOB && job_is(&j, "b", "123^123"),
	    "the thesis's line");
	st_ok(line("  grade\ta=3*3 \r", &j, &why) == QUEUE_JOB && job_is(&j, "a", "3*3"),
	    "blanks, a tab, CR and no blank before =");
	st_ok(line("", &j, &why) == QUEUE_BLANK && line(" \t", &j, &why) == QUEUE_BLANK &&
	    line("# note", &j, &why) == QUEUE_BLANK, "empty, blank and comment lines");
	st_ok(line(":", &j, &why) == QUEUE_BAD, "the listing's ':' line is malformed: %s", why);
	st_ok(line("gradea = 1", &j, &why) == QUEUE_BAD, "no blank after grade: %s", why);
	st_ok(line("grade = 1", &j, &why) == QUEUE_BAD, "no grade: %s", why);
	st_ok(line("grade a b = 1", &j, &why) == QUEUE_BAD, "two words: %s", why);
	st_ok(line("grade a;b = 1", &j, &why) == QUEUE_BAD, "a grade with ';': %s", why);
	st_ok(line("grade a 1", &j, &why) == QUEUE_BAD, "no '=': %s", why);
	st_ok(line("grade a =  ", &j, &why) == QUEUE_BAD, "no expression: %s", why);
	st_ok(line("grade a = 1\x01", &j, &why) == QUEUE_BAD, "a control byte: %s", why);
	st_ok(line("grade a = 2\xc3\xa9", &j, &why) == QUEUE_BAD, "a non-ASCII byte: %s", why);
	st_ok(line("Grade a = 1", &j, &why) == QUEUE_BAD, "the keyword is lower case");
	char long_expr[QUEUE_MAX_EXPR + 20];
	snprintf(long_expr, sizeof(long_expr), "grade a = %0*d", QUEUE_MAX_EXPR + 1, 1);
	st_ok(line(long_expr, &j, &why) == QUEUE_BAD, "too long: %s", why);
}

static void
test_bigjobs(void)
{
	const char *g;
	size_t n;

	st_ok(queue_bigjobs_grade("grade a", &g, &n) == 0 && n == 1 && *g == 'a', "\"grade a\"");
	st_ok(queue_bigjobs_grade(" grade  1 ", &g, &n) == 0 && n == 1 && *g == '1',
	    "\" grade  1 \" (the thesis's commented-out value)");
	st_ok(queue_bigjobs_grade("a", &g, &n) == 0 && n == 1 && *g == 'a', "just the grade");
	st_ok(queue_bigjobs_grade("grade a b", &g, &n) < 0 && queue_bigjobs_grade("", &g, &n) < 0 &&
	    queue_bigjobs_grade("grade a=1", &g, &n) < 0, "not one grade");
}

static void
test_pages(void)
{
	struct queue_count c;
	size_t len;
	char *page = st_fixture("queue-thesis.txt", &len);

	queue_count_page(page, len, "a", 1, &c);
	st_ok(c.jobs == 5 && c.big == 1 && c.bad == 2, "Listing 3.11: 5 jobs, 1 of grade a, the "
	    "two ':' lines malformed (got %zu %zu %zu)", c.jobs, c.big, c.bad);
	free(page);
	page = st_fixture("queue-mixed.txt", &len);
	queue_count_page(page, len, "a", 1, &c);
	st_ok(c.jobs == 5 && c.big == 3 && c.bad == 6, "mixed page: 5 jobs, 3 big, 6 malformed "
	    "(got %zu %zu %zu)", c.jobs, c.big, c.bad);
	queue_count_page(page, len, NULL, 0, &c);
	st_ok(c.big == 0, "no grade asked: no big jobs");
	free(page);
	queue_count_page("", 0, "a", 1, &c);
	st_ok(c.jobs == 0 && c.bad == 0, "an empty page");
}

/* ---- the store ---- */

static char dir[256];

/* Remove what the tests leave in dir. */
static void
clean_dir(void)
{
	static const char *const names[] = { QUEUE_FILE, QUEUE_RESULTS_FILE, "queue.tmp", "trace1",
		"trace2", NULL };
	char path[512];

	if (dir[0] == '\0')
		return;
	for (size_t i = 0; names[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	dir[0] = '\0';
}

static void
make_dir(void)
{
	clean_dir();
	snprintf(dir, sizeof(dir), "%s/vmm-test-queue.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		exit(99);
	}
}

static size_t bad_lines[16], nbad;

static void
on_bad(void *ctx, size_t ln, const char *text, size_t len, const char *why)
{
	(void)ctx, (void)text, (void)len, (void)why;
	if (nbad < 16)
		bad_lines[nbad++] = ln;
}

/* A run function that computes nothing: it echoes the expression, and fails on "fail". */
static size_t fake_runs;

static enum queue_run_status
fake_run(void *ctx, const struct queue_job *job, char *text, size_t len)
{
	(void)ctx;
	fake_runs++;
	if (job->expr_len == 4 && memcmp(job->expr, "stop", 4) == 0) {
		snprintf(text, len, "cannot start");
		return QUEUE_RUN_ERROR;
	}
	snprintf(text, len, "%.*s\nline2\\", (int)job->expr_len, job->expr);
	return job->expr_len == 4 && memcmp(job->expr, "fail", 4) == 0 ? QUEUE_RUN_FAILED :
	    QUEUE_RUN_OK;
}

static char *
read_results(size_t *len)
{
	char path[512], *buf;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, QUEUE_RESULTS_FILE);
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) < 0 ||
	    (buf = calloc(1, (size_t)st.st_size + 1)) == NULL ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		printf("Bail out! %s\n", path);
		exit(99);
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_store_basic(void)
{
	static const char page[] = "grade a = 1\n:\ngrade b = fail\ngrade a = 3\n";
	char err[256], id[64];
	size_t left, big, ran, len;
	struct queue_store *qs;

	make_dir();
	qs = queue_store_open(dir, on_bad, NULL, err, sizeof(err));
	st_ok(qs != NULL && !queue_store_has(qs), "an empty store");
	st_ok(queue_store_save(qs, page, sizeof(page) - 1, "http://x/nii4jobs", err, sizeof(err)) == 0,
	    "save a claimed page");
	st_ok(nbad == 1 && bad_lines[0] == 2, "the malformed line 2 is reported");
	st_ok(queue_store_save(qs, page, 3, "x", err, sizeof(err)) < 0,
	    "a second save while one is stored is refused: %s", err);
	snprintf(id, sizeof(id), "%s", queue_store_id(qs));
	queue_store_close(qs);

	qs = queue_store_open(dir, NULL, NULL, err, sizeof(err));
	queue_store_remaining(qs, "a", 1, &left, &big);
	st_ok(qs && queue_store_has(qs) && strcmp(queue_store_id(qs), id) == 0 && left == 3 &&
	    big == 2, "reopened: the same queue, 3 jobs left, 2 of grade a");
	st_ok(queue_store_remove(qs, err, sizeof(err)) < 0, "an unfinished queue is not removed: %s",
	    err);
	st_ok(queue_store_process(qs, fake_run, NULL, 0, &ran, err, sizeof(err)) == 1 && ran == 3,
	    "process runs the 3 jobs");
	queue_store_remaining(qs, "a", 1, &left, &big);
	st_ok(left == 0 && big == 0, "none left");
	char *res = read_results(&len);
	char want[256];
	snprintf(want, sizeof(want), "%s 1 ok 1\\nline2\\\\\n%s 3 failed fail\\nline2\\\\\n"
	    "%s 4 ok 3\\nline2\\\\\n", id, id, id);
	st_ok(strcmp(res, want) == 0, "results: one escaped line per job, in order");
	free(res);
	st_ok(queue_store_remove(qs, err, sizeof(err)) == 0 && !queue_store_has(qs),
	    "a finished queue is removed");
	/* a new queue with the same lines: the old results must not count for it */
	st_ok(queue_store_save(qs, page, sizeof(page) - 1, "x", err, sizeof(err)) == 0 &&
	    strcmp(queue_store_id(qs), id) != 0, "the next queue gets a new id");
	queue_store_remaining(qs, NULL, 0, &left, &big);
	st_ok(left == 3, "and none of its jobs is done by the earlier results (%zu left)", left);
	queue_store_close(qs);
}

static void
test_store_errors(void)
{
	static const char page[] = "grade a = 1\ngrade a = stop\ngrade a = 2\n";
	char err[256], path[512];
	size_t ran, left, big, len;
	struct queue_store *qs;

	make_dir();
	qs = queue_store_open(dir, NULL, NULL, err, sizeof(err));
	queue_store_save(qs, page, sizeof(page) - 1, "x", err, sizeof(err));
	fake_runs = 0;
	st_ok(queue_store_process(qs, fake_run, NULL, 0, &ran, err, sizeof(err)) < 0 && ran == 1,
	    "a job that cannot start stops processing: %s", err);
	queue_store_remaining(qs, NULL, 0, &left, &big);
	st_ok(left == 2, "and is not recorded as done");
	/* a crash cut the last results line short */
	char cut[128];
	snprintf(cut, sizeof(cut), "%s 3 ok 2", queue_store_id(qs));
	snprintf(path, sizeof(path), "%s/%s", dir, QUEUE_RESULTS_FILE);
	int fd = open(path, O_WRONLY | O_APPEND);
	st_ok(fd >= 0 && write(fd, cut, strlen(cut)) == (ssize_t)strlen(cut), "cut a results line");
	close(fd);
	queue_store_close(qs);
	qs = queue_store_open(dir, NULL, NULL, err, sizeof(err));
	queue_store_remaining(qs, NULL, 0, &left, &big);
	st_ok(left == 2, "a cut results line does not count as a result");
	char *res = read_results(&len);
	st_ok(len > 0 && res[len - 1] == '\n' && strstr(res, cut) == NULL,
	    "it is dropped, so the next result starts its own line");
	free(res);
	queue_store_close(qs);

	/* a damaged queue file is an error, not an empty queue */
	snprintf(path, sizeof(path), "%s/%s", dir, QUEUE_FILE);
	fd = open(path, O_WRONLY | O_TRUNC);
	st_ok(fd >= 0 && write(fd, "junk\n", 5) == 5, "damage the stored queue");
	close(fd);
	st_ok(queue_store_open(dir, NULL, NULL, err, sizeof(err)) == NULL,
	    "a queue file without our header is refused: %s", err);
}

/* ---- killed in the middle ---- */

/* Jobs that take a while; each start and end goes to a trace file, so the test can tell
 * which jobs the resumed run started. */
struct slow_ctx {
	int trace;
};

static enum queue_run_status
slow_run(void *arg, const struct queue_job *job, char *text, size_t len)
{
	const struct slow_ctx *ctx = arg;
	const char *const argv[] = { "bc", NULL };
	char expr[64], mark[64];
	struct vmm_run_result res;
	struct timespec ts = { 0, 30 * 1000 * 1000 };

	int n = snprintf(mark, sizeof(mark), "start %zu\n", job->line);
	if (write(ctx->trace, mark, (size_t)n) != n)
		return QUEUE_RUN_ERROR;
	snprintf(expr, sizeof(expr), "%.*s\n", (int)job->expr_len, job->expr);
	if (spawn_run(argv, expr, 10, len - 1, &res) < 0) {
		snprintf(text, len, "%s", res.err);
		spawn_result_free(&res);
		return QUEUE_RUN_ERROR;
	}
	nanosleep(&ts, NULL);
	res.out[strcspn(res.out, "\n")] = '\0';
	snprintf(text, len, "%s", res.out);
	spawn_result_free(&res);
	return QUEUE_RUN_OK;
}

#define KILL_JOBS 40

/* A worker process: open the store and run the queue; exit 0 when finished. */
static pid_t
start_worker(const char *trace_name)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	char err[256], path[512];
	size_t ran;
	snprintf(path, sizeof(path), "%s/%s", dir, trace_name);
	struct slow_ctx ctx = { open(path, O_WRONLY | O_CREAT | O_APPEND, 0600) };
	struct queue_store *qs = queue_store_open(dir, NULL, NULL, err, sizeof(err));
	if (qs == NULL || ctx.trace < 0)
		_exit(3);
	int rc = queue_store_process(qs, slow_run, &ctx, 0, &ran, err, sizeof(err));
	if (rc != 1)
		fprintf(stderr, "worker: %s\n", err);
	queue_store_close(qs);
	_exit(rc == 1 ? 0 : 4);
}

static size_t
results_lines(void)
{
	size_t len;
	char *res = read_results(&len);
	size_t n = count_str(res, "\n");

	free(res);
	return n;
}

/* Which jobs a trace says were started. */
static void
trace_starts(const char *name, int *started)
{
	char path[512], buf[8192];
	size_t ln;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	while (f != NULL && fgets(buf, sizeof(buf), f) != NULL)
		if (sscanf(buf, "start %zu", &ln) == 1 && ln <= KILL_JOBS)
			started[ln]++;
	if (f != NULL)
		fclose(f);
}

static void
test_kill_resume(void)
{
	char page[KILL_JOBS * 32], err[256], id[64];
	size_t off = 0, len;
	int status;
	struct queue_store *qs;

	make_dir();
	for (int i = 1; i <= KILL_JOBS; i++)
		off += (size_t)snprintf(page + off, sizeof(page) - off, "grade %c = 2^%d\n",
		    i % 3 ? 'b' : 'a', i);
	qs = queue_store_open(dir, NULL, NULL, err, sizeof(err));
	st_ok(qs && queue_store_save(qs, page, off, "x", err, sizeof(err)) == 0, "store %d jobs",
	    KILL_JOBS);
	snprintf(id, sizeof(id), "%s", queue_store_id(qs));
	queue_store_close(qs);

	pid_t pid = start_worker("trace1");
	for (int i = 0; i < 2000 && results_lines() < 8; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	size_t before = results_lines();
	st_ok(WIFSIGNALED(status) && before >= 8 && before < KILL_JOBS,
	    "worker killed with SIGKILL after %zu of %d results", before, KILL_JOBS);

	/* which jobs were recorded before the kill */
	int done_before[KILL_JOBS + 1] = { 0 }, started[KILL_JOBS + 1] = { 0 };
	char *res = read_results(&len);
	for (int i = 1; i <= KILL_JOBS; i++) {
		char key[96];
		snprintf(key, sizeof(key), "%s %d ok ", id, i);
		done_before[i] = strstr(res, key) != NULL;
	}
	free(res);

	pid = start_worker("trace2");
	waitpid(pid, &status, 0);
	st_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the restarted worker finishes");
	trace_starts("trace2", started);
	int rerun = 0, missing = 0;
	for (int i = 1; i <= KILL_JOBS; i++) {
		if (done_before[i] && started[i])
			rerun++;
		if (!done_before[i] && started[i] != 1)
			missing++;
	}
	st_ok(rerun == 0, "no job recorded before the kill runs again (%d did)", rerun);
	st_ok(missing == 0, "every unfinished job runs once after the restart (%d did not)", missing);

	res = read_results(&len);
	int once = 0, right = 0;
	for (int i = 1; i <= KILL_JOBS; i++) {
		char key[96], want[96];
		snprintf(key, sizeof(key), "%s %d ", id, i);
		once += count_str(res, key) == 1;
		snprintf(want, sizeof(want), "%s %d ok %.0f\n", id, i, (double)(1ULL << i));
		right += strstr(res, want) != NULL;
	}
	free(res);
	st_ok(once == KILL_JOBS, "every job's result is recorded exactly once (%d of %d)", once,
	    KILL_JOBS);
	st_ok(right == KILL_JOBS, "with bc's right answer (%d of %d)", right, KILL_JOBS);
}

int
main(void)
{
	test_lines();
	test_bigjobs();
	test_pages();
	test_store_basic();
	test_store_errors();
	test_kill_resume();
	clean_dir();
	return st_done();
}
