/* Per-host keys: with keys_file set, an agent must sign every frame with its host's key
 * (libsodium crypto_auth, HMAC-SHA-512-256), so a guest cannot write as another guest. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "collector.h"

struct collector_key {
	uint8_t k[crypto_auth_KEYBYTES];
};

struct collector_keys {
	struct collector_htab *h;
};

size_t
collector_mac_prefix(char *out, size_t cap, const char *host, const char *boot, uint64_t seq,
    int64_t epoch, size_t len)
{
	int n = snprintf(out, cap, "VMM1 %s %s %" PRIu64 " %" PRId64 " %zu\n", host, boot, seq,
	    epoch, len);
	return n < 0 ? 0 : (size_t)n;
}

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
	if (sscanf(line, "%256s %65s", host, hex) != 2 || !collector_host_valid(host, strlen(host)) ||
	    strlen(hex) != 2 * crypto_auth_KEYBYTES ||
	    sodium_hex2bin(key, sizeof(key), hex, strlen(hex), NULL, &binlen, NULL) != 0 ||
	    binlen != sizeof(key)) {
		snprintf(err, errlen, "%s:%d: expected \"HOST KEY\" with KEY as %d hex digits",
		    file, lineno, 2 * crypto_auth_KEYBYTES);
		return -1;
	}
	if ((e = collector_htab_get(k->h, host, 1)) == NULL) {
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
	struct stat st;
	char line[1024];
	int lineno = 0;
	FILE *f;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return NULL;
	}
	if ((f = fopen(file, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: holds secret keys but is readable by others (chmod 600 it)", file);
		fclose(f);
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

int
collector_keys_has(const struct collector_keys *k, const char *host)
{
	return k != NULL && collector_htab_get(k->h, host, 0) != NULL;
}

int
collector_keys_verify(const struct collector_keys *k, const char *host, const char *boot,
    const struct collector_msghdr *m, const char *payload, const uint8_t mac[32])
{
	const struct collector_key *e = k ? collector_htab_get(k->h, host, 0) : NULL;
	crypto_auth_hmacsha512256_state st;
	uint8_t want[crypto_auth_BYTES];
	char prefix[COLLECTOR_MAX_HEADER];

	if (e == NULL)
		return 0;
	size_t n = collector_mac_prefix(prefix, sizeof(prefix), host, boot, m->seq, m->epoch, m->len);
	crypto_auth_hmacsha512256_init(&st, e->k, sizeof(e->k));
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)prefix, n);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)payload, m->len);
	crypto_auth_hmacsha512256_final(&st, want);
	return sodium_memcmp(want, mac, sizeof(want)) == 0;
}

void
collector_keys_free(struct collector_keys *k)
{
	if (k == NULL)
		return;
	collector_htab_free(k->h);
	free(k);
}
