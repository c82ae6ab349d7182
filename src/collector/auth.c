/* SPDX-License-Identifier: ISC */
/* Per-host keys: with keys_file set, an agent must prove its host's key at HELLO and sign
 * every frame with it (libsodium crypto_auth, HMAC-SHA-512-256; the MACs themselves are
 * in common/wire.c), so a guest cannot write as another guest. Names are kept folded, so
 * "VM1" or "vm1." is vm1 and no look-alike of a keyed name gets past the lookup. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "collector.h"
#include "common/secret.h"

struct collector_key {
	uint8_t k[crypto_auth_KEYBYTES];
};

struct collector_keys {
	struct collector_htab *h;
};

/* "host hexkey" -> table; err says file:line. */
static int
collector_keys_line(struct collector_keys *k, char *line, const char *file, int lineno,
    char *err, size_t errlen)
{
	char host[COLLECTOR_MAX_HOST + 2], hex[2 * crypto_auth_KEYBYTES + 2];
	size_t binlen;
	struct collector_key *e;

	while (isspace((unsigned char)*line))
		line++;
	if (*line == '#' || *line == '\0')
		return 0;
	uint8_t key[crypto_auth_KEYBYTES];
	char canon[COLLECTOR_MAX_HOST + 1];
	if (sscanf(line, "%256s %65s", host, hex) != 2 || !collector_host_valid(host, strlen(host)) ||
	    strlen(hex) != 2 * crypto_auth_KEYBYTES ||
	    sodium_hex2bin(key, sizeof(key), hex, strlen(hex), NULL, &binlen, NULL) != 0 ||
	    binlen != sizeof(key)) {
		snprintf(err, errlen, "%s:%d: expected \"HOST KEY\" with KEY as %d hex digits",
		    file, lineno, 2 * crypto_auth_KEYBYTES);
		return -1;
	}
	if (wire_host_fold(host, strlen(host), canon) == 0) {
		snprintf(err, errlen, "%s:%d: \"%s\" is no host name", file, lineno, host);
		return -1;
	}
	if (collector_htab_get(k->h, canon, 0) != NULL) {
		snprintf(err, errlen, "%s:%d: a second key for %s (names are compared without case "
		    "and trailing dots)", file, lineno, canon);
		return -1;
	}
	if ((e = collector_htab_get(k->h, canon, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(e->k, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	return 0;
}

struct collector_keys *
collector_keys_load(const char *file, char *err, size_t errlen)
{
	struct collector_keys *k;
	char line[1024];
	int lineno = 0, fd;
	FILE *f;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return NULL;
	}
	/* The same rule as the agent's key: the opened file, not its name, is checked. */
	if ((fd = secret_open(file, "keys_file", err, errlen)) < 0)
		return NULL;
	if ((f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "keys_file %s: %s", file, strerror(errno));
		close(fd);
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL || (k->h = collector_htab_new(sizeof(struct collector_key))) == NULL) {
		free(k);
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (collector_keys_line(k, line, file, lineno, err, errlen) < 0) {
			fclose(f);
			collector_keys_free(k);
			return NULL;
		}
	}
	fclose(f);
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
