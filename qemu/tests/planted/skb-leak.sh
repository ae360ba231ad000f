# Planted bug (make test PLANT=skb-leak): rplant allocates the harness's margin and 144
# sk_buffs more (400 on 2 CPUs, fewer than the 512 the balance once allowed: its margin is
# now 128 per CPU, the count exact) and never frees them. The test itself passes; the harness's sk_buff balance must fail it.
. "$(dirname "$0")/../../guest/testlib.sh"
modprobe rplant || fail "modprobe rplant"
# 144 more than the margin (the harness's, exported): 400 on 2 CPUs.
n=$((${SKB_MARGIN:-256} + 144))
echo "skb-leak $n" >/proc/net/rplant || fail "rplant refused skb-leak"
note "$n sk_buffs leaked on purpose: the harness must report this test as leaking"
