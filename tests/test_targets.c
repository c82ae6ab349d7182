/* SPDX-License-Identifier: ISC */
/* Target choice for every action (thesis Appendix A.2 semantics). */
#include "config.h"

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

int
main(void)
{
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
