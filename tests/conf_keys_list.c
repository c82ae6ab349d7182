/* SPDX-License-Identifier: ISC */
/* Print every config key this build knows, one "key reader" line each: the core's, and
 * those the modules installed in MODULE_DIR declare in their ops, read the way the
 * config check reads them (tests/conf_keys_documented.sh). */
#include "config.h"

#include <stdio.h>

#include "core/conf.h"
#include "core/host.h"

static int warned;

static void
warn(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	warned = 1;
}

int
main(int argc, char **argv)
{
	static const char *const sub[] = { "policies", "sensors", "endpoints" };
	struct conf_keyreg r = { 0 };
	char dir[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: conf_keys_list MODULE_DIR\n");
		return 2;
	}
	for (const char *const *k = conf_core_keys; *k != NULL; k++)
		printf("%s the core\n", *k);
	for (enum module_kind kind = MODULE_POLICY; kind <= MODULE_ENDPOINT; kind++) {
		snprintf(dir, sizeof(dir), "%s/%s", argv[1], sub[kind]);
		if (module_keys_installed(kind, dir, &r, warn) < 0)
			return 1;
	}
	for (size_t i = 0; i < r.n; i++)
		for (char **k = r.mods[i].keys; *k != NULL; k++)
			printf("%s the %s %s\n", *k, r.mods[i].name, r.mods[i].kind);
	conf_keyreg_free(&r);
	return warned;
}
