/* Target choice for each action: next in the array (wrapping) for move, no wrap for
 * move_up/move_down, the base, or the other site. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "targets.h"

static int
target_index(const char *const *list, size_t n, const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return (int)i;
	return -1;
}

/* The array the VM is in now: the away site when it is there, else `hosts`. */
static void
target_array(const struct topology *t, const char *current, const char *const **list, size_t *n)
{
	if (t->naway > 0 && target_index(t->away, t->naway, current) >= 0) {
		*list = t->away;
		*n = t->naway;
	} else if (t->nhosts == 0 && t->nhome > 0) {
		*list = t->home;
		*n = t->nhome;
	} else {
		*list = t->hosts;
		*n = t->nhosts;
	}
}

static enum target_result
target_pick(const char *name, char *target, size_t tlen)
{
	snprintf(target, tlen, "%s", name);
	return TARGET_CHOSEN;
}

static enum target_result
target_in_array(const struct topology *t, enum vmm_action a, const char *current, char *target,
    size_t tlen, char *msg, size_t mlen)
{
	const char *const *list;
	size_t n;

	target_array(t, current, &list, &n);
	if (n == 0) {
		snprintf(msg, mlen, "no hosts configured: set hosts = [\"h1\", \"h2\"]");
		return TARGET_NONE;
	}
	int i = target_index(list, n, current);
	switch (a) {
	case VMM_ACT_MOVE:
		if (i < 0)
			return target_pick(list[0], target, tlen);
		if (n == 1) {
			snprintf(msg, mlen, "only one host in the array: nowhere to move");
			return TARGET_NOTHING;
		}
		return target_pick(list[((size_t)i + 1) % n], target, tlen);
	case VMM_ACT_MOVE_UP:
		if (i < 0)
			return target_pick(list[0], target, tlen);
		if ((size_t)i + 1 >= n) {
			snprintf(msg, mlen, "VM already at best location");
			return TARGET_NOTHING;
		}
		return target_pick(list[i + 1], target, tlen);
	default: /* VMM_ACT_MOVE_DOWN */
		if (i <= 0) {
			snprintf(msg, mlen, "VM already at least location");
			return TARGET_NOTHING;
		}
		return target_pick(list[i - 1], target, tlen);
	}
}

int
target_at_home(const struct topology *t, const char *host)
{
	const char *const *home = t->nhome ? t->home : t->hosts;
	size_t nhome = t->nhome ? t->nhome : t->nhosts;

	if (host == NULL || *host == '\0')
		return -1;
	if (target_index(home, nhome, host) >= 0)
		return 1;
	if (target_index(t->away, t->naway, host) >= 0)
		return 0;
	return -1;
}

static enum target_result
target_site(const struct topology *t, enum vmm_action a, int at_home, char *target, size_t tlen,
    int *cross_site, char *msg, size_t mlen)
{
	const char *const *home = t->nhome ? t->home : t->hosts;
	size_t nhome = t->nhome ? t->nhome : t->nhosts;

	if (at_home < 0) {
		snprintf(msg, mlen, "location unknown: cannot tell home from away");
		return TARGET_NONE;
	}
	if (a == VMM_ACT_MOVE_FROM_HOME) {
		if (!at_home) {
			snprintf(msg, mlen, "Already out of home array");
			return TARGET_NOTHING;
		}
		if (t->naway == 0) {
			snprintf(msg, mlen, "no away site configured: set away = [\"h\"]");
			return TARGET_NONE;
		}
		*cross_site = 1;
		return target_pick(t->away[0], target, tlen);
	}
	if (at_home) {
		snprintf(msg, mlen, "Already in home array");
		return TARGET_NOTHING;
	}
	if (nhome == 0) {
		snprintf(msg, mlen, "no home site configured: set home or hosts");
		return TARGET_NONE;
	}
	*cross_site = 1;
	return target_pick(home[0], target, tlen);
}

enum target_result
target_for(const struct topology *t, enum vmm_action a, const char *current, int at_home,
    char *target, size_t tlen, int *cross_site, char *msg, size_t mlen)
{
	*cross_site = 0;
	msg[0] = '\0';
	switch (a) {
	case VMM_ACT_MOVE:
	case VMM_ACT_MOVE_UP:
	case VMM_ACT_MOVE_DOWN:
		return target_in_array(t, a, current, target, tlen, msg, mlen);
	case VMM_ACT_MOVE_TO_BASE:
		if (t->base == NULL || *t->base == '\0') {
			snprintf(msg, mlen, "no base configured: set base = \"hostname\"");
			return TARGET_NONE;
		}
		if (current != NULL && strcmp(current, t->base) == 0) {
			snprintf(msg, mlen, "Already at base");
			return TARGET_NOTHING;
		}
		return target_pick(t->base, target, tlen);
	case VMM_ACT_MOVE_FROM_HOME:
	case VMM_ACT_MOVE_TO_HOME:
		return target_site(t, a, at_home, target, tlen, cross_site, msg, mlen);
	default:
		snprintf(msg, mlen, "no action");
		return TARGET_NOTHING;
	}
}
