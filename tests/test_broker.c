/* SPDX-License-Identifier: ISC */
/* Unit tests of the broker protocol (common/wire.c) and the broker's admission rules
 * (src/broker/admit.c): MACs bound to one session, one direction and one protocol;
 * requests and answers read back as written; each rule refuses with its reason. */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "broker/broker.h"
#include "common/wire.h"
#include "tap.h"

static void
test_macs(void)
{
	struct wire_session ss = { .version = WIRE_V2 }, other;
	uint8_t key[WIRE_KEY_BYTES], key2[WIRE_KEY_BYTES], mac[WIRE_MAC_BYTES], vmm2[WIRE_MAC_BYTES];
	const char *p = "MOVE move h2 0\n";

	randombytes_buf(key, sizeof(key));
	randombytes_buf(key2, sizeof(key2));
	snprintf(ss.host, sizeof(ss.host), "vm1");
	snprintf(ss.boot, sizeof(ss.boot), "b1");
	randombytes_buf(ss.cnonce, sizeof(ss.cnonce));
	randombytes_buf(ss.snonce, sizeof(ss.snonce));
	other = ss;
	randombytes_buf(other.snonce, sizeof(other.snonce));

	wire_bmac(mac, key, WIRE_BMAC_REQ, &ss, 1, p, strlen(p));
	TAP_OK(wire_bmac_check(mac, key, WIRE_BMAC_REQ, &ss, 1, p, strlen(p)), "a request's MAC checks");
	TAP_OK(!wire_bmac_check(mac, key2, WIRE_BMAC_REQ, &ss, 1, p, strlen(p)), "not with another key");
	TAP_OK(!wire_bmac_check(mac, key, WIRE_BMAC_REQ, &other, 1, p, strlen(p)),
	    "not on another connection (another snonce): a recorded request is worthless");
	TAP_OK(!wire_bmac_check(mac, key, WIRE_BMAC_REQ, &ss, 2, p, strlen(p)), "not as another sequence number");
	TAP_OK(!wire_bmac_check(mac, key, WIRE_BMAC_REP, &ss, 1, p, strlen(p)), "not as an answer");
	TAP_OK(!wire_bmac_check(mac, key, WIRE_BMAC_REQ, &ss, 1, "MOVE move h3 0\n", 15), "not for another payload");
	wire_bmac(mac, key, WIRE_BMAC_AUTH, &ss, 0, NULL, 0);
	wire_mac(vmm2, key, WIRE_MAC_AUTH, &ss, 0, 0, NULL, 0);
	TAP_OK(memcmp(mac, vmm2, sizeof(mac)) != 0, "a broker AUTH is no collector AUTH with the same key and nonces");
}

static void
test_lines(void)
{
	struct wire_session ss = { .version = WIRE_V2 }, back;
	struct wire_bframe f;
	uint8_t mac[WIRE_MAC_BYTES] = { 1, 2, 3 };
	char line[WIRE_MAX_LINE], err[128];
	size_t n;

	snprintf(ss.host, sizeof(ss.host), "web1");
	snprintf(ss.boot, sizeof(ss.boot), "b42");
	randombytes_buf(ss.cnonce, sizeof(ss.cnonce));
	n = wire_bhello_format(line, sizeof(line), &ss);
	TAP_OK(n > 0 && wire_bhello_parse(line, n - 1, &back, err, sizeof(err)) == 0 &&
	    strcmp(back.host, "web1") == 0 && memcmp(back.cnonce, ss.cnonce, sizeof(ss.cnonce)) == 0,
	    "HELLO reads back");
	TAP_OK(wire_bhello_parse("VMM2 HELLO web1 b1 00", 21, &back, err, sizeof(err)) < 0,
	    "a collector's HELLO is no broker HELLO");
	n = wire_bframe_format(line, sizeof(line), 'Q', 7, 15, mac);
	TAP_OK(wire_bframe_parse(line, n - 1, 'Q', &f, err, sizeof(err)) == 0 && f.seq == 7 && f.len == 15 &&
	    memcmp(f.mac, mac, sizeof(mac)) == 0, "a request header reads back");
	TAP_OK(wire_bframe_parse(line, n - 1, 'R', &f, err, sizeof(err)) < 0, "a request header is no answer header");
	n = (size_t)snprintf(line, sizeof(line), "Q 1 %d %064d", WIRE_BROKER_MAX_PAYLOAD + 1, 0);
	TAP_OK(wire_bframe_parse(line, n, 'Q', &f, err, sizeof(err)) < 0, "a payload above the limit is refused: %s", err);
}

static void
test_payloads(void)
{
	struct wire_breq rq;
	struct wire_bans a = { .kind = WIRE_BANS_DONE, .outcome = 0, .duration = 2.5 }, back;
	char out[WIRE_MAX_LINE], err[128];
	size_t n;

	TAP_OK(wire_breq_parse("MOVE move_to_base cheap1 0\n", 27, &rq, err, sizeof(err)) == 0 &&
	    rq.kind == WIRE_BREQ_MOVE && rq.action == VMM_ACT_MOVE_TO_BASE && strcmp(rq.target, "cheap1") == 0,
	    "MOVE move_to_base cheap1");
	TAP_OK(wire_breq_parse("MOVE none h1 0", 14, &rq, err, sizeof(err)) < 0, "MOVE none is refused");
	TAP_OK(wire_breq_parse("MOVE move h1/x 0", 16, &rq, err, sizeof(err)) < 0, "a bad host name is refused");
	TAP_OK(wire_breq_parse("MOVE move h1 0 extra", 20, &rq, err, sizeof(err)) < 0, "trailing words are refused");
	TAP_OK(wire_breq_parse("WHERE", 5, &rq, err, sizeof(err)) == 0 && rq.kind == WIRE_BREQ_WHERE, "WHERE");
	snprintf(a.host, sizeof(a.host), "h2");
	snprintf(a.text, sizeof(a.text), "live migration\nh1 -> h2");
	n = wire_bans_format(out, sizeof(out), &a);
	TAP_OK(wire_bans_parse(out, n - 1, &back, err, sizeof(err)) == 0 && back.kind == WIRE_BANS_DONE &&
	    back.duration == 2.5 && strcmp(back.host, "h2") == 0 &&
	    strcmp(back.text, "live migration h1 -> h2") == 0, "DONE reads back, its LF flattened: %s", out);
	TAP_OK(wire_bans_parse("REFUSED 30 h2 is being drained", 30, &back, err, sizeof(err)) == 0 &&
	    back.retry_after == 30 && strcmp(back.text, "h2 is being drained") == 0, "REFUSED");
	TAP_OK(wire_bans_parse("HOST h1 -5 0.5", 14, &back, err, sizeof(err)) < 0, "a negative free memory is refused");
	struct wire_bans here = { .kind = WIRE_BANS_HERE, .draining = 1, .leave_in = 540.2 };
	snprintf(here.host, sizeof(here.host), "h2");
	n = wire_bans_format(out, sizeof(out), &here);
	TAP_OK(strcmp(out, "HERE h2 1 540\n") == 0 && wire_bans_parse(out, n - 1, &back, err, sizeof(err)) == 0 &&
	    back.draining && back.leave_in == 540, "HERE of a host drained with a deadline: the seconds left");
	TAP_OK(wire_bans_parse("HERE h2 1", 9, &back, err, sizeof(err)) == 0 && back.draining && back.leave_in == -1,
	    "HERE without them: no deadline");
	TAP_OK(wire_bans_parse("HOST h1 4096 0.5 1", 18, &back, err, sizeof(err)) == 0 && back.draining &&
	    back.free_memory == 4096, "HOST of a draining host");
	TAP_OK(wire_bans_parse("HOST h1 4096 0.5", 16, &back, err, sizeof(err)) == 0 && !back.draining,
	    "HOST without the flag: not draining");
	TAP_OK(wire_bans_parse("HOST h1 4096 0.5 2", 18, &back, err, sizeof(err)) < 0, "a flag of 2 is refused");
}

static void
test_drain_args(void)
{
	char host[WIRE_MAX_HOST + 1], err[160];
	double d;

	TAP_OK(broker_drain_args("h2", host, sizeof(host), &d, err, sizeof(err)) == 0 &&
	    strcmp(host, "h2") == 0 && d == -1, "drain h2: no deadline");
	TAP_OK(broker_drain_args("h2 --deadline 10m", host, sizeof(host), &d, err, sizeof(err)) == 0 &&
	    d == 600, "--deadline 10m: 600 s");
	TAP_OK(broker_drain_args("h2 --deadline 1.5h", host, sizeof(host), &d, err, sizeof(err)) == 0 &&
	    d == 5400, "--deadline 1.5h");
	TAP_OK(broker_drain_args("h2 --deadline 90", host, sizeof(host), &d, err, sizeof(err)) == 0 && d == 90,
	    "--deadline 90: seconds");
	TAP_OK(broker_drain_args("h2 --deadline 0", host, sizeof(host), &d, err, sizeof(err)) < 0, "a deadline of 0 is refused");
	TAP_OK(broker_drain_args("h2 --deadline 8d", host, sizeof(host), &d, err, sizeof(err)) < 0, "days are no unit");
	TAP_OK(broker_drain_args("h2 --deadline 200h", host, sizeof(host), &d, err, sizeof(err)) < 0, "above a week is refused");
	TAP_OK(broker_drain_args("h2 --deadline -5m", host, sizeof(host), &d, err, sizeof(err)) < 0, "a negative one too");
	TAP_OK(broker_drain_args("h/2", host, sizeof(host), &d, err, sizeof(err)) < 0, "a bad host name: %s", err);
	TAP_OK(broker_drain_args("h2 --later 5", host, sizeof(host), &d, err, sizeof(err)) < 0, "an unknown option: %s", err);
}

/* A move's ID: across connections and restarts, its answer is asked for, never the move. */
static void
test_request_ids(void)
{
	struct wire_breq rq = { .kind = WIRE_BREQ_MOVE, .action = VMM_ACT_MOVE, .id = 0x0123456789abcdefULL }, back;
	struct wire_bans a;
	char out[WIRE_MAX_LINE], err[128];
	size_t n;

	snprintf(rq.target, sizeof(rq.target), "h2");
	n = wire_breq_format(out, sizeof(out), &rq);
	TAP_OK(strcmp(out, "MOVE move h2 0 0123456789abcdef\n") == 0, "MOVE with its ID: %s", out);
	TAP_OK(wire_breq_parse(out, n, &back, err, sizeof(err)) == 0 && back.id == rq.id &&
	    strcmp(back.target, "h2") == 0, "reads back with the ID");
	TAP_OK(wire_breq_parse("MOVE move h2 0", 14, &back, err, sizeof(err)) == 0 && back.id == 0,
	    "a MOVE without an ID still parses (ID 0)");
	TAP_OK(wire_breq_parse("MOVE move h2 0 0000000000000000", 31, &back, err, sizeof(err)) < 0,
	    "ID 0 is refused");
	TAP_OK(wire_breq_parse("MOVE move h2 0 0123456789ABCDEF", 31, &back, err, sizeof(err)) < 0,
	    "upper-case hex is refused");
	TAP_OK(wire_breq_parse("MOVE move h2 0 0123456789abcde", 30, &back, err, sizeof(err)) < 0,
	    "15 digits are refused");
	rq = (struct wire_breq){ .kind = WIRE_BREQ_OUTCOME, .id = 42 };
	n = wire_breq_format(out, sizeof(out), &rq);
	TAP_OK(strcmp(out, "OUTCOME 000000000000002a\n") == 0 &&
	    wire_breq_parse(out, n, &back, err, sizeof(err)) == 0 && back.kind == WIRE_BREQ_OUTCOME &&
	    back.id == 42, "OUTCOME ID: %s", out);
	TAP_OK(wire_breq_parse("OUTCOME", 7, &back, err, sizeof(err)) < 0, "OUTCOME without an ID is refused");
	TAP_OK(wire_bans_parse("UNKNOWN", 7, &a, err, sizeof(err)) == 0 && a.kind == WIRE_BANS_UNKNOWN,
	    "UNKNOWN");
	TAP_OK(wire_bans_parse("UNKNOWN x", 9, &a, err, sizeof(err)) < 0, "UNKNOWN takes nothing after it");
}

static void
test_admission(void)
{
	double starts[BROKER_MAX_BUDGET], retry;
	size_t n = 0;
	char why[256];
	struct admit_input in = { .allowed = 1, .max_incoming = 1, .budget = 2, .now = 10000,
		.retry_after = 30, .target = "h2", .starts = starts };

	TAP_OK(admit_move(&in, why, sizeof(why), &retry) == 0, "a first move is admitted");
	in.allowed = 0;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) < 0 && retry == 3600, "not one of its hosts: %s", why);
	in.allowed = 1;
	in.draining = 1;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) < 0 && retry == 30, "draining: %s", why);
	in.draining = 0;
	in.incoming = 1;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) < 0 && strstr(why, "max_incoming 1"), "the cap: %s", why);
	in.incoming = 0;
	admit_record(starts, &n, BROKER_MAX_BUDGET, 7000);
	admit_record(starts, &n, BROKER_MAX_BUDGET, 9000);
	in.nstarts = n;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) < 0 && retry == 600,
	    "two moves this hour, budget 2: retry when the older leaves the hour (%.0f s): %s", retry, why);
	in.now = 10601;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) == 0, "an hour after the older, admitted");
	for (int i = 0; i < BROKER_MAX_BUDGET + 5; i++)
		admit_record(starts, &n, BROKER_MAX_BUDGET, 20000 + i);
	TAP_OK(n == BROKER_MAX_BUDGET && starts[n - 1] == 20000 + BROKER_MAX_BUDGET + 4,
	    "the window keeps the newest %d starts", BROKER_MAX_BUDGET);
}

/* A tenant's budget holds across its VMs: a VM with moves to spare is refused once its
 * tenant's hour is spent, told when the tenant's oldest move leaves the hour. */
static void
test_tenant(void)
{
	double tstarts[BROKER_MAX_TENANT_BUDGET], retry;
	size_t tn = 0;
	char why[256];
	struct admit_input in = { .allowed = 1, .budget = 6, .now = 10000, .retry_after = 30,
		.target = "h2", .tenant = "acme", .tenant_starts = tstarts, .tenant_budget = 3 };

	admit_record(tstarts, &tn, BROKER_MAX_TENANT_BUDGET, 6500);  /* vm1 */
	admit_record(tstarts, &tn, BROKER_MAX_TENANT_BUDGET, 8000);  /* vm2 */
	in.tenant_nstarts = tn;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) == 0, "two of the tenant's 3 moves used: admitted");
	admit_record(tstarts, &tn, BROKER_MAX_TENANT_BUDGET, 9000);  /* vm3 */
	in.tenant_nstarts = tn;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) < 0 && retry == 100 &&
	    strcmp(why, "tenant acme moved 3 times in the last hour (tenant_moves_per_hour 3)") == 0,
	    "a VM with no move of its own is refused once its tenant's are spent, retry %.0f s: %s", retry, why);
	in.tenant = NULL;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) == 0, "a VM of no tenant: only its own budget");
	in.tenant = "acme";
	in.tenant_budget = 0;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) == 0, "tenant_moves_per_hour 0: no tenant limit");
	in.tenant_budget = 3;
	in.now = 10101;
	TAP_OK(admit_move(&in, why, sizeof(why), &retry) == 0, "an hour after the tenant's oldest: admitted");
	for (int i = 0; i < BROKER_MAX_TENANT_BUDGET + 3; i++)
		admit_record(tstarts, &tn, BROKER_MAX_TENANT_BUDGET, 20000 + i);
	TAP_OK(tn == BROKER_MAX_TENANT_BUDGET, "the tenant's window is bounded (%zu)", tn);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_macs();
	test_lines();
	test_payloads();
	test_request_ids();
	test_admission();
	test_tenant();
	test_drain_args();
	return tap_done();
}
