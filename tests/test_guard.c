/* SPDX-License-Identifier: ISC */
/* The guard as a pure state machine: cooldown, budget, one in flight, ping-pong. */
#include "config.h"

#include "core/guard.h"
#include "tap.h"

static void
test_cooldown(void)
{
	struct guard g;
	char why[256];

	guard_init(&g, 45, 0);
	TAP_OK(guard_check(&g, 100, why, sizeof(why)) == GUARD_ALLOW, "first request allowed");
	guard_request_sent(&g, 100);
	TAP_OK(guard_check(&g, 101, why, sizeof(why)) == GUARD_IN_FLIGHT, "second refused while in flight");
	guard_request_done(&g);
	TAP_OK(guard_check(&g, 144, why, sizeof(why)) == GUARD_COOLDOWN, "44 s later: still cooling down");
	TAP_CONTAINS(why, "cooldown", "the reason names the rule");
	TAP_OK(guard_check(&g, 145, why, sizeof(why)) == GUARD_ALLOW, "45 s later: allowed");
	TAP_OK(g.suppressed == 2, "two suppressed decisions counted (%llu)", (unsigned long long)g.suppressed);
}

static void
test_budget(void)
{
	struct guard g;
	char why[256];

	guard_init(&g, 0, 3);
	for (int i = 0; i < 3; i++) {
		TAP_OK(guard_check(&g, 1000 + i * 60, why, sizeof(why)) == GUARD_ALLOW, "request %d within budget", i + 1);
		guard_request_sent(&g, 1000 + i * 60);
		guard_request_done(&g);
	}
	TAP_OK(guard_check(&g, 1300, why, sizeof(why)) == GUARD_BUDGET, "fourth in the hour refused");
	TAP_CONTAINS(why, "max_moves_per_hour", "the reason names the key");
	TAP_OK(guard_check(&g, 1000 + 3599, why, sizeof(why)) == GUARD_BUDGET, "still refused just inside the hour");
	TAP_OK(guard_check(&g, 1000 + 3600, why, sizeof(why)) == GUARD_ALLOW, "allowed once the first leaves the hour");
	TAP_OK(guard_requests_last_hour(&g, 1000 + 3600) == 2, "two requests left in the hour");
	guard_configure(&g, 0, 0);
	TAP_OK(guard_check(&g, 1300, why, sizeof(why)) == GUARD_ALLOW, "0 means no budget (after a reload)");
}

/* The config allows up to 3600 a hour: the guard must remember that many requests, not
 * wrap its history and let everything through. */
static void
test_budget_above_history(void)
{
	struct guard g;
	char why[256];
	int allowed = 0;

	guard_init(&g, 0, 100);
	for (int i = 0; i < 200; i++) {
		if (guard_check(&g, 1000 + i * 10, why, sizeof(why)) != GUARD_ALLOW)
			continue;
		allowed++;
		guard_request_sent(&g, 1000 + i * 10);
		guard_request_done(&g);
	}
	TAP_OK(allowed == 100, "limit 100: 100 of 200 requests within the hour allowed (%d)", allowed);
	TAP_OK(guard_requests_last_hour(&g, 1000 + 1990) == 100, "100 requests counted in the hour (%zu)",
	    guard_requests_last_hour(&g, 1000 + 1990));
	TAP_OK(guard_check(&g, 1000 + 3600, why, sizeof(why)) == GUARD_ALLOW,
	    "allowed again once the first leaves the hour");

	guard_init(&g, 0, 3600);
	for (int i = 0; i < 3600; i++) {
		guard_request_sent(&g, 1000 + i * 0.5);
		guard_request_done(&g);
	}
	TAP_OK(guard_check(&g, 1000 + 1800, why, sizeof(why)) == GUARD_BUDGET,
	    "the config's maximum, 3600 a hour, is still a limit");
}

static void
test_pingpong(void)
{
	struct guard g;
	char warn[256] = "";

	guard_init(&g, 0, 0);
	TAP_OK(guard_moved(&g, 0, "A", "B", warn, sizeof(warn)) == 0, "A->B is no ping-pong");
	TAP_OK(guard_moved(&g, 100, "B", "C", warn, sizeof(warn)) == 0, "B->C is no ping-pong");
	TAP_OK(guard_moved(&g, 200, "C", "B", warn, sizeof(warn)) == 1, "C->B right after B->C is");
	TAP_CONTAINS(warn, "ping-pong", "the warning says so");
	TAP_OK(guard_moved(&g, 200 + 7200, "B", "C", warn, sizeof(warn)) == 0, "B->C two hours later is not");
}

/* The provider refused: no request before its retry-after, and the refused one spent
 * nothing of max_moves_per_hour. */
static void
test_refused(void)
{
	struct guard g;
	char why[256];

	guard_init(&g, 0, 1);
	guard_request_sent(&g, 1000);
	guard_refused(&g, 1000.5, 30, "h2 is being drained for maintenance");
	guard_request_done(&g);
	TAP_OK(guard_check(&g, 1010, why, sizeof(why)) == GUARD_REFUSED, "held within the retry-after");
	TAP_CONTAINS(why, "the provider refused the last request (h2 is being drained for maintenance): no new one before its retry-after of 30 s",
	    "why names the provider's reason and retry-after");
	char again[256];
	guard_peek(&g, 1020, again, sizeof(again));
	TAP_OK(strcmp(why, again) == 0, "worded the same each cycle, so said once per episode");
	TAP_OK(guard_check(&g, 1031, why, sizeof(why)) == GUARD_ALLOW,
	    "allowed after it; the refused request counted for no budget (max 1 an hour): %s", why);
	TAP_OK(guard_requests_last_hour(&g, 1031) == 0, "no request in the hour counted");
}

int
main(void)
{
	test_cooldown();
	test_budget();
	test_budget_above_history();
	test_pingpong();
	test_refused();
	return tap_done();
}
