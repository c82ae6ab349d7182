/* SPDX-License-Identifier: ISC */
/* Target choice for every action (thesis Appendix A.2 semantics). */
#include "config.h"

#include "core/hosts.h"
#include "core/targets.h"
#include "tap.h"

static const char *const hosts[] = { "h1", "h2", "h3", NULL };
static const char *const away[] = { "a1", "a2", NULL };
static const struct topology topo = { .hosts = hosts, .nhosts = 3, .base = "base",
	.away = away, .naway = 2 };

static void
expect(enum vmm_action a, const char *cur, int at_home, enum target_result want_rc,
    const char *want)
{
	char target[64] = "", msg[256] = "";
	int cross = -1;
	enum target_result rc = target_for(&topo, NULL, a, cur, at_home, target, sizeof(target), &cross,
	    msg, sizeof(msg));

	TAP_OK(rc == want_rc && (rc == TARGET_CHOSEN ? strcmp(target, want) == 0 : strstr(msg, want) != NULL),
	    "%s from %s: %s (got rc %d, target '%s', msg '%s')", vmm_action_name(a),
	    cur ? cur : "(unknown)", want, rc, target, msg);
}

/* ---- the fleet rules, with a host table ---- */

static const char *const five[] = { "h1", "h2", "h3", "h4", "h5", NULL };
static const struct topology fleet = { .hosts = five, .nhosts = 5, .base = "base" };

static enum target_result
pick(const struct target_knowledge *k, enum vmm_action a, const char *cur, char *target,
    char *msg)
{
	int cross;

	target[0] = msg[0] = '\0';
	return target_for(&fleet, k, a, cur, 1, target, 64, &cross, msg, 1024);
}

/* every host known: h2 best, h3 and h4 within 10 % of it, h5 far behind */
static void
fleet_known(struct host_table *t)
{
	hosts_init(t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	hosts_sample(t, "h1", 50, 1000, 60);
	hosts_sample(t, "h2", 20, 1000, 60);
	hosts_sample(t, "h3", 21, 1000, 60);
	hosts_sample(t, "h4", 21.5, 1000, 60);
	hosts_sample(t, "h5", 40, 1000, 60);
}

/* A fleet with the same hosts and hints spreads over the near-best ones; each VM draws
 * the same again for the same decision time. */
static void
test_near_best(void)
{
	struct host_table t;
	char target[64], msg[1024];
	int seen[6] = { 0 };

	fleet_known(&t);
	struct target_knowledge k = { .known = &t, .choice = TARGET_LEARNED, .now = 1100 };
	pick(&k, VMM_ACT_MOVE, "h1", target, msg);
	TAP_STR(target, "h2", "near_best 0: always the best");
	k.near_best = 0.1;
	for (uint64_t vm = 0; vm < 60; vm++) {
		k.seed = vm * 7919 + 13;
		pick(&k, VMM_ACT_MOVE, "h1", target, msg);
		seen[target[1] - '0']++;
	}
	TAP_OK(seen[2] > 5 && seen[3] > 5 && seen[4] > 5,
	    "60 VMs spread over h2, h3, h4 (%d, %d, %d)", seen[2], seen[3], seen[4]);
	TAP_OK(seen[5] == 0 && seen[1] == 0, "never the far host h5 nor here (%d, %d)", seen[5], seen[1]);
	char again[64];
	k.seed = 42;
	pick(&k, VMM_ACT_MOVE, "h1", target, msg);
	pick(&k, VMM_ACT_MOVE, "h1", again, msg);
	TAP_STR(again, target, "the same VM at the same time draws the same");
	TAP_CONTAINS(msg, " (chosen)", "and says which it chose");
	hosts_free(&t);
}

/* A fleet leaving the base in the same minute, knowing nothing of the array yet, spreads
 * over the hosts nothing is known of instead of walking it in a herd (all to h1, then all
 * to h2); a known host is not among them, nor one whose idle CPU is clearly less. */
static void
test_unknown_spread(void)
{
	struct host_table t;
	char target[64], msg[1024];
	int seen[6] = { 0 };

	hosts_init(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	hosts_sample(&t, "h3", 5, 1000, 60);
	struct target_knowledge k = { .known = &t, .choice = TARGET_LEARNED, .now = 1100 };
	pick(&k, VMM_ACT_MOVE, "base", target, msg);
	TAP_STR(target, "h1", "near_best 0: the first unknown host, in the array's order");
	k.near_best = 0.1;
	for (uint64_t vm = 0; vm < 80; vm++) {
		k.seed = vm * 7919 + 13;
		pick(&k, VMM_ACT_MOVE, "base", target, msg);
		seen[target[1] - '0']++;
	}
	TAP_OK(seen[1] > 8 && seen[2] > 8 && seen[4] > 8 && seen[5] > 8,
	    "80 VMs from the base spread over the unknown h1, h2, h4, h5 (%d, %d, %d, %d)",
	    seen[1], seen[2], seen[4], seen[5]);
	TAP_OK(seen[3] == 0, "unknown hosts still first: never the known h3 (%d)", seen[3]);
	hosts_hint(&t, "h2", -1, 0.9, 1090);
	hosts_hint(&t, "h4", -1, 0.5, 1090);
	memset(seen, 0, sizeof(seen));
	for (uint64_t vm = 0; vm < 80; vm++) {
		k.seed = vm * 7919 + 13;
		pick(&k, VMM_ACT_MOVE, "base", target, msg);
		seen[target[1] - '0']++;
	}
	TAP_OK(seen[2] == 80, "the endpoint says h2 is idlest: every one takes it (%d)", seen[2]);
	hosts_free(&t);
}

/* A host with max_incoming migrations arriving is passed over; a fixed target waits. */
static void
test_incoming(void)
{
	struct host_table t;
	char target[64], msg[1024];

	fleet_known(&t);
	struct target_knowledge k = { .known = &t, .choice = TARGET_LEARNED, .now = 1100,
		.max_incoming = 2 };
	hosts_hint(&t, "h2", (int64_t)8 << 30, 0.5, 1090);
	hosts_hint_incoming(&t, "h2", 1);
	pick(&k, VMM_ACT_MOVE, "h1", target, msg);
	TAP_STR(target, "h2", "one arriving, cap 2: h2 is still the target");
	hosts_hint_incoming(&t, "h2", 2);
	pick(&k, VMM_ACT_MOVE, "h1", target, msg);
	TAP_STR(target, "h3", "two arriving: the next best, h3");
	TAP_CONTAINS(msg, "h2 has 2 migrations arriving (max_incoming 2)", "the choice says why not h2");
	TAP_OK(pick(&k, VMM_ACT_MOVE, "h1", target, msg) == TARGET_CHOSEN, "chosen");
	hosts_hint(&t, "base", (int64_t)8 << 30, 0.5, 1090);
	hosts_hint_incoming(&t, "base", 3);
	TAP_OK(pick(&k, VMM_ACT_MOVE_TO_BASE, "h1", target, msg) == TARGET_WAIT,
	    "the base full of arrivals: move_to_base waits (%s)", msg);
	TAP_CONTAINS(msg, "base has 3 migrations arriving", "saying why");
	k.now = 1090 + TARGET_HINT_MAX_AGE + 1;
	TAP_OK(pick(&k, VMM_ACT_MOVE_TO_BASE, "h1", target, msg) == TARGET_CHOSEN,
	    "a look older than %.0f s is not believed", TARGET_HINT_MAX_AGE);
	k.now = 1100;
	hosts_move_time(&t, "h1", "base", 8);
	TAP_OK(pick(&k, VMM_ACT_MOVE_TO_BASE, "h1", target, msg) == TARGET_CHOSEN,
	    "moves to the base take 8 s: arrivals seen 10 s ago have arrived (%s)", msg);
	k.now = 1097;
	TAP_OK(pick(&k, VMM_ACT_MOVE_TO_BASE, "h1", target, msg) == TARGET_WAIT,
	    "seen 7 s ago, they are still arriving (%s)", msg);
	k.now = 1100;
	k.ignore_backoff = 1;
	TAP_OK(pick(&k, VMM_ACT_MOVE_TO_BASE, "h1", target, msg) == TARGET_CHOSEN,
	    "an administrator's move goes anyway");
	hosts_free(&t);
}

/* A host without the VM's memory and the headroom free is passed over. */
static void
test_memory(void)
{
	struct host_table t;
	char target[64], msg[1024];

	fleet_known(&t);
	struct target_knowledge k = { .known = &t, .choice = TARGET_LEARNED, .now = 1100,
		.check_memory = 1, .memory_headroom = (int64_t)256 << 20 };
	hosts_hint(&t, "h2", (int64_t)2 << 30, 0.5, 1090);
	hosts_hint(&t, "h1", (int64_t)8 << 30, 0.5, 1090);
	pick(&k, VMM_ACT_MOVE, "h1", target, msg);
	TAP_STR(target, "h2", "the VM's memory unknown: no check");
	t.vm_memory = (int64_t)1 << 30;
	pick(&k, VMM_ACT_MOVE, "h1", target, msg);
	TAP_STR(target, "h2", "1 GiB VM, 2 GiB free: h2 fits");
	t.vm_memory = (int64_t)2 << 30;
	pick(&k, VMM_ACT_MOVE, "h1", target, msg);
	TAP_STR(target, "h3", "2 GiB VM, 2 GiB free but 256 MiB headroom: h3");
	TAP_CONTAINS(msg, "h2 has 2.00 GiB free, the VM needs 2.25 GiB with memory_headroom",
	    "the choice says why not h2");
	k.check_memory = 0;
	pick(&k, VMM_ACT_MOVE, "h1", target, msg);
	TAP_STR(target, "h2", "memory_headroom = -1: no check");
	hosts_free(&t);
}

/* A host just left is passed over while another is left, unless it promises much. */
static void
test_hold(void)
{
	struct host_table t;
	char target[64], msg[1024];

	fleet_known(&t);
	struct target_knowledge k = { .known = &t, .choice = TARGET_LEARNED, .now = 1100,
		.pingpong_gain = 0.5 };
	hosts_sample(&t, "h3", 35, 1100, 60); /* here: h3, mean 28 */
	hosts_left(&t, "h2", 1050, 1800, 7200);
	pick(&k, VMM_ACT_MOVE, "h3", target, msg);
	TAP_STR(target, "h4", "h2 left 50 s ago: the next best, h4");
	TAP_CONTAINS(msg, "h2 was left 50 s ago: pingpong_hold 1800 s, 1750 s to go",
	    "the choice says which rule and until when");
	k.now = 1050 + 1801;
	pick(&k, VMM_ACT_MOVE, "h3", target, msg);
	TAP_STR(target, "h2", "after the hold h2 is the best again");
	k.now = 1100;
	for (int i = 0; i < 20; i++)
		hosts_sample(&t, "h3", 200, 1100, 60);
	pick(&k, VMM_ACT_MOVE, "h3", target, msg);
	TAP_STR(target, "h2", "h2 promises more than pingpong_gain over here: back to h2");
	k.pingpong_gain = 0;
	pick(&k, VMM_ACT_MOVE, "h3", target, msg);
	TAP_STR(target, "h4", "pingpong_gain 0: held all the same");
	k.choice = TARGET_ROUND_ROBIN;
	pick(&k, VMM_ACT_MOVE, "h1", target, msg);
	TAP_STR(target, "h2", "round_robin walks on to h2, as the thesis did, left or not");
	hosts_free(&t);

	/* two hosts: going back is the only move, damping's question, not the choice's */
	static const char *const two[] = { "h1", "h2", NULL };
	struct topology pair = { .hosts = two, .nhosts = 2 };
	int cross;
	hosts_init(&t, 86400, 60, 300, VMM_HIGHER_IS_WORSE);
	hosts_left(&t, "h1", 1000, 1800, 7200);
	k = (struct target_knowledge){ .known = &t, .choice = TARGET_LEARNED, .now = 1100 };
	TAP_OK(target_for(&pair, &k, VMM_ACT_MOVE, "h2", 1, target, 64, &cross, msg, 1024) ==
	    TARGET_CHOSEN && strcmp(target, "h1") == 0, "two hosts: back to h1 (%s)", msg);
	hosts_free(&t);
}

/* Every other host held (a VM that tried them all while every host was loaded): not back
 * to the one it left last, the A->B->A the hold is for, even when that one looks best. */
static void
test_all_held(void)
{
	struct host_table t;
	char target[64], msg[1024];

	fleet_known(&t);
	struct target_knowledge k = { .known = &t, .choice = TARGET_LEARNED, .now = 1100 };
	hosts_sample(&t, "h3", 35, 1100, 60);
	hosts_left(&t, "h1", 1010, 1800, 7200);
	hosts_left(&t, "h4", 1020, 1800, 7200);
	hosts_left(&t, "h5", 1030, 1800, 7200);
	hosts_left(&t, "h2", 1090, 1800, 7200); /* the best known, and the one left last */
	pick(&k, VMM_ACT_MOVE, "h3", target, msg);
	TAP_OK(strcmp(target, "h2") != 0, "all held: not back to h2, left last (%s)", target);
	TAP_STR(target, "h4", "the best of the others, h4");
	TAP_CONTAINS(msg, "h2 was left 10 s ago", "the choice says h2 was held");
	/* h4 was left for h3, where the VM is: back there is a ping-pong too */
	hosts_left_for(&t, "h4", "h3");
	pick(&k, VMM_ACT_MOVE, "h3", target, msg);
	TAP_STR(target, "h5", "not back to h4 either, left for h3: h5");
	hosts_left_for(&t, "h1", "h3");
	hosts_left_for(&t, "h5", "h3");
	pick(&k, VMM_ACT_MOVE, "h3", target, msg);
	TAP_STR(target, "h4", "every one left for h3: the best but the one left last, h4");
	hosts_free(&t);
}

int
main(void)
{
	test_near_best();
	test_unknown_spread();
	test_incoming();
	test_memory();
	test_hold();
	test_all_held();

	expect(VMM_ACT_MOVE, "h1", 1, TARGET_CHOSEN, "h2");
	expect(VMM_ACT_MOVE, "h3", 1, TARGET_CHOSEN, "h1");          /* wraps */
	expect(VMM_ACT_MOVE, "base", 1, TARGET_CHOSEN, "h1");        /* never the base */
	expect(VMM_ACT_MOVE, NULL, -1, TARGET_CHOSEN, "h1");
	expect(VMM_ACT_MOVE, "a1", 0, TARGET_CHOSEN, "a2");          /* within the away array */
	expect(VMM_ACT_MOVE_UP, "h2", 1, TARGET_CHOSEN, "h3");
	expect(VMM_ACT_MOVE_UP, "h3", 1, TARGET_NOTHING, "VM already at best location");
	expect(VMM_ACT_MOVE_DOWN, "h2", 1, TARGET_CHOSEN, "h1");
	expect(VMM_ACT_MOVE_DOWN, "h1", 1, TARGET_NOTHING, "VM already at least location");
	expect(VMM_ACT_MOVE_TO_BASE, "h2", 1, TARGET_CHOSEN, "base");
	expect(VMM_ACT_MOVE_TO_BASE, "base", 1, TARGET_NOTHING, "Already at base");
	expect(VMM_ACT_MOVE_FROM_HOME, "h1", 1, TARGET_CHOSEN, "a1");
	expect(VMM_ACT_MOVE_FROM_HOME, "a1", 0, TARGET_NOTHING, "Already out of home array");
	expect(VMM_ACT_MOVE_TO_HOME, "a1", 0, TARGET_CHOSEN, "h1");
	expect(VMM_ACT_MOVE_TO_HOME, "h2", 1, TARGET_NOTHING, "Already in home array");
	expect(VMM_ACT_MOVE_TO_HOME, "x", -1, TARGET_NONE, "location unknown");
	/* the base is a cheap host of the home site: the site moves work from it */
	TAP_OK(target_at_home(&topo, "base") == 1, "the base is at the home site (%d)",
	    target_at_home(&topo, "base"));
	expect(VMM_ACT_MOVE_FROM_HOME, "base", target_at_home(&topo, "base"), TARGET_CHOSEN, "a1");
	expect(VMM_ACT_MOVE_TO_HOME, "base", target_at_home(&topo, "base"), TARGET_NOTHING,
	    "Already at the home site (on the base)");

	const char *const one[] = { "only", NULL };
	struct topology single = { .hosts = one, .nhosts = 1 };
	char target[64], msg[256];
	int cross;
	TAP_OK(target_for(&single, NULL, VMM_ACT_MOVE, "only", 1, target, sizeof(target), &cross, msg,
	    sizeof(msg)) == TARGET_NOTHING, "one host: nowhere to move (%s)", msg);
	struct topology none = { 0 };
	TAP_OK(target_for(&none, NULL, VMM_ACT_MOVE_TO_BASE, "h1", 1, target, sizeof(target), &cross, msg,
	    sizeof(msg)) == TARGET_NONE, "no base configured is an error (%s)", msg);
	TAP_OK(target_at_home(&topo, "h2") == 1 && target_at_home(&topo, "a2") == 0 &&
	    target_at_home(&topo, "zz") == -1, "home, away, neither");
	int c2 = 0;
	target_for(&topo, NULL, VMM_ACT_MOVE_FROM_HOME, "h1", 1, target, sizeof(target), &c2, msg, sizeof(msg));
	TAP_OK(c2 == 1, "a move between sites is cross-site");
	target_for(&topo, NULL, VMM_ACT_MOVE, "h1", 1, target, sizeof(target), &c2, msg, sizeof(msg));
	TAP_OK(c2 == 0, "a move inside the array is not");
	return tap_done();
}
