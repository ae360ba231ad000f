# Last: ask kmemleak (debug kernel) for memory that the earlier tests leaked. A leak whose
# allocation backtrace goes through our code (Rust symbols, our modules) fails the run.
. "$(dirname "$0")/../guest/testlib.sh"
k=/sys/kernel/debug/kmemleak
[ -e $k ] || skip "kmemleak is not in this kernel (the lab kernel); make test uses the debug kernel"
# kmemleak reports objects older than 5 s that no pointer references, after a scan.
sleep 6
echo scan >$k
echo scan >$k
cat $k >/tmp/kmemleak.txt
total=$(grep -c 'unreferenced object' /tmp/kmemleak.txt)
ours=$(awk '/unreferenced object/ {if (blk != "") print blk; blk=$0; next} {blk=blk "\n" $0} END {if (blk != "") print blk}' /tmp/kmemleak.txt |
	grep -cE 'rveth|rdummy|netdevs|rfilter|rxdp|_RN|rust_helper')
note "kmemleak: $total unreferenced object(s) in all, $ours through netdive code"
if [ "$ours" -gt 0 ]; then
	head -80 /tmp/kmemleak.txt
	fail "$ours leak(s) allocated through netdive code"
fi
