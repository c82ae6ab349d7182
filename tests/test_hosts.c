/* SPDX-License-Identifier: ISC */
/* What the agent learns of hosts, and how target choice uses it: backoff after failed
 * moves (doubling, capped, permanent), learned choice vs the thesis's round robin, the
 * T_M table, and state_dir/hosts surviving a restart and damage. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/hosts.h"
#include "core/targets.h"
#include "tap.h"

static const char *const array[] = { "h1", "h2", "h3", "h4", NULL };
static const struct topology topo = { .hosts = array, .nhosts = 4, .base = "base" };

static enum target_result
choose(const struct host_table *t, enum target_choice c, double now, enum vmm_action a,
    const char *cur, char *target, char *msg)
{
	struct target_knowledge k = { .known = t, .choice = c, .now = now };
	int cross;

	target[0] = msg[0] = '\0';
	return target_for(&topo, &k, a, cur, 1, target, 64, &cross, msg, 1024);
}

/* Names are looked up in short keys beside the table: every length must find its own
 * record, and only it. */
static void
test_names(void)
{
	static const char *const names[] = { "h1", "h10", "h1x", "a-host-name-15c", "a-host-name-16ch",
		"a-host-name-15d", "a-host-name-16ci", "h2", "h3", "h4", "h5", "h6", "h7",
		"a-name-of-127-characters-------------------------------------------------------"
		"-----------------------------------------------", NULL };
	struct host_table t;
	size_t n = 0, bad = 0;

	hosts_init(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	for (const char *const *p = names; *p != NULL; p++, n++) {
		struct host_info *h = hosts_get(&t, *p);
		bad += h == NULL || strcmp(h->name, *p) != 0;
		h->seconds = (double)n;
	}
	TAP_OK(bad == 0 && t.nhosts == n, "%zu names, %zu records (%zu wrong)", n, t.nhosts, bad);
	bad = 0;
	for (size_t i = 0; i < n; i++) {
		const struct host_info *h = hosts_find(&t, names[i]);
		bad += h == NULL || h->seconds != (double)i || hosts_get(&t, names[i]) != h;
	}
	TAP_OK(bad == 0 && t.nhosts == n, "each found again, as itself (%zu wrong, %zu records)", bad, t.nhosts);
	TAP_OK(hosts_find(&t, "h") == NULL && hosts_find(&t, "h1y") == NULL && hosts_find(&t, "") == NULL &&
	    hosts_find(&t, "a-host-name-16c") == NULL && hosts_find(&t, "a-host-name-16chx") == NULL &&
	    hosts_find(&t, "a-host-name-15") == NULL && hosts_find(&t, NULL) == NULL,
	    "no prefix, extension or other name finds one");
	hosts_free(&t);
}

static void
test_backoff(void)
{
	struct host_table t;
	char why[256];

	hosts_init(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	TAP_OK(hosts_available(&t, "h2", 1000, why, sizeof(why)), "an unknown host may be tried");
	TAP_OK(hosts_failed(&t, "h2", 0, "connection refused", 1000) == 60, "first failure: wait 60 s");
	TAP_OK(!hosts_available(&t, "h2", 1059, why, sizeof(why)), "h2 waits: %s", why);
	TAP_CONTAINS(why, "connection refused", "the wait says why");
	TAP_OK(hosts_available(&t, "h2", 1060, why, sizeof(why)), "h2 may be tried after 60 s");
	TAP_OK(hosts_failed(&t, "h2", 0, "refused", 1060) == 120, "second failure: 120 s");
	TAP_OK(hosts_failed(&t, "h2", 0, "refused", 1180) == 240, "third: 240 s");
	TAP_OK(hosts_failed(&t, "h2", 0, "refused", 1420) == 300, "fourth: capped at 300 s");
	TAP_OK(hosts_failed(&t, "h2", 0, "refused", 1720) == 300, "fifth: still 300 s");
	hosts_succeeded(&t, "h2");
	TAP_OK(hosts_available(&t, "h2", 1721, why, sizeof(why)) && hosts_find(&t, "h2")->failures == 0,
	    "a success forgets the failures");
	TAP_OK(hosts_failed(&t, "h2", 0, "refused", 2000) == 60, "and the next failure starts at 60 s again");
	TAP_OK(hosts_failed(&t, "h3", 1, "unsupported", 2000) < 0, "a permanent failure has no retry time");
	TAP_OK(!hosts_available(&t, "h3", 1e9, why, sizeof(why)), "h3 is passed over for good: %s", why);
	TAP_CONTAINS(why, "reload", "and says how to mend it");
	hosts_configure(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	TAP_OK(hosts_available(&t, "h3", 2001, why, sizeof(why)), "a reload forgets permanent failures");
	hosts_free(&t);
}

static void
test_learning(void)
{
	struct host_table t;
	int known;

	hosts_init(&t, 3600, 60, 300, VMM_HIGHER_IS_WORSE);
	for (int i = 0; i < 10; i++)
		hosts_sample(&t, "h1", 50, 1000 + i * 60, 60);
	TAP_OK(fabs(hosts_find(&t, "h1")->mean - 50) < 1e-9, "a steady 50 has mean 50");
	TAP_OK(hosts_find(&t, "h1")->seconds == 600, "ten samples of 60 s are 600 s there");
	hosts_badness(&t, "h1", 1540, &known);
	TAP_OK(known, "h1 is known right after");
	hosts_badness(&t, "h1", 1540 + 3601, &known);
	TAP_OK(!known, "and stale once memory has passed");
	/* newer samples weigh more than old ones */
	for (int i = 0; i < 10; i++)
		hosts_sample(&t, "h2", 100, 1000 + i * 60, 60);
	for (int i = 0; i < 10; i++)
		hosts_sample(&t, "h2", 0, 10000 + i * 60, 60);
	TAP_OK(hosts_find(&t, "h2")->mean < 20, "old bad samples fade: mean %.2f", hosts_find(&t, "h2")->mean);
	hosts_free(&t);

	hosts_init(&t, 3600, 60, 300, VMM_LOWER_IS_WORSE);
	hosts_sample(&t, "h1", 2, 1000, 60);   /* 2 idle workers: bad */
	hosts_sample(&t, "h2", 40, 1000, 60);  /* 40 idle workers: good */
	double b1 = hosts_badness(&t, "h1", 1000, &known), b2 = hosts_badness(&t, "h2", 1000, &known);
	TAP_OK(b2 < b1, "lower_is_worse: more idle workers is less bad (%g < %g)", b2, b1);
	hosts_free(&t);
}

static void
test_choice(void)
{
	struct host_table t;
	char target[64], msg[1024];

	hosts_init(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	/* nothing known: unknown hosts first, in the thesis's order */
	TAP_OK(choose(&t, TARGET_LEARNED, 1000, VMM_ACT_MOVE, "h1", target, msg) == TARGET_CHOSEN &&
	    strcmp(target, "h2") == 0, "nothing known: h2 after h1 (%s)", target);
	hosts_sample(&t, "h1", 40, 1000, 60);
	hosts_sample(&t, "h2", 30, 1000, 60);
	hosts_sample(&t, "h3", 5, 1000, 60);
	TAP_OK(choose(&t, TARGET_LEARNED, 1100, VMM_ACT_MOVE, "h1", target, msg) == TARGET_CHOSEN &&
	    strcmp(target, "h4") == 0, "an unknown host is tried before the known ones (%s)", target);
	TAP_CONTAINS(msg, "h4: nothing known yet (chosen)", "the choice says why");
	hosts_sample(&t, "h4", 20, 1100, 60);
	TAP_OK(choose(&t, TARGET_LEARNED, 1200, VMM_ACT_MOVE, "h1", target, msg) == TARGET_CHOSEN &&
	    strcmp(target, "h3") == 0, "all known: the lowest mean, h3 (%s)", target);
	TAP_CONTAINS(msg, "h3: mean 5 over 0.0 h (chosen)", "the reason names h3's mean");
	TAP_CONTAINS(msg, "h2: mean 30", "and the others'");
	TAP_CONTAINS(msg, "h1: mean 40 over 0.0 h (here)", "and the current host's");
	TAP_OK(choose(&t, TARGET_ROUND_ROBIN, 1200, VMM_ACT_MOVE, "h1", target, msg) == TARGET_CHOSEN &&
	    strcmp(target, "h2") == 0, "round_robin ignores what was learned: h2");
	/* a failed target is skipped, the next one tried */
	hosts_failed(&t, "h3", 0, "connection refused", 1200);
	TAP_OK(choose(&t, TARGET_LEARNED, 1210, VMM_ACT_MOVE, "h1", target, msg) == TARGET_CHOSEN &&
	    strcmp(target, "h4") == 0, "h3 backing off: the next best, h4 (%s)", target);
	TAP_CONTAINS(msg, "h3 is backing off", "the choice says h3 was passed over");
	hosts_failed(&t, "h2", 0, "connection refused", 1200);
	TAP_OK(choose(&t, TARGET_ROUND_ROBIN, 1210, VMM_ACT_MOVE, "h1", target, msg) == TARGET_CHOSEN &&
	    strcmp(target, "h4") == 0, "round_robin skips h2 and h3 too: h4 (%s)", target);
	hosts_failed(&t, "h4", 0, "timeout", 1200);
	TAP_OK(choose(&t, TARGET_LEARNED, 1210, VMM_ACT_MOVE, "h1", target, msg) == TARGET_WAIT,
	    "every other host backing off: wait (%s)", msg);
	struct target_knowledge admin = { .known = &t, .choice = TARGET_LEARNED, .now = 1210, .ignore_backoff = 1 };
	int cross;
	TAP_OK(target_for(&topo, &admin, VMM_ACT_MOVE, "h1", 1, target, 64, &cross, msg, 1024) == TARGET_CHOSEN,
	    "an administrator's move tries a backing-off host anyway (%s)", target);
	TAP_OK(choose(&t, TARGET_LEARNED, 1261, VMM_ACT_MOVE, "h1", target, msg) == TARGET_CHOSEN,
	    "after the backoff the hosts are tried again (%s)", target);
	hosts_failed(&t, "base", 0, "no route to host", 1300);
	TAP_OK(choose(&t, TARGET_LEARNED, 1310, VMM_ACT_MOVE_TO_BASE, "h1", target, msg) == TARGET_WAIT,
	    "the base backing off: move_to_base waits (%s)", msg);
	/* hints break ties among unknown hosts */
	hosts_free(&t);
	hosts_init(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	hosts_hint(&t, "h2", 1 << 30, 0.10, 1000);
	hosts_hint(&t, "h3", 1 << 30, 0.90, 1000);
	TAP_OK(choose(&t, TARGET_LEARNED, 1000, VMM_ACT_MOVE, "h1", target, msg) == TARGET_CHOSEN &&
	    strcmp(target, "h3") == 0, "nothing learned: the host with the most idle CPU, h3 (%s)", msg);
	hosts_free(&t);
}

/* The hold after leaving a host doubles when the VM leaves it again soon, up to the max. */
static void
test_left(void)
{
	struct host_table t;
	char why[256];

	hosts_init(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	TAP_OK(!hosts_held(&t, "h1", 1000, why, sizeof(why)), "never left: not held");
	TAP_OK(hosts_left(&t, "h1", 1000, 600, 2000) == 600, "left once: 600 s");
	TAP_OK(hosts_held(&t, "h1", 1599, why, sizeof(why)), "held until then: %s", why);
	TAP_OK(!hosts_held(&t, "h1", 1600, why, sizeof(why)), "and no longer");
	TAP_OK(hosts_left(&t, "h1", 2000, 600, 2000) == 1200, "left again within twice the hold: 1200 s");
	TAP_OK(hosts_left(&t, "h1", 3500, 600, 2000) == 2000, "and again: capped at 2000 s");
	TAP_OK(hosts_left(&t, "h1", 3500 + 2 * 2000 + 1, 600, 2000) == 600,
	    "left again long after: back to 600 s");
	TAP_OK(hosts_left(&t, "h2", 1000, 0, 2000) == 0 && !hosts_held(&t, "h2", 1000, why, sizeof(why)),
	    "pingpong_hold 0: no hold");
	hosts_free(&t);
}

/* A host the VM left because it got bad promises no better than its last samples, for
 * about an hour: its mean, from the good hours before, does not call the VM back at once. */
static void
test_promise(void)
{
	struct host_table t;
	int known;

	hosts_init(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	for (int i = 0; i < 60; i++)
		hosts_sample(&t, "h1", 10, 3600 + i * 60, 60); /* a good hour on h1 */
	for (int i = 0; i < 3; i++)
		hosts_sample(&t, "h1", 60, 7200 + i * 60, 60); /* then bad: the VM leaves */
	double mean = hosts_find(&t, "h1")->mean;
	double left = hosts_promise(&t, "h1", 7320, &known);
	TAP_OK(known && mean < 15 && left > 35, "just left: h1 promises its last samples (%.1f), not its mean (%.1f)",
	    left, mean);
	double later = hosts_promise(&t, "h1", 7320 + 6 * 3600, &known);
	TAP_OK(known && later < mean + 1, "six hours on: its mean again (%.1f)", later);
	/* however late the samples come, a stay's last samples are its own */
	hosts_left(&t, "h1", 7330, 0, 0);
	hosts_sample(&t, "h1", 5, 7400, 60);
	TAP_OK(hosts_find(&t, "h1")->recent == 5, "back on h1: its recent level starts afresh (%.1f)",
	    hosts_find(&t, "h1")->recent);
	hosts_sample(&t, "h1", 9, 7400 + 3600, 60);
	TAP_OK(fabs(hosts_find(&t, "h1")->recent - 6.2) < 1e-9, "and a late sample of the same stay adds to it (%.2f)",
	    hosts_find(&t, "h1")->recent);
	for (int i = 0; i < 3; i++)
		hosts_sample(&t, "h2", 10, 7200 + i * 60, 60);
	TAP_OK(hosts_promise(&t, "h2", 7320, &known) == hosts_find(&t, "h2")->mean,
	    "a host whose last samples were no worse than its mean promises its mean");
	hosts_free(&t);
}

static void
test_file(void)
{
	struct host_table t, u;
	char dir[] = "/tmp/test_hosts.XXXXXX", err[256], path[300];
	size_t skipped = 99;

	TAP_OK(mkdtemp(dir) != NULL, "temp dir");
	hosts_init(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	hosts_sample(&t, "h1", 12.5, 1000, 60);
	hosts_failed(&t, "h2", 0, "refused", 1000);
	hosts_move_time(&t, "h1", "h2", 3.0);
	hosts_move_time(&t, "h1", "h2", 5.0);
	hosts_get(&t, "bad\tname");
	TAP_OK(hosts_save(&t, dir, err, sizeof(err)) == 0, "saved (%s)", err);
	hosts_init(&u, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	TAP_OK(hosts_load(&u, dir, &skipped, err, sizeof(err)) == 0 && skipped == 0, "loaded, nothing skipped");
	const struct host_info *h = hosts_find(&u, "h1");
	TAP_OK(h && h->mean == 12.5 && h->seconds == 60 && h->last_seen == 1000, "h1's learning survives");
	h = hosts_find(&u, "h2");
	TAP_OK(h && h->failures == 1 && h->retry_at == 1060, "h2's backoff survives a restart");
	const struct move_time *m = hosts_move_time_get(&u, "h1", "h2");
	TAP_OK(m && m->count == 2 && m->mean == 4.0 && m->last == 5.0, "T_M h1 -> h2: 2 moves, mean 4 s");
	TAP_OK(hosts_find(&u, "bad\tname") == NULL, "a name with a tab is not written");
	hosts_free(&u);

	snprintf(path, sizeof(path), "%s/hosts", dir);
	FILE *f = fopen(path, "a");
	fputs("host\th9\tnot-a-number\t1\t1\t1\t0\t0\nmove\th1\n\x01garbage\nhost\th8\t1\t1\t60\t5\t0\t0\n", f);
	fclose(f);
	hosts_init(&u, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	int rc = hosts_load(&u, dir, &skipped, err, sizeof(err));
	TAP_OK(rc == 0 && skipped == 3, "three damaged lines skipped (%zu)", skipped);
	TAP_OK(hosts_find(&u, "h8") != NULL && hosts_find(&u, "h9") == NULL && hosts_find(&u, "h1") != NULL,
	    "the good lines around them still load");
	hosts_free(&u);
	hosts_free(&t);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_names();
	test_backoff();
	test_learning();
	test_choice();
	test_left();
	test_promise();
	test_file();
	return tap_done();
}
