# Hostile input to every control file (/proc/net/rfilter, /proc/net/rxdp, /proc/net/rroute): writes larger
# than a page, NUL and escape bytes, a command split across two write(2) calls, unknown
# verbs, every field at and past its bounds, a full table, writers without the right.
# Each gets the errno it should, the table is unchanged, and the kernel log gets at
# most one escaped, rate-limited line per refusal.
. "$(dirname "$0")/../guest/testlib.sh"
trap 'unanchor nh; ip netns del nh 2>/dev/null; unload rxdp; unload rfilter; unload rroute' EXIT
ip netns del nh 2>/dev/null
modprobe rveth && modprobe rfilter && modprobe rxdp && modprobe rroute || fail "modprobe rveth rfilter rxdp rroute"
must ip netns add nh
# Devices for rxdp to name; down and without addresses, so no traffic moves a counter.
must ip -n nh link add name h0 type rveth peer name h1
# nh's /proc/net files through a process in it (testlib's anchor): reads, and the writes
# of a privileged writer, start no process of their own.
anchor nh

# wr FILE EXPR...: each EXPR (a Python bytes expression) written with one write(2) on
# one descriptor of FILE in namespace nh; "ok" or the errno's name for each.
wr() { write_errnos nh "$@"; }
RF=/proc/net/rfilter
XF=/proc/net/rxdp
rftable() { net_read nh rfilter; }
xtable() { net_read nh rxdp; }

# --- what reaches the log: escaped, clipped, rate limited ---------------------------
# net_ratelimit allows 10 lines per 5 s: wait out what an earlier test used of it.
sleep 5
mark_dmesg
expect_eq "$(wr $RF 'b"bogus\x1b[2J\0tail\x07"')" "EINVAL" "rfilter: a command with escape and NUL bytes"
# refusals N: at least N refusals logged since the mark (earlier tests logged their own).
refusals() { [ "$(dmesg_since_mark | grep -c 'rfilter: refused')" -ge "$1" ]; }
wait_for "the refusal in the kernel log" 10 refusals 1
line=$(dmesg_since_mark | grep 'rfilter: refused')
expect_eq "$line" "${line%%$'\e'*}" "rfilter's log line holds no raw escape byte"
case $line in *"refused 'bogus\\u{1b}[2J\\0tail\\u{7}'"*) note "ok: the log shows the bytes escaped: ${line#*rfilter: }" ;;
*) fail "the refusal is not logged escaped: $line" ;; esac
expect_eq "$(wr $RF "b'add drop proto icmp ' + b'x' * 400")" "EINVAL" "rfilter: a 420-byte line that does not parse"
wait_for "the second refusal" 10 refusals 2
line=$(dmesg_since_mark | grep 'rfilter: refused' | tail -n 1)
[ ${#line} -lt 200 ] || fail "the refusal of a 420-byte line is not clipped: ${#line} characters"
note "ok: the refusal of a 420-byte line is clipped to ${#line} characters"
mark_dmesg
burst=$(wr $RF $(for i in $(seq 50); do echo 'b"nonsense"'; done) | tr ' ' '\n' | sort | uniq -c | xargs)
expect_eq "$burst" "50 EINVAL" "50 bad writes in a burst"
sleep 0.5
n=$(dmesg_since_mark | grep -c 'rfilter: refused')
[ "$n" -le 10 ] || fail "50 refusals logged $n lines: not rate limited"
note "ok: 50 refusals logged $n line(s) (net_ratelimit: at most 10 per 5 s)"

# --- rfilter ------------------------------------------------------------------------
must ip netns exec nh sh -c "printf 'add drop proto udp dport 9\nadd accept family ip6 proto icmp src fd00::/64\n' > $RF"
t0=$(rftable)
expect_eq "$(echo "$t0" | grep -c '^[0-9]*: ')" 2 "rules before the hostile writes"
expect_eq "$(wr $RF 'b"x" * 5000')" "EINVAL" "rfilter: a write larger than a page"
# 4095 bytes is the largest write the core takes: all of it parsed, or none applied.
expect_eq "$(wr $RF 'b"add accept proto icmp\n" * 186 + b"add"')" "EINVAL" \
	"rfilter: 186 good rules and a cut-off one in 4095 bytes"
expect_eq "$(rftable)" "$t0" "rfilter table after a refused batch"
expect_eq "$(wr $RF 'b"add drop proto icmp\0"' 'b"\0" * 64' 'b"add drop\0proto icmp"')" "EINVAL EINVAL EINVAL" \
	"rfilter: commands with NUL bytes"
expect_eq "$(wr $RF 'b"add drop pro"' 'b"to icmp\n"')" "EINVAL EINVAL" "rfilter: one rule split across two writes"
expect_eq "$(wr $RF 'b"frobnicate\n"' 'b"add frob\n"' 'b"add drop colour red\n"' 'b"flush now\n"' 'b"\n\n  \n"' 'b"\xff\xfe"')" \
	"EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL" "rfilter: unknown verbs, actions, keywords; blank and non-text writes"
expect_eq "$(wr $RF 'b"add drop proto udp dport 65536"' 'b"add drop proto udp sport 99999"' 'b"add drop src 10.0.0.0/33"' \
	'b"add drop family ip6 dst fd00::/129"' 'b"add drop src 256.0.0.1"' 'b"del 0"' 'b"del 3"' 'b"del 99999999999"' \
	'b"add drop proto sctp"' 'b"add drop proto icmp proto tcp"' 'b"add accept with tcp-reset"' 'b"add drop hook sideways"' \
	"b'add drop proto icmp' + b' ' * 600")" \
	"EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL" \
	"rfilter: every field past its bounds"
expect_eq "$(rftable)" "$t0" "rfilter table after the refused writes"
# At the bounds: accepted, then taken back.
expect_eq "$(wr $RF 'b"add drop proto udp dport 65535 sport 0"' 'b"add drop src 10.0.0.0/32 dst 0.0.0.0/0"' \
	'b"add drop family ip6 src fd00::/128"' 'b"del 5"' 'b"del 4"' 'b"del 3"')" "ok ok ok ok ok ok" \
	"rfilter: every field at its bounds, then deleted"
expect_eq "$(rftable)" "$t0" "rfilter table after adding and deleting at the bounds"

# A full table: 1024 rules; one more is refused with ENOSPC, a batch that would pass
# the limit is refused whole, and flush empties it.
fill=$(wr $RF 'b"add drop proto tcp dport 7\n" * 150' 'b"add drop proto tcp dport 7\n" * 150' \
	'b"add drop proto tcp dport 7\n" * 150' 'b"add drop proto tcp dport 7\n" * 150' 'b"add drop proto tcp dport 7\n" * 150' \
	'b"add drop proto tcp dport 7\n" * 150' 'b"add drop proto tcp dport 7\n" * 122')
expect_eq "$fill" "ok ok ok ok ok ok ok" "rfilter: 1022 rules more in seven writes"
expect_eq "$(rftable | grep -c '^[0-9]*: ')" 1024 "rules in a full table"
expect_eq "$(wr $RF 'b"add drop proto icmp"' 'b"del 1\nadd drop proto icmp\nadd drop proto icmp\n"')" "ENOSPC ENOSPC" \
	"rfilter: one more rule, and a batch that would pass the limit"
expect_eq "$(rftable | head -n 2)" "$t0" "the first rules of the full table after the refusals"
expect_eq "$(rftable | grep -c '^[0-9]*: ')" 1024 "rules in the full table after the refusals"
must net_write nh rfilter flush
expect_empty "rfilter table after flush" rftable
must ip netns exec nh sh -c "printf 'add drop proto udp dport 9\nadd accept family ip6 proto icmp src fd00::/64\n' > $RF"

# Writers without the right: a non-root user cannot open the file; root without
# CAP_NET_ADMIN opens it but its writes are refused.
expect_eq "$(AS="setpriv --reuid=65534 --regid=65534 --clear-groups" wr $RF 'b"flush"')" "EACCES" "rfilter: a non-root writer"
expect_eq "$(AS="setpriv --inh-caps=-net_admin --bounding-set=-net_admin" wr $RF 'b"flush"')" "EPERM" \
	"rfilter: root without CAP_NET_ADMIN"
expect_eq "$(rftable)" "$t0" "rfilter table after the writers without the right"
ip netns exec nh setpriv --reuid=65534 --regid=65534 --clear-groups cat $RF >/dev/null ||
	fail "a non-root user cannot read /proc/net/rfilter"
note "ok: a non-root user reads the table"

# --- rxdp ---------------------------------------------------------------------------
must net_write nh rxdp 'attach h1 drop proto udp dport 9'
x0=$(xtable)
expect_eq "$x0" "h1: drop proto udp dport 9 hits 0" "rxdp table before the hostile writes"
expect_eq "$(wr $XF 'b"attach h0 count " + b" " * 5000')" "EINVAL" "rxdp: a write larger than a page"
expect_eq "$(wr $XF 'b"attach h0 count\0"' 'b"attach h0\0 count"' 'b"\0"')" "EINVAL EINVAL EINVAL" "rxdp: commands with NUL bytes"
expect_eq "$(wr $XF 'b"attach h0 co"' 'b"unt\n"')" "EINVAL EINVAL" "rxdp: one command split across two writes"
expect_eq "$(wr $XF 'b"attach h0 count\ndetach h1\n"' 'b"frobnicate h0"' 'b"attach h0 frob"' 'b"detach"' 'b"attach"' \
	'b"\n \n"' 'b"\xc3\x28"')" "EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL" \
	"rxdp: two commands in a write, unknown verbs and programs, missing words, blank and non-text writes"
expect_eq "$(wr $XF 'b"attach h0 drop proto udp dport 65536"' 'b"attach h0 drop dport 9"' 'b"attach h0 drop proto sctp"' \
	'b"attach h0 drop proto udp proto tcp"' 'b"attach abcdefghijklmnop count"' 'b"attach a/b count"' \
	'b"attach h0 redirect"' 'b"attach h0 count extra"')" \
	"EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL" "rxdp: every field past its bounds"
expect_eq "$(wr $XF 'b"attach abcdefghijklmno count"' 'b"attach h0 redirect nosuchdev"' 'b"attach lo count"' \
	'b"attach h1 count"' 'b"detach h0"')" "ENODEV ENODEV EOPNOTSUPP EBUSY ENOENT" \
	"rxdp: no such device (15 characters), no such target, not an rveth device, already attached, nothing attached"
expect_eq "$(xtable)" "$x0" "rxdp table after the refused writes"
expect_eq "$(wr $XF 'b"attach h0 drop proto tcp dport 65535"' 'b"detach h0"')" "ok ok" "rxdp: a port at its bound, then detached"
expect_eq "$(AS="setpriv --reuid=65534 --regid=65534 --clear-groups" wr $XF 'b"detach h1"')" "EACCES" "rxdp: a non-root writer"
expect_eq "$(AS="setpriv --inh-caps=-net_admin --bounding-set=-net_admin" wr $XF 'b"detach h1"')" "EPERM" \
	"rxdp: root without CAP_NET_ADMIN"
expect_eq "$(xtable)" "$x0" "rxdp table after the writers without the right"
must net_write nh rxdp 'detach h1'

# --- rroute -------------------------------------------------------------------------
QF=/proc/net/rroute
must net_write nh rroute 'lookup 127.0.0.1'
q0=$(net_read nh rroute)
expect_eq "$(echo "$q0" | head -n 1)" "lookup 127.0.0.1" "rroute's question before the hostile writes"
expect_eq "$(wr $QF 'b"lookup 127.0.0.1 " + b" " * 5000')" "EINVAL" "rroute: a write larger than a page"
expect_eq "$(wr $QF 'b"lookup 127.0.0.1\0"' 'b"lookup\0 127.0.0.1"' 'b"\0"')" "EINVAL EINVAL EINVAL" "rroute: questions with NUL bytes"
expect_eq "$(wr $QF 'b"lookup 127."' 'b"0.0.1\n"')" "EINVAL EINVAL" "rroute: one question split across two writes"
expect_eq "$(wr $QF 'b"lookup 127.0.0.1 mark 0x100000000"' 'b"lookup 127.0.0.1 tos 0x100"' 'b"lookup 1.2.3.4/24"' \
	'b"lookup6 ::1 from 127.0.0.1"' 'b"lookup 127.0.0.1 iif abcdefghijklmnop"' 'b"lookup 127.0.0.1 iif"' \
	"b'lookup 127.0.0.1' + b' mark 1' * 100")" \
	"EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL" "rroute: every field past its bounds"
expect_eq "$(wr $QF 'b"lookup 127.0.0.1 iif abcdefghijklmno"')" "ENODEV" "rroute: no such device (15 characters)"
expect_eq "$(AS="setpriv --reuid=65534 --regid=65534 --clear-groups" wr $QF 'b"lookup 127.0.0.2"')" "EACCES" "rroute: a non-root writer"
expect_eq "$(AS="setpriv --inh-caps=-net_admin --bounding-set=-net_admin" wr $QF 'b"lookup 127.0.0.2"')" "EPERM" \
	"rroute: root without CAP_NET_ADMIN"
expect_eq "$(net_read nh rroute)" "$q0" "rroute's answer after the refused writes"
expect_eq "$(rftable)" "$t0" "rfilter table at the end"
