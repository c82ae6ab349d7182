/* Where an action sends the VM: the thesis's array walk (getNextLocation and friends),
 * as a pure function of the topology and the current location. */
#ifndef VMM_TARGETS_H
#define VMM_TARGETS_H

#include <stddef.h>

#include <vmmanage/module.h>

struct topology {
	const char *const *hosts; /* the array */
	size_t nhosts;
	const char *base;         /* may be NULL */
	const char *const *home;  /* NULL: the home site is `hosts` */
	size_t nhome;
	const char *const *away;
	size_t naway;
};

enum target_result {
	TARGET_CHOSEN = 1,  /* target filled */
	TARGET_NOTHING = 0, /* nothing to do: msg says why ("Already at base") */
	TARGET_NONE = -1    /* cannot: msg says what is missing in the config */
};

/* current may be NULL or "" when unknown; at_home is 1, 0 or -1 (unknown). */
enum target_result target_for(const struct topology *t, enum vmm_action a, const char *current,
    int at_home, char *target, size_t tlen, int *cross_site, char *msg, size_t mlen);

/* Is host in the home site? 1, 0, or -1 when it is in neither site's list. */
int target_at_home(const struct topology *t, const char *host);

#endif
