/* SPDX-License-Identifier: ISC */
/* Per-host keys: with keys_file set, an agent must prove its host's key at HELLO and sign
 * every frame with it (libsodium crypto_auth, HMAC-SHA-512-256; the MACs themselves are
 * in common/wire.c), so a guest cannot write as another guest. Names are kept folded, so
 * "VM1" or "vm1." is vm1 and no look-alike of a keyed name gets past the lookup. */
#include "common/keyfile.h"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "collector.h"

struct collector_key {
	uint8_t k[crypto_auth_KEYBYTES];
};

struct collector_keys {
	struct collector_htab *h;
	const char *file;          /* while loading, for the errors */
};

/* One key from keys_file into the table; a second key for a folded name is an error. */
static int
collector_keys_add(void *arg, const char *folded, const uint8_t key[WIRE_KEY_BYTES], int lineno,
    char *err, size_t errlen)
{
	struct collector_keys *k = arg;
	struct collector_key *e;

	if (collector_htab_get(k->h, folded, 0) != NULL)
		return snprintf(err, errlen, "%s:%d: a second key for %s (names are compared without case "
		    "and trailing dots)", k->file, lineno, folded), -1;
	if ((e = collector_htab_get(k->h, folded, 1)) == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	memcpy(e->k, key, WIRE_KEY_BYTES);
	return 0;
}

struct collector_keys *
collector_keys_load(const char *file, char *err, size_t errlen)
{
	struct collector_keys *k;

	if ((k = calloc(1, sizeof(*k))) == NULL || (k->h = collector_htab_new(sizeof(struct collector_key))) == NULL) {
		free(k);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	k->file = file;
	if (keyfile_read(file, "HOST", collector_keys_add, k, err, errlen) < 0) {
		collector_keys_free(k);
		return NULL;
	}
	k->file = NULL;
	return k;
}

const uint8_t *
collector_keys_find(const struct collector_keys *k, const char *name, size_t namelen,
    char *canon)
{
	char folded[COLLECTOR_MAX_HOST + 1];
	const struct collector_key *e;

	wire_host_fold(name, namelen, folded);
	if (canon != NULL)
		memcpy(canon, folded, sizeof(folded));
	if (k == NULL || (e = collector_htab_get(k->h, folded, 0)) == NULL)
		return NULL;
	return e->k;
}

int
collector_keys_has(const struct collector_keys *k, const char *name, size_t namelen)
{
	return collector_keys_find(k, name, namelen, NULL) != NULL;
}

static int
collector_key_wipe(const char *name, void *val, void *arg)
{
	(void)name;
	(void)arg;
	sodium_memzero(val, sizeof(struct collector_key));
	return 0;
}

void
collector_keys_free(struct collector_keys *k)
{
	if (k == NULL)
		return;
	collector_htab_each(k->h, collector_key_wipe, NULL);
	collector_htab_free(k->h);
	free(k);
}
