# The guest runs the lab kernel built from Debian's 6.12 source, with Rust enabled,
# and sees the host's files and tools.
. "$(dirname "$0")/../guest/testlib.sh"

expect_eq "$(uname -r | cut -d. -f1,2)" "6.12" "kernel version"
grep -q '^CONFIG_RUST=y' <(zcat /proc/config.gz) || fail "CONFIG_RUST is not set in the running kernel"
note "ok: CONFIG_RUST=y"
[ -f "$ND_PROJ/Makefile" ] || fail "the project directory is not visible in the guest"
touch /tmp/writable || fail "/tmp is not writable"
for tool in ip ethtool tcpdump nft ping bpftool python3 modprobe; do
	command -v $tool >/dev/null || fail "host tool '$tool' is not visible in the guest"
done
note "ok: host tools visible"
modprobe -n -v netdevs >/dev/null || fail "modprobe does not find the netdevs module"
note "ok: modprobe finds our modules"
