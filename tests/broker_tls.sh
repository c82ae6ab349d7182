#!/bin/bash
# SPDX-License-Identifier: ISC
# time-limit: 900
# A TLS migration (libvirt_tls) on real libvirt hosts through the broker. Without
# certificates the hosts cannot migrate with TLS: the move fails and the guest stays.
# With a CA, a server and a client certificate (made here with openssl) in each host's
# migrate_tls_x509_cert_dir, the same move succeeds: QEMU's migration stream is TLS.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
. "$top_srcdir/tests/libvirt_hosts.sh"
. "$top_srcdir/tests/broker_lib.sh"
lv_need
need_cmd python3 openssl
broker_libvirt_asan

lv_hosts_start h1 h2
lv_guest_start h1
broker_key vm1
broker_vm vm1 "libvirt_domain = \"$LV_UUID\"" 'hosts = ["h1", "h2"]' \
	"libvirt_uris = [\"h1=$(lv_uri h1)\", \"h2=$(lv_uri h2)\"]" \
	'libvirt_migrate_uri_template = "tcp://%a"' 'endpoint_timeout = 60' 'libvirt_tls = "always"'
broker_conf 'endpoint = "libvirt"'
broker_start

# ---- no certificates: a TLS migration cannot start ----
out=$(peer vm1 "MOVE move h2 0")
check "without certificates the TLS move fails: QEMU finds no TLS credentials ($(head -c 300 <<<"$out"))" \
	grep -q '^DONE failed .*Unable to access credentials .*ca-cert.pem' <<<"$out"
check "and the guest stays on h1 ($(lv_where))" test "$(lv_where)" = h1
broker_stop

# ---- a CA, and certificates for both hosts (their addresses and names) ----
pki=$T/pki
mkdir -p "$pki"
ossl() { openssl "$@" >>"$T/openssl.log" 2>&1 || die "openssl $1: $(tail -3 "$T/openssl.log")"; }
ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=vmmtest-ca -keyout "$pki/ca-key.pem" \
	-out "$pki/ca-cert.pem" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
cert() { # cert NAME EKU
	ossl req -newkey rsa:2048 -nodes -subj "/CN=vmmtest-$1" -keyout "$pki/$1-key.pem" -out "$T/$1.csr"
	printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=$2" "subjectAltName=IP:$(lv_addr h1),IP:$(lv_addr h2),DNS:h1,DNS:h2" > "$T/$1.ext"
	ossl x509 -req -in "$T/$1.csr" -CA "$pki/ca-cert.pem" -CAkey "$pki/ca-key.pem" -CAcreateserial \
		-days 2 -extfile "$T/$1.ext" -out "$pki/$1-cert.pem"
}
cert server serverAuth
cert client clientAuth
rm -f "$pki/ca-key.pem"
for h in h1 h2; do
	echo "migrate_tls_x509_cert_dir = \"$pki\"" >> "$LV_DIR/$h/etc/qemu.conf"
	lv_host_stop "$h"
	lv_host_restart "$h"
done
check "the guest still runs on h1 after the hosts' restart ($(lv_where))" test "$(lv_where)" = h1

broker_start
peer vm1 "MOVE move h2 0" > "$T/ans"
check "with certificates the TLS move is confirmed ($(head -1 "$T/ans"))" grep -q '^DONE confirmed 0 0 [0-9.]* h2' "$T/ans"
check "the broker logged it" grep -qE 'broker: vm1: move to h2 confirmed' "$T/broker.log"
check "the guest runs on h2 ($(lv_state h2)), not on h1 ($(lv_state h1))" \
	sh -c "[ '$(lv_state h2)' = running ] && [ '$(lv_state h1)' = absent ]"
broker_stop
finish
