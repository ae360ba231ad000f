# Planted bug (make test PLANT=skb-leak): rplant allocates 2000 sk_buffs and never frees
# them. The test itself passes; the harness's sk_buff balance around it must fail it.
. "$(dirname "$0")/../../guest/testlib.sh"
modprobe rplant || fail "modprobe rplant"
echo "skb-leak 2000" >/proc/net/rplant || fail "rplant refused skb-leak"
note "2000 sk_buffs leaked on purpose: the harness must report this test as leaking"
