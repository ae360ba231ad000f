# Planted bug (make test PLANT=skb-leak): rplant allocates 400 sk_buffs and never frees
# them, fewer than the 512 the balance once allowed (its margin is now 128 per CPU, the
# count exact). The test itself passes; the harness's sk_buff balance must fail it.
. "$(dirname "$0")/../../guest/testlib.sh"
modprobe rplant || fail "modprobe rplant"
echo "skb-leak 400" >/proc/net/rplant || fail "rplant refused skb-leak"
note "400 sk_buffs leaked on purpose: the harness must report this test as leaking"
