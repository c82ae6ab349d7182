/* SPDX-License-Identifier: ISC */
/* vmmanage.conf parsing: types, messages with file:line, hints, unknown keys. */
#include "config.h"

#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "core/conf.h"
#include "tap.h"

static struct vmm_conf *
parse(const char *text)
{
	char err[512];
	struct vmm_conf *c = conf_read_string(text, "test.conf", err, sizeof(err));

	if (c == NULL)
		printf("# parse failed: %s\n", err);
	return c;
}

static void
test_numbers(void)
{
	struct vmm_conf *c = parse("threshold=50\nlow=0.5\nbig=9000000000\ns=\"50\"\nb=true\nhuge=6e170\n");
	char err[512];
	double d;
	int64_t i;
	int b;

	TAP_OK(conf_number(c, "threshold", &d, err, sizeof(err)) == 1 && d == 50, "an int is a number");
	TAP_OK(conf_number(c, "low", &d, err, sizeof(err)) == 1 && d == 0.5, "a float is a number");
	TAP_OK(conf_int(c, "big", 0, INT64_MAX, &i, err, sizeof(err)) == 1 && i == 9000000000LL, "past 2^31 without L");
	TAP_OK(conf_int(c, "low", 0, 10, &i, err, sizeof(err)) == -1, "0.5 is not a whole number");
	TAP_OK(conf_int(c, "threshold", 0, 10, &i, err, sizeof(err)) == -1, "out of range refused");
	TAP_CONTAINS(err, "test.conf:1", "range error names file:line");
	TAP_OK(conf_number(c, "s", &d, err, sizeof(err)) == -1, "a quoted number is a string");
	TAP_CONTAINS(err, "test.conf:4: s: expected a number, got a string (write numbers without quotes)", "type error");
	TAP_OK(conf_number(c, "absent", &d, err, sizeof(err)) == 0, "absent is 0");
	TAP_OK(conf_int(c, "huge", 0, 100, &i, err, sizeof(err)) == -1, "6e170 is no whole number in range");
	TAP_CONTAINS(err, "out of range", "says so");
	TAP_OK(conf_bool(c, "b", &b, err, sizeof(err)) == 1 && b == 1, "bool");
	TAP_OK(conf_bool(c, "s", &b, err, sizeof(err)) == -1, "a string is not a bool");
	conf_free(c);
}

static void
test_strings(void)
{
	struct vmm_conf *c = parse("hosts=[\"h1\",\"h2\"]\nwords=\"a b  c\"\nbase=3\nmixed=(\"x\", 2)\n");
	char err[512];
	const char **l = NULL, *s = NULL;
	size_t n = 0;

	TAP_OK(conf_strings(c, "hosts", &l, &n, err, sizeof(err)) == 1 && n == 2 &&
	    strcmp(l[0], "h1") == 0 && strcmp(l[1], "h2") == 0 && l[2] == NULL, "array of strings");
	free(l);
	TAP_OK(conf_strings(c, "words", &l, &n, err, sizeof(err)) == 1 && n == 3 &&
	    strcmp(l[2], "c") == 0, "one string splits at white space");
	free(l);
	TAP_OK(conf_strings(c, "mixed", &l, &n, err, sizeof(err)) == 1 && n == 2 &&
	    strcmp(l[1], "2") == 0, "a list with a number");
	free(l);
	TAP_OK(conf_string(c, "base", &s, err, sizeof(err)) == 1 && strcmp(s, "3") == 0,
	    "a number where a name is meant (legacy base = 3)");
	conf_free(c);
}

static void
test_syntax_hint(void)
{
	char path[] = "/tmp/vmm-conf-XXXXXX", err[512];
	int fd = mkstemp(path);

	TAP_OK(fd >= 0, "temp file");
	dprintf(fd, "#configuration file for queue processing\ndaemon_interval=120\nthreshold=2\nbigjobs=grade a\n");
	close(fd);
	TAP_OK(conf_read(path, err, sizeof(err)) == NULL, "Listing 3.9 as printed does not parse");
	TAP_CONTAINS(err, ":4: syntax error", "names the line");
	TAP_CONTAINS(err, "strings need double quotes: write bigjobs = \"grade a\"", "and how to mend it");
	unlink(path);
	TAP_OK(conf_read("/nonexistent/vmm.conf", err, sizeof(err)) == NULL, "a missing file fails");
	TAP_CONTAINS(err, "/nonexistent/vmm.conf", "naming it");
	TAP_OK(parse("grp = { a = 1; };\n") == NULL, "a group is refused (flat keys only)");
}

static int warned;
static char warned_msg[512];

static void
count_warn(const char *msg)
{
	warned++;
	snprintf(warned_msg, sizeof(warned_msg), "%s", msg);
}

/* A registry as setup builds it: the threshold policy in use, base, schedule and site
 * installed beside it, and the queue sensor. */
static void
test_registry(struct conf_keyreg *r)
{
	static const char *const threshold[] = { "threshold", "tarry", NULL };
	static const char *const base[] = { "threshold", "lowtarry", NULL };
	static const char *const schedule[] = { "lowtarry", "workstart", NULL };
	static const char *const site[] = { "bigjobs", NULL };
	static const char *const queue[] = { "bigjobs", "queue_url", NULL };

	memset(r, 0, sizeof(*r));
	TAP_OK(conf_keyreg_add(r, "policy", "threshold", threshold, 1) == 0 &&
	    conf_keyreg_add(r, "policy", "schedule", schedule, 0) == 0 &&
	    conf_keyreg_add(r, "policy", "base", base, 0) == 0 &&
	    conf_keyreg_add(r, "policy", "site", site, 0) == 0 &&
	    conf_keyreg_add(r, "sensor", "queue", queue, 0) == 0 &&
	    conf_keyreg_add(r, "policy", "base", site, 0) == 0 && r->n == 5,
	    "a registry of the modules' own keys (a module added twice counts once)");
}

static void
test_unknown_keys(void)
{
	struct vmm_conf *c = parse("threshold=1\ntreshold=2\n");
	struct conf_keyreg r;
	char err[512] = "", owners[256];

	test_registry(&r);
	TAP_OK(conf_check_keys(c, &r, NULL, err, sizeof(err)) == -1, "a typo is an error");
	TAP_CONTAINS(err, "test.conf:2: unknown key 'treshold' (did you mean 'threshold'?)", "with a suggestion");
	conf_free(c);
	c = parse("threshold=1\nlowtarry=3\n");
	TAP_OK(conf_check_keys(c, &r, NULL, err, sizeof(err)) == 0,
	    "a key of a policy not in use is no error (a warning)");
	conf_free(c);

	/* the core's keys come from src/core/keys.c: no caller lists them */
	c = parse("threshold=1\ndaemon_interval=60\nefficacy_window=3\nlowtarry=3\n");
	warned = 0;
	warned_msg[0] = '\0';
	int rc = conf_check_keys(c, &r, count_warn, err, sizeof(err));
	TAP_OK(rc == 0 && warned == 1, "the core's keys are in use without being passed (%d warnings)",
	    warned);
	TAP_CONTAINS(warned_msg, "lowtarry is read by the base and schedule policies, which this configuration does not use",
	    "only the inactive policy's key warns, naming the modules that read it");
	conf_free(c);
	c = parse("daemon_intervall=60\n");
	TAP_OK(conf_check_keys(c, NULL, NULL, err, sizeof(err)) == -1, "a core key's typo is an error");
	TAP_CONTAINS(err, "(did you mean 'daemon_interval'?)", "suggesting the core key");
	conf_free(c);
	c = parse("queue_ur=1\n");
	TAP_OK(conf_check_keys(c, &r, NULL, err, sizeof(err)) == -1, "a typo of an unused module's key is an error");
	TAP_CONTAINS(err, "(did you mean 'queue_url'?)", "suggesting that module's key");
	conf_free(c);

	conf_keyreg_owners(&r, "bigjobs", owners, sizeof(owners));
	TAP_STR(owners, "the site policy and the queue sensor", "readers of two kinds");
	conf_keyreg_owners(&r, "threshold", owners, sizeof(owners));
	TAP_STR(owners, "the base policy", "a module in use is not among them");
	TAP_OK(conf_keyreg_owners(&r, "tarry", owners, sizeof(owners)) == 0 && owners[0] == '\0',
	    "a key only the module in use reads has no other reader");
	conf_keyreg_free(&r);
}

static void
test_fingerprint_private(void)
{
	struct vmm_conf *a = parse("x=1\ny=\"s\"\n"), *b = parse("y=\"s\"\nx=1.0\n");
	const char *const keys[] = { "x", "y", NULL };
	char *fa = conf_fingerprint(a, keys), *fb = conf_fingerprint(b, keys);

	TAP_OK(strcmp(fa, fb) != 0, "1 and 1.0 differ in type: the fingerprint says changed");
	free(fb);
	conf_free(b);
	b = parse("y=\"s\"\nx=1\n");
	fb = conf_fingerprint(b, keys);
	TAP_STR(fa, fb, "same values in another order: same fingerprint");
	free(fa);
	free(fb);
	conf_free(a);
	conf_free(b);

	char path[] = "/tmp/vmm-secret-XXXXXX", err[512];
	int fd = mkstemp(path);
	close(fd);
	chmod(path, 0644);
	TAP_OK(conf_check_private(path, "mysql_option_file", err, sizeof(err)) == -1, "world-readable secret refused");
	TAP_CONTAINS(err, "readable by others: run chmod go-rwx", "says how to mend");
	chmod(path, 0640);
	TAP_OK(conf_check_private(path, "mysql_option_file", err, sizeof(err)) == -1, "group-readable secret refused");
	TAP_CONTAINS(err, "readable by its group", "says so");
	chmod(path, 0600);
	TAP_OK(conf_check_private(path, "mysql_option_file", err, sizeof(err)) == 0, "0600 accepted");
	if (geteuid() == 0) {
		/* as root: a file another user owns could be rewritten by that user */
		TAP_OK(chown(path, 65534, (gid_t)-1) == 0 &&
		    conf_check_private(path, "k", err, sizeof(err)) == -1, "another user's file refused");
		TAP_CONTAINS(err, "owned by uid 65534, neither root nor this daemon's user: run chown root",
		    "says how to mend");
		TAP_OK(chown(path, 0, (gid_t)-1) == 0, "back to root");
	}
	char link[64];
	snprintf(link, sizeof(link), "%s.link", path);
	TAP_OK(symlink(path, link) == 0, "a symbolic link to it");
	TAP_OK(conf_check_private(link, "mysql_option_file", err, sizeof(err)) == -1, "is refused");
	TAP_CONTAINS(err, "symbolic link", "saying why");
	unlink(link);
	unlink(path);
	TAP_OK(mkdir(path, 0700) == 0 && conf_check_private(path, "k", err, sizeof(err)) == -1,
	    "a directory is refused");
	TAP_CONTAINS(err, "not a regular file", "saying why");
	rmdir(path);
}

int
main(void)
{
	test_numbers();
	test_strings();
	test_syntax_hint();
	test_unknown_keys();
	test_fingerprint_private();
	return tap_done();
}
