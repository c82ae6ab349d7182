/* SPDX-License-Identifier: ISC */
/* A string-keyed hash table with chaining, for per-host state (seq, rate, keys). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

struct collector_hent {
	struct collector_hent *next;
	uint64_t hash;
	char *key;
	/* the value follows, aligned */
	max_align_t val[];
};

struct collector_htab {
	struct collector_hent **b;
	size_t nb, n, valsize;
};

static uint64_t
collector_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct collector_htab *
collector_htab_new(size_t valsize)
{
	struct collector_htab *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->nb = 64;
	h->valsize = valsize;
	h->b = calloc(h->nb, sizeof(*h->b));
	if (h->b == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

static void
collector_htab_grow(struct collector_htab *h)
{
	size_t nb = h->nb * 2;
	struct collector_hent **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < h->nb; i++) {
		struct collector_hent *e = h->b[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
		}
	}
	free(h->b);
	h->b = b;
	h->nb = nb;
}

void *
collector_htab_get(struct collector_htab *h, const char *key, int create)
{
	uint64_t hash = collector_hash(key);
	struct collector_hent *e;

	for (e = h->b[hash & (h->nb - 1)]; e != NULL; e = e->next)
		if (e->hash == hash && strcmp(e->key, key) == 0)
			return e->val;
	if (!create)
		return NULL;
	e = calloc(1, sizeof(*e) + h->valsize);
	if (e == NULL || (e->key = strdup(key)) == NULL) {
		free(e);
		return NULL;
	}
	e->hash = hash;
	e->next = h->b[hash & (h->nb - 1)];
	h->b[hash & (h->nb - 1)] = e;
	if (++h->n > h->nb)
		collector_htab_grow(h);
	return e->val;
}

void
collector_htab_del(struct collector_htab *h, const char *key)
{
	uint64_t hash = collector_hash(key);
	struct collector_hent **pp = &h->b[hash & (h->nb - 1)];

	for (; *pp != NULL; pp = &(*pp)->next) {
		struct collector_hent *e = *pp;
		if (e->hash == hash && strcmp(e->key, key) == 0) {
			*pp = e->next;
			free(e->key);
			free(e);
			h->n--;
			return;
		}
	}
}

const char *
collector_htab_key(const void *val)
{
	return ((const struct collector_hent *)(const void *)((const char *)val -
	    offsetof(struct collector_hent, val)))->key;
}

size_t
collector_htab_count(const struct collector_htab *h)
{
	return h->n;
}

void
collector_htab_each(struct collector_htab *h, int (*fn)(const char *, void *, void *), void *arg)
{
	for (size_t i = 0; i < h->nb; i++) {
		struct collector_hent **pp = &h->b[i];
		while (*pp != NULL) {
			struct collector_hent *e = *pp;
			if (fn(e->key, e->val, arg)) {
				*pp = e->next;
				free(e->key);
				free(e);
				h->n--;
			} else
				pp = &e->next;
		}
	}
}

void
collector_htab_free(struct collector_htab *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nb; i++) {
		struct collector_hent *e = h->b[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	}
	free(h->b);
	free(h);
}
