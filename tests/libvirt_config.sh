#!/bin/bash
# SPDX-License-Identifier: ISC
# The libvirt endpoint's settings through `vmmanage -t`: every mistake is named with the
# file and line and how to mend it, and checking connects to nothing (the URIs here lead
# nowhere). Needs neither root nor libvirtd.
. "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}/tests/lib.sh"
. "$top_srcdir/tests/agent_lib.sh"
[ -e "$MODULE_DIR/endpoints/libvirt.so" ] || skip "the libvirt endpoint is not built"

base_conf() {
	agent_conf 'policy = "threshold"' 'threshold = 50' 'hosts = ["h1", "h2"]' 'base = "cheap"'
	sed -i '/^endpoint = /d; /^endpoint_command = /d' "$T/vmm.conf"
	echo 'endpoint = "libvirt"' >> "$T/vmm.conf"
}
# conf_t EXPECTED_RC PATTERN LINES...: -t on the base config plus LINES
conf_t() {
	local want=$1 pattern=$2 out rc t0
	shift 2
	base_conf
	printf '%s\n' "$@" >> "$T/vmm.conf"
	t0=$(date +%s)
	out=$("$VMMANAGE" -c "$T/vmm.conf" -t 2>&1); rc=$?
	check "$* -> exit $rc, $out" sh -c "test $rc = $want && printf '%s' \"\$1\" | grep -qE -- \"\$2\" && test \$(( \$(date +%s) - $t0 )) -lt 5" _ "$out" "$pattern"
}

dom='libvirt_domain = "6f1c7e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"'
tmpl='libvirt_uri_template = "qemu+tcp://%s.invalid/system"'
conf_t 0 'configuration OK.*endpoint libvirt' "$dom" "$tmpl"
conf_t 0 'configuration OK' "$dom" 'libvirt_uris = ["h1=qemu+tcp://10.231.250.1/system", "h2=qemu+tcp://10.231.250.2/system", "cheap=qemu+ssh://root@cheap.invalid/system"]' \
	'libvirt_migrate_uri_template = "tcp://%a:49152"'
conf_t 0 'configuration OK' 'libvirt_domain = "guest-by-name"' "$tmpl" 'libvirt_persist = true' \
	'libvirt_undefine_source = true' 'libvirt_bandwidth = 100' 'libvirt_max_downtime = 500' \
	'libvirt_auto_converge = true' 'libvirt_stall_timeout = 0' 'libvirt_keepalive = 0' \
	'libvirt_cross_site = "offline"' 'away = ["aws1"]'
conf_t 1 "vmm.conf: host 'h1' has no libvirt URI: set libvirt_uri_template" "$dom"
conf_t 1 "vmm.conf:[0-9]+: host 'cheap' has no libvirt URI.*add \"cheap=URI\" to libvirt_uris" "$dom" \
	'libvirt_uris = ["h1=qemu+tcp://a/system", "h2=qemu+tcp://b/system"]'
conf_t 1 "libvirt_uris: 'h3=qemu\+tcp://c/system' names none of hosts, base, home or away" "$dom" "$tmpl" \
	'libvirt_uris = ["h3=qemu+tcp://c/system"]'
conf_t 1 "libvirt_uris: 'h1' is not NAME=URI" "$dom" "$tmpl" 'libvirt_uris = ["h1"]'
conf_t 1 "vmm.conf:[0-9]+: libvirt_uri_template: .*only %s .* may follow %" "$dom" 'libvirt_uri_template = "qemu+tcp://%d/system"'
conf_t 1 "libvirt_migrate_uri_template for host 'h1': .*%a needs an address" "$dom" \
	'libvirt_uri_template = "qemu:///system?h=%s"' 'libvirt_migrate_uri_template = "tcp://%a"'
conf_t 1 "hosts 'h1' and 'h2' have the same libvirt URI" "$dom" "$tmpl" \
	'libvirt_uris = ["h1=qemu+tcp://x/system", "h2=qemu+tcp://x/system"]'
conf_t 1 'libvirt_undefine_source = true needs libvirt_persist = true' "$dom" "$tmpl" 'libvirt_undefine_source = true'
conf_t 1 "libvirt_cross_site: 'cold' is neither \"live_copy_storage\" nor \"offline\"" "$dom" "$tmpl" 'libvirt_cross_site = "cold"'
conf_t 1 'libvirt_bandwidth: expected a whole number' "$dom" "$tmpl" 'libvirt_bandwidth = "fast"'
conf_t 1 'libvirt_keepalive' "$dom" "$tmpl" 'libvirt_keepalive = -1'
conf_t 1 'libvirt_domain is empty' 'libvirt_domain = ""' "$tmpl"
if [ ! -r /sys/class/dmi/id/product_uuid ]; then
	conf_t 1 'libvirt_domain is not set and /sys/class/dmi/id/product_uuid cannot be read.*set libvirt_domain' "$tmpl"
fi
# the thesis's numbered hosts map through the template too
agent_conf 'policy = "threshold"' 'threshold = 50' 'min_range = 1' 'max_range = 3'
sed -i '/^endpoint = /d; /^endpoint_command = /d' "$T/vmm.conf"
printf '%s\n' 'endpoint = "libvirt"' "$dom" 'libvirt_uris = ["1=qemu+tcp://a/system", "2=qemu+tcp://b/system"]' >> "$T/vmm.conf"
check_fails_with "min_range..max_range hosts need URIs too" 1 "host '3' has no libvirt URI" \
	"$VMMANAGE" -c "$T/vmm.conf" -t
finish
