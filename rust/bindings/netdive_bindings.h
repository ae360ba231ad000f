/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C headers netdive's Rust abstractions bind to. Included at the end of the
 * kernel's rust/bindings/bindings_helper.h by scripts/build.sh.
 */

#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <net/net_namespace.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/ptr_ring.h>
#include <linux/skbuff.h>
#include <net/rtnetlink.h>
#include <uapi/linux/veth.h>
#include <net/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/capability.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include <net/netns/generic.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <net/xdp.h>
#include <net/page_pool/helpers.h>
#include <net/ip_fib.h>
#include <net/fib_rules.h>
#include <net/route.h>
#include <net/ip6_fib.h>
#include <net/ip6_route.h>
#include <net/addrconf.h>
#include <net/ipv6_stubs.h>
#include <linux/tracepoint.h>
#include <net/inet_sock.h>
#include <net/tcp_states.h>
#include <linux/delay.h>
