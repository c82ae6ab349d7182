/* SPDX-License-Identifier: ISC */
/* Target choice for each action: for move, the best-known other host of the array (or,
 * as the thesis did, the next one, wrapping); no wrap for move_up/move_down; the base; the
 * other site. For the policy, hosts backing off after a failed move are passed over; an
 * administrator's action (ignore_backoff) tries them too. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/hosts.h"
#include "core/targets.h"

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

/* How long migrations arriving at name, seen at a look, are believed: as long as the
 * slowest move to it took on average (they have most likely arrived since), or
 * TARGET_HINT_MAX_AGE while no move to it was measured. */
static double
target_arrival_age(const struct host_table *t, const char *name)
{
	double age = 0;

	for (size_t i = 0; i < t->npairs; i++)
		if (strcmp(t->pairs[i].to, name) == 0 && t->pairs[i].mean > age)
			age = t->pairs[i].mean;
	return age > 0 && age < TARGET_HINT_MAX_AGE ? age : TARGET_HINT_MAX_AGE;
}

/* Does the endpoint's fresh view rule name out: too many migrations arriving, or too
 * little free memory for the VM? */
static int
target_fits(const struct target_knowledge *k, const char *name, char *why, size_t len)
{
	const struct host_info *h = hosts_find(k->known, name);
	int64_t need = k->known->vm_memory + k->memory_headroom;

	if (h == NULL || h->hint_time <= 0 || k->now - h->hint_time > TARGET_HINT_MAX_AGE)
		return 1;
	if (h->draining) {
		snprintf(why, len, "%s is being drained by the provider", name);
		return 0;
	}
	if (k->max_incoming > 0 && h->incoming >= k->max_incoming &&
	    k->now - h->hint_time <= target_arrival_age(k->known, name)) {
		snprintf(why, len, "%s has %d migration%s arriving (max_incoming %d)", name,
		    h->incoming, h->incoming == 1 ? "" : "s", k->max_incoming);
		return 0;
	}
	if (k->check_memory && k->known->vm_memory > 0 && h->free_memory >= 0 &&
	    h->free_memory < need) {
		snprintf(why, len, "%s has %.2f GiB free, the VM needs %.2f GiB with memory_headroom",
		    name, (double)h->free_memory / (1 << 30), (double)need / (1 << 30));
		return 0;
	}
	return 1;
}

/* May a move to name be tried now? An administrator's action tries it anyway. */
static int
target_ok(const struct target_knowledge *k, const char *name, char *why, size_t len)
{
	if (k->ignore_backoff) {
		if (len > 0)
			why[0] = '\0';
		return 1;
	}
	return hosts_available(k->known, name, k->now, why, len) &&
	    target_fits(k, name, why, len);
}

static enum target_result
target_pick(const char *name, char *target, size_t tlen)
{
	snprintf(target, tlen, "%s", name);
	return TARGET_CHOSEN;
}

/* A fixed target (the base, move_up, move_down) that may be backing off. */
static enum target_result
target_fixed(const struct target_knowledge *k, const char *name, char *target, size_t tlen,
    char *msg, size_t mlen)
{
	if (k != NULL && k->known != NULL && !target_ok(k, name, msg, mlen))
		return TARGET_WAIT;
	return target_pick(name, target, tlen);
}

/* "h2: mean 31.0 over 1.0 h" for the log line that says why a target was chosen */
static void
target_describe(const struct target_knowledge *k, const char *name, char *buf, size_t len)
{
	const struct host_info *h = hosts_find(k->known, name);
	int known;

	hosts_badness(k->known, name, k->now, &known);
	if (known)
		snprintf(buf, len, "%s: mean %.3g over %.1f h", name, h->mean, h->seconds / 3600);
	else if (h != NULL && h->weight > 0)
		snprintf(buf, len, "%s: last there %.1f h ago, worth a new look", name,
		    (k->now - h->last_seen) / 3600);
	else
		snprintf(buf, len, "%s: nothing known yet", name);
	if (h != NULL && h->hint_time > 0 && h->cpu_idle >= 0) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, ", CPU %.0f%% idle", h->cpu_idle * 100);
	}
	if (h != NULL && h->hint_time > 0 && h->free_memory >= 0) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, ", %.1f GiB free", (double)h->free_memory / (1 << 30));
	}
	if (h != NULL && h->hint_time > 0 && h->incoming > 0) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, ", %d arriving", h->incoming);
	}
}

/* Is a better than b? Unknown (or stale) hosts first, so that knowledge is renewed;
 * among them the one the endpoint says has the most idle CPU; else the lowest promise. */
static int
target_better(const struct target_knowledge *k, const char *a, const char *b)
{
	int ka, kb;
	double ba = hosts_promise(k->known, a, k->now, &ka);
	double bb = hosts_promise(k->known, b, k->now, &kb);

	if (ka != kb)
		return !ka;
	if (!ka) {
		const struct host_info *ha = hosts_find(k->known, a), *hb = hosts_find(k->known, b);
		double ia = ha && ha->hint_time > 0 ? ha->cpu_idle : -1;
		double ib = hb && hb->hint_time > 0 ? hb->cpu_idle : -1;
		return ia > ib + 0.05;
	}
	return ba < bb;
}

/* splitmix64: a VM's draw from its seed and the decision's second */
static uint64_t
target_draw(uint64_t seed, double now)
{
	uint64_t z = seed + (uint64_t)(int64_t)floor(now) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A host the VM just left is passed over unless it promises pingpong_gain over here. */
static int
target_held(const struct target_knowledge *k, const char *here, const char *name, char *why,
    size_t len)
{
	int kt, kh;

	if (k->ignore_backoff || !hosts_held(k->known, name, k->now, why, len))
		return 0;
	double there = hosts_promise(k->known, name, k->now, &kt);
	double stay = hosts_badness(k->known, here, k->now, &kh);
	if (k->pingpong_gain > 0 && kt && kh && there < stay - k->pingpong_gain * fabs(stay))
		return 0;
	return 1;
}

static void
target_append(char *msg, size_t mlen, const char *text)
{
	size_t used = strlen(msg);

	if (used < mlen)
		snprintf(msg + used, mlen - used, "%s%s", used ? "; " : "", text);
}

/* Each candidate as the choice saw it, then the current host. */
static void
target_explain(const struct target_knowledge *k, const char *const *list, size_t n, int cur,
    const char *best, char *why, size_t len)
{
	char line[256];

	for (size_t i = 0; i < n; i++) {
		if ((cur >= 0 && i == (size_t)cur) || !target_ok(k, list[i], line, sizeof(line)))
			continue;
		target_describe(k, list[i], line, sizeof(line));
		if (strcmp(list[i], best) == 0)
			strncat(line, " (chosen)", sizeof(line) - strlen(line) - 1);
		target_append(why, len, line);
	}
	if (cur >= 0) {
		target_describe(k, list[cur], line, sizeof(line));
		strncat(line, " (here)", sizeof(line) - strlen(line) - 1);
		target_append(why, len, line);
	}
}

/* Among the hosts as good as best, one drawn from the VM's seed: known ones within
 * near_best of its learned mean; or, when best is a host nothing is known of, every
 * other such host the endpoint's idle CPU does not tell from it. Otherwise a fleet that
 * leaves one host in the same minute (the base when a nightly batch starts) knows
 * nothing of the array yet and walks it in a herd: all to the first host, then all to
 * the next. */
static const char *
target_near_best(const struct target_knowledge *k, const char *const *ok, size_t nok,
    const char *best)
{
	size_t n = 0;
	int kb, kh;
	double b = hosts_promise(k->known, best, k->now, &kb);

	if (k->near_best <= 0 || nok < 2)
		return best;
	const char *near[nok];
	for (size_t i = 0; i < nok; i++) {
		double p = hosts_promise(k->known, ok[i], k->now, &kh);
		if (kb ? kh && p <= b + k->near_best * fabs(b) :
		    !kh && !target_better(k, best, ok[i]))
			near[n++] = ok[i];
	}
	return n < 2 ? best : near[target_draw(k->seed, k->now) % n];
}

/* Every other host was just left. Going back to the one left last, or to one the VM left
 * for the host it is on, is the A->B->A the hold is there to stop: such hosts are passed
 * over while another is left. */
static void
target_held_fallback(const struct target_knowledge *k, const char *here,
    const char *const *back, size_t nback, const char **ok, size_t *nok)
{
	size_t last = 0;
	int strict;

	for (size_t i = 1; i < nback; i++) {
		const struct host_info *a = hosts_find(k->known, back[i]);
		const struct host_info *b = hosts_find(k->known, back[last]);
		if (a != NULL && b != NULL && a->left_at > b->left_at)
			last = i;
	}
	for (strict = 2; strict >= 0 && *nok == 0; strict--)
		for (size_t i = 0; i < nback; i++) {
			const struct host_info *h = hosts_find(k->known, back[i]);
			int to_here = here != NULL && h != NULL && strcmp(h->left_for, here) == 0;
			if ((strict >= 1 && nback > 1 && i == last) || (strict == 2 && to_here))
				continue;
			ok[(*nok)++] = back[i];
		}
}

/* `move` with what was learned: among the other hosts of the array that are not backing
 * off, nor ruled out by the endpoint's view, nor (learned) just left, walking from the one after
 * current (the thesis's order breaks ties). A host just left is taken only when nothing
 * else is: with two hosts whether to go back at all is damping's question. */
static enum target_result
target_move_known(const struct target_knowledge *k, const char *const *list, size_t n, int cur,
    char *target, size_t tlen, char *msg, size_t mlen)
{
	const char *best = NULL, *ok[n], *back[n], *here = cur >= 0 ? list[cur] : NULL;
	size_t nok = 0, nback = 0;
	char held[1024] = "", line[256];

	for (size_t step = 1; step <= n; step++) {
		const char *h = list[((size_t)(cur < 0 ? -1 : cur) + step) % n];
		if (cur >= 0 && strcmp(h, list[cur]) == 0)
			continue;
		if (!target_ok(k, h, line, sizeof(line))) {
			target_append(held, sizeof(held), line);
			continue;
		}
		/* the thesis's walk goes on to the next host, whichever it left */
		if (k->choice == TARGET_LEARNED && target_held(k, here, h, line, sizeof(line))) {
			back[nback++] = h;
			target_append(held, sizeof(held), line);
			continue;
		}
		ok[nok++] = h;
	}
	if (nok == 0)
		target_held_fallback(k, here, back, nback, ok, &nok);
	for (size_t i = 0; i < nok; i++) {
		if (best == NULL || (k->choice == TARGET_LEARNED && target_better(k, ok[i], best)))
			best = ok[i];
		if (k->choice == TARGET_ROUND_ROBIN)
			break;
	}
	if (best == NULL) {
		snprintf(msg, mlen, "no host to move to: %s", held);
		return TARGET_WAIT;
	}
	if (k->choice == TARGET_LEARNED)
		best = target_near_best(k, ok, nok, best);
	char why[1024] = "";
	if (k->choice == TARGET_LEARNED)
		target_explain(k, list, n, cur, best, why, sizeof(why));
	if (held[0])
		target_append(why, sizeof(why), held);
	/* the thesis's walk says nothing unless it had to pass a host over */
	if (k->choice == TARGET_ROUND_ROBIN)
		snprintf(msg, mlen, "%s%s", why[0] ? "round robin; " : "", why);
	else
		snprintf(msg, mlen, "learned: %s", why);
	return target_pick(best, target, tlen);
}

static enum target_result
target_in_array(const struct topology *t, const struct target_knowledge *k, enum vmm_action a,
    const char *current, char *target, size_t tlen, char *msg, size_t mlen)
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
		if (n == 1 && i == 0) {
			snprintf(msg, mlen, "only one host in the array: nowhere to move");
			return TARGET_NOTHING;
		}
		if (k != NULL && k->known != NULL)
			return target_move_known(k, list, n, i, target, tlen, msg, mlen);
		return target_pick(list[i < 0 ? 0 : ((size_t)i + 1) % n], target, tlen);
	case VMM_ACT_MOVE_UP:
		if (i < 0)
			return target_fixed(k, list[0], target, tlen, msg, mlen);
		if ((size_t)i + 1 >= n) {
			snprintf(msg, mlen, "VM already at best location");
			return TARGET_NOTHING;
		}
		return target_fixed(k, list[i + 1], target, tlen, msg, mlen);
	default: /* VMM_ACT_MOVE_DOWN */
		if (i <= 0) {
			snprintf(msg, mlen, "VM already at least location");
			return TARGET_NOTHING;
		}
		return target_fixed(k, list[i - 1], target, tlen, msg, mlen);
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
	/* the base is a cheap host outside the array: the home site's, unless listed away */
	if (t->base != NULL && strcmp(host, t->base) == 0)
		return 1;
	return -1;
}

/* The first host of the other site that is not backing off. */
static enum target_result
target_first(const struct target_knowledge *k, const char *const *list, size_t n, char *target,
    size_t tlen, char *msg, size_t mlen)
{
	char line[256];

	msg[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (k == NULL || k->known == NULL ||
		    target_ok(k, list[i], line, sizeof(line))) {
			enum target_result r = target_pick(list[i], target, tlen);
			if (msg[0]) {
				snprintf(line, sizeof(line), "%s", msg);
				snprintf(msg, mlen, "skipped: %s", line);
			}
			return r;
		}
		target_append(msg, mlen, line);
	}
	return TARGET_WAIT;
}

static enum target_result
target_site(const struct topology *t, const struct target_knowledge *k, enum vmm_action a,
    const char *current, int at_home, char *target, size_t tlen, int *cross_site, char *msg,
    size_t mlen)
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
		return target_first(k, t->away, t->naway, target, tlen, msg, mlen);
	}
	if (at_home) {
		if (current != NULL && t->base != NULL && strcmp(current, t->base) == 0)
			snprintf(msg, mlen, "Already at the home site (on the base)");
		else
			snprintf(msg, mlen, "Already in home array");
		return TARGET_NOTHING;
	}
	if (nhome == 0) {
		snprintf(msg, mlen, "no home site configured: set home or hosts");
		return TARGET_NONE;
	}
	*cross_site = 1;
	return target_first(k, home, nhome, target, tlen, msg, mlen);
}

enum target_result
target_for(const struct topology *t, const struct target_knowledge *k, enum vmm_action a,
    const char *current, int at_home, char *target, size_t tlen, int *cross_site, char *msg,
    size_t mlen)
{
	*cross_site = 0;
	msg[0] = '\0';
	switch (a) {
	case VMM_ACT_MOVE:
	case VMM_ACT_MOVE_UP:
	case VMM_ACT_MOVE_DOWN:
		return target_in_array(t, k, a, current, target, tlen, msg, mlen);
	case VMM_ACT_MOVE_TO_BASE:
		if (t->base == NULL || *t->base == '\0') {
			snprintf(msg, mlen, "no base configured: set base = \"hostname\"");
			return TARGET_NONE;
		}
		if (current != NULL && strcmp(current, t->base) == 0) {
			snprintf(msg, mlen, "Already at base");
			return TARGET_NOTHING;
		}
		return target_fixed(k, t->base, target, tlen, msg, mlen);
	case VMM_ACT_MOVE_FROM_HOME:
	case VMM_ACT_MOVE_TO_HOME:
		return target_site(t, k, a, current, at_home, target, tlen, cross_site, msg, mlen);
	default:
		snprintf(msg, mlen, "no action");
		return TARGET_NOTHING;
	}
}
