/* SPDX-License-Identifier: ISC */
/* fuzz-sources: src/core/conf.c src/core/conf_include.c src/core/conf_get.c src/core/conf_check.c src/core/conf_keys.c src/core/keys.c src/common/secret.c src/common/strutil.c src/common/buf.c */
/* fuzz-pkgs: libconfig */
/* libFuzzer target: vmmanage.conf parsing, typed lookups and the unknown-key check must
 * take any text and answer with a value or a message, never crash. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_lookups(const struct vmm_conf *c)
{
	static const char *const keys[] = { "threshold", "tarry", "hosts", "policy", "bigjobs",
		"daemon_interval", "rest_monitoring", "mixed", NULL };
	struct conf_keyreg reg = { 0 };
	char err[512];
	double d;
	int64_t i;
	int b;
	const char *s;
	const char **l;
	size_t n;

	for (const char *const *k = keys; *k; k++) {
		conf_number(c, *k, &d, err, sizeof(err));
		conf_int(c, *k, -5, 1000, &i, err, sizeof(err));
		conf_bool(c, *k, &b, err, sizeof(err));
		conf_string(c, *k, &s, err, sizeof(err));
		if (conf_strings(c, *k, &l, &n, err, sizeof(err)) > 0)
			free(l);
		conf_where(c, *k, err, sizeof(err));
	}
	/* the modules' keys without loading any: one in use, one not */
	if (conf_keyreg_add(&reg, "policy", "fuzz", keys, 1) == 0 &&
	    conf_keyreg_add(&reg, "sensor", "other", keys + 4, 0) == 0)
		conf_check_keys(c, &reg, NULL, err, sizeof(err));
	conf_keyreg_free(&reg);
	free(conf_fingerprint(c, keys));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[512];

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct vmm_conf *c = conf_read_string(text, "fuzz.conf", err, sizeof(err));
	if (c != NULL) {
		fuzz_lookups(c);
		conf_free(c);
	}
	free(text);
	return 0;
}
