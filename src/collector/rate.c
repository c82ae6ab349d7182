/* SPDX-License-Identifier: ISC */
/* Per-host token buckets: a host over its rate is slowed down (its connections are not
 * read for a while), never dropped, so nothing is lost and no host starves another. */
#include "config.h"

#include <stdlib.h>

#include "collector.h"

/* Forged host names in thesis lines could grow the table without end: past this many
 * hosts, the buckets that are full again (so carry no state) are forgotten. */
#define COLLECTOR_RATE_MAX_HOSTS 65536

struct collector_bucket {
	double tokens;
	double last;
};

struct collector_rate {
	double rate, burst, now;
	struct collector_htab *h;
};

struct collector_rate *
collector_rate_new(double rate, double burst)
{
	struct collector_rate *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->rate = rate;
	r->burst = burst >= 1 ? burst : 1;
	if ((r->h = collector_htab_new(sizeof(struct collector_bucket))) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static int
collector_rate_full(const char *key, void *val, void *arg)
{
	const struct collector_rate *r = arg;
	const struct collector_bucket *b = val;

	(void)key;
	return b->tokens + (r->now - b->last) * r->rate >= r->burst;
}

int
collector_rate_take(struct collector_rate *r, const char *host, double now)
{
	if (r == NULL || r->rate <= 0)
		return 1;
	struct collector_bucket *b = collector_htab_get(r->h, host, 0);
	if (b == NULL) {
		if (collector_htab_count(r->h) >= COLLECTOR_RATE_MAX_HOSTS) {
			r->now = now;
			collector_htab_each(r->h, collector_rate_full, r);
		}
		b = collector_htab_get(r->h, host, 1);
		if (b == NULL)
			return 1;
		b->tokens = r->burst;
		b->last = now;
	}
	b->tokens += (now - b->last) * r->rate;
	if (b->tokens > r->burst)
		b->tokens = r->burst;
	b->last = now;
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

void
collector_rate_free(struct collector_rate *r)
{
	if (r == NULL)
		return;
	collector_htab_free(r->h);
	free(r);
}
