/* SPDX-License-Identifier: ISC */
/* What the agent learned about each host. The thesis could not tell a good host from a
 * bad one (its section 5.2) and kept asking a management server that was down; this table
 * remembers both, and the T_M of each move. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hosts.h"

void
hosts_init(struct host_table *t, double memory, double backoff, double backoff_max,
    enum vmm_direction direction)
{
	memset(t, 0, sizeof(*t));
	t->vm_memory = -1;
	hosts_configure(t, memory, backoff, backoff_max, direction);
}

void
hosts_configure(struct host_table *t, double memory, double backoff, double backoff_max,
    enum vmm_direction direction)
{
	t->memory = memory > 0 ? memory : 86400;
	t->decay = 0; /* hosts_sample's exp was for the old memory */
	t->backoff = backoff > 0 ? backoff : 60;
	t->backoff_max = backoff_max >= t->backoff ? backoff_max : t->backoff;
	if (direction != t->direction)
		for (size_t i = 0; i < t->nhosts; i++)
			t->hosts[i].weight = 0; /* a mean of the other indicator means nothing now */
	t->direction = direction;
	for (size_t i = 0; i < t->nhosts; i++)
		t->hosts[i].permanent = 0;
}

void
hosts_free(struct host_table *t)
{
	free(t->hosts);
	free(t->pairs);
	free(t->keys);
	hostday_free(&t->day);
	t->hosts = NULL;
	t->pairs = NULL;
	t->keys = NULL;
	t->nhosts = t->npairs = t->nkeys = 0;
}

/* strcmp(a, b) == 0 inline: host names are short and differ early, and this runs a few
 * times each cycle of every simulated VM, where libc's call cost more than the loop. */
static inline int
hosts_same(const char *a, const char *b)
{
	while (*a != '\0' && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static long
hosts_index(const struct host_table *t, const char *name)
{
	if (name == NULL)
		return -1;
	size_t len = strlen(name);
	int keyed = t->nkeys == t->nhosts;
	if (keyed && len > 0 && len < sizeof(t->keys->name)) {
		/* a short name can only be a short key's: compared whole, zeros after it */
		struct host_key q;
		memset(&q, 0, sizeof(q));
		memcpy(q.name, name, len);
		for (size_t i = 0; i < t->nhosts; i++)
			if (memcmp(&t->keys[i], &q, sizeof(q)) == 0)
				return (long)i;
		return -1;
	}
	for (size_t i = 0; i < t->nhosts; i++)
		if ((!keyed || t->keys[i].name[0] == '\0') && hosts_same(t->hosts[i].name, name))
			return (long)i;
	return -1;
}

/* The key of the record just appended (hosts_get only appends; nothing removes or
 * reorders records). Without memory for it the keys are no longer used. */
static void
hosts_key_new(struct host_table *t, const char *name)
{
	struct host_key *k;

	if (t->nkeys + 1 != t->nhosts)
		return;
	if ((k = realloc(t->keys, t->nhosts * sizeof(*k))) == NULL)
		return;
	t->keys = k;
	k = &t->keys[t->nkeys++];
	memset(k, 0, sizeof(*k));
	if (strlen(name) < sizeof(k->name))
		memcpy(k->name, name, strlen(name));
}

const struct host_info *
hosts_find(const struct host_table *t, const char *name)
{
	long i = hosts_index(t, name);

	return i < 0 ? NULL : &t->hosts[i];
}

/* name is the record's at i (its short key, or its name when the keys do not say) */
static int
hosts_is(const struct host_table *t, size_t i, const char *name)
{
	if (i >= t->nhosts || name == NULL)
		return 0;
	if (t->nkeys == t->nhosts && t->keys[i].name[0] != '\0')
		return strcmp(t->keys[i].name, name) == 0;
	return hosts_same(t->hosts[i].name, name);
}

struct host_info *
hosts_get(struct host_table *t, const char *name)
{
	long i = hosts_is(t, t->last, name) ? (long)t->last : hosts_index(t, name);
	struct host_info *h;

	if (i >= 0) {
		t->last = (size_t)i;
		return &t->hosts[i];
	}
	if (name == NULL || *name == '\0')
		return NULL;
	/* grows one at a time: a table holds the configured hosts, a handful */
	h = realloc(t->hosts, (t->nhosts + 1) * sizeof(*h));
	if (h == NULL)
		return NULL;
	t->hosts = h;
	h = &t->hosts[t->nhosts++];
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->free_memory = -1;
	h->cpu_idle = -1;
	h->incoming = -1;
	hosts_key_new(t, name);
	return h;
}

static double
hosts_decay(const struct host_table *t, double age)
{
	return age > 0 ? exp(-age / t->memory) : 1;
}

void
hosts_sample(struct host_table *t, const char *host, double value, double now, double interval)
{
	struct host_info *h = hosts_get(t, host);

	if (h == NULL || !isfinite(value))
		return;
	/* a new stay (the VM left since the last sample here) starts the recent level afresh */
	if (h->weight <= 0 || h->left_at >= h->last_seen)
		h->recent = value;
	else
		h->recent += 0.3 * (value - h->recent);
	if (h->weight > 0) {
		/* the same age each cycle: exp once (the same value, exp is a function) */
		double age = now - h->last_seen;
		if (!(age == t->decay_age && t->decay > 0)) {
			t->decay_age = age;
			t->decay = hosts_decay(t, age);
		}
		h->weight *= t->decay;
	}
	h->weight += 1;
	h->mean += (value - h->mean) / h->weight;
	h->seconds += interval;
	h->last_seen = now;
}

double
hosts_weight(const struct host_table *t, const char *host, double now)
{
	const struct host_info *h = hosts_find(t, host);

	return h == NULL || h->weight <= 0 ? 0 : h->weight * hosts_decay(t, now - h->last_seen);
}

double
hosts_badness(const struct host_table *t, const char *host, double now, int *known)
{
	const struct host_info *h = hosts_find(t, host);

	*known = h != NULL && h->weight > 0 && now - h->last_seen <= t->memory;
	if (!*known)
		return 0;
	return t->direction == VMM_LOWER_IS_WORSE ? -h->mean : h->mean;
}

double
hosts_failed(struct host_table *t, const char *host, int permanent, const char *why, double now)
{
	struct host_info *h = hosts_get(t, host);

	if (h == NULL)
		return -1;
	snprintf(h->why, sizeof(h->why), "%s", why ? why : "");
	h->failures++;
	if (permanent) {
		h->permanent = 1;
		h->retry_at = 0;
		return -1;
	}
	double wait = t->backoff;
	for (int i = 1; i < h->failures && wait < t->backoff_max; i++)
		wait *= 2;
	if (wait > t->backoff_max)
		wait = t->backoff_max;
	h->retry_at = now + wait;
	return wait;
}

void
hosts_succeeded(struct host_table *t, const char *host)
{
	struct host_info *h = hosts_get(t, host);

	if (h == NULL)
		return;
	h->failures = 0;
	h->retry_at = 0;
	h->permanent = 0;
	h->why[0] = '\0';
}

int
hosts_available(const struct host_table *t, const char *host, double now, char *why, size_t len)
{
	const struct host_info *h = hosts_find(t, host);

	if (len > 0)
		why[0] = '\0';
	if (h == NULL)
		return 1;
	if (h->permanent) {
		snprintf(why, len, "%s failed for good (%s): fix it and reload", h->name, h->why);
		return 0;
	}
	if (h->retry_at > now) {
		snprintf(why, len, "%s is backing off after %d failed move%s, %.0f s to go (%s)",
		    h->name, h->failures, h->failures == 1 ? "" : "s", h->retry_at - now, h->why);
		return 0;
	}
	return 1;
}

void
hosts_hint(struct host_table *t, const char *host, int64_t free_memory, double cpu_idle, double now)
{
	struct host_info *h = hosts_get(t, host);

	if (h != NULL)
		hosts_hint_record(h, free_memory, cpu_idle, now);
}

void
hosts_hint_incoming(struct host_table *t, const char *host, int incoming)
{
	struct host_info *h = hosts_get(t, host);

	if (h != NULL)
		hosts_hint_incoming_record(h, incoming);
}

void
hosts_hint_draining(struct host_table *t, const char *host, int draining)
{
	struct host_info *h = hosts_get(t, host);

	if (h != NULL)
		h->draining = draining;
}

double
hosts_left(struct host_table *t, const char *host, double now, double hold, double hold_max)
{
	struct host_info *h = hosts_get(t, host);
	double last = h != NULL ? h->left_at : 0;

	if (h == NULL)
		return 0;
	h->left_at = now;
	if (!(hold > 0))
		return 0;
	/* left again within twice the last hold: it came back and it did not help */
	if (last > 0 && h->hold > 0 && now - last < 2 * h->hold)
		hold = h->hold * 2;
	if (hold > hold_max && hold_max > 0)
		hold = hold_max;
	h->hold = hold;
	h->hold_until = now + hold;
	return hold;
}

void
hosts_left_for(struct host_table *t, const char *host, const char *to)
{
	struct host_info *h = hosts_get(t, host);

	if (h != NULL)
		snprintf(h->left_for, sizeof(h->left_for), "%s", to != NULL ? to : "");
}

int
hosts_held(const struct host_table *t, const char *host, double now, char *why, size_t len)
{
	const struct host_info *h = hosts_find(t, host);

	if (len > 0)
		why[0] = '\0';
	if (h == NULL || h->hold_until <= now)
		return 0;
	snprintf(why, len, "%s was left %.0f s ago: pingpong_hold %.0f s, %.0f s to go",
	    h->name, now - h->left_at, h->hold, h->hold_until - now);
	return 1;
}

double
hosts_promise(const struct host_table *t, const char *host, double now, int *known)
{
	const struct host_info *h = hosts_find(t, host);
	double b = hosts_badness(t, host, now, known);

	if (!*known)
		return b;
	double last = t->direction == VMM_LOWER_IS_WORSE ? -h->recent : h->recent;
	if (last <= b)
		return b;
	return b + (last - b) * hosts_decay(t, 24 * (now - h->last_seen));
}

double
hosts_recall(const struct host_table *t, const char *host, double now, double *level)
{
	const struct host_info *h = hosts_find(t, host);
	int lower = t->direction == VMM_LOWER_IS_WORSE;

	*level = 0;
	if (h == NULL || !(h->weight > 0))
		return 0;
	*level = (lower ? h->recent < h->mean : h->recent > h->mean) ? h->recent : h->mean;
	/* no staleness here: a host last seen a day ago is not unknown, its memory fades */
	return hosts_decay(t, now - h->last_seen);
}

static long
hosts_pair_index(const struct host_table *t, const char *from, const char *to)
{
	for (size_t i = 0; from != NULL && to != NULL && i < t->npairs; i++)
		if (strcmp(t->pairs[i].from, from) == 0 && strcmp(t->pairs[i].to, to) == 0)
			return (long)i;
	return -1;
}

struct move_time *
hosts_move_time(struct host_table *t, const char *from, const char *to, double seconds)
{
	long i = hosts_pair_index(t, from, to);
	struct move_time *m = i < 0 ? NULL : &t->pairs[i];

	if (from == NULL || to == NULL || !*from || !*to || !(seconds >= 0) || !isfinite(seconds))
		return NULL;
	if (m == NULL) {
		m = realloc(t->pairs, (t->npairs + 1) * sizeof(*m));
		if (m == NULL)
			return NULL;
		t->pairs = m;
		m = &t->pairs[t->npairs++];
		memset(m, 0, sizeof(*m));
		snprintf(m->from, sizeof(m->from), "%s", from);
		snprintf(m->to, sizeof(m->to), "%s", to);
	}
	m->count++;
	m->mean += (seconds - m->mean) / (double)m->count;
	m->last = seconds;
	return m;
}

const struct move_time *
hosts_move_time_get(const struct host_table *t, const char *from, const char *to)
{
	long i = hosts_pair_index(t, from, to);

	return i < 0 ? NULL : &t->pairs[i];
}
