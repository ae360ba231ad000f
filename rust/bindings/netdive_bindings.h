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
