// SPDX-License-Identifier: GPL-2.0
/* Static inlines for tracepoint probes (include/linux/tracepoint.h, include/net/sock.h). */

#include <linux/tracepoint.h>
#include <net/sock.h>

void rust_helper_tracepoint_synchronize_unregister(void)
{
	tracepoint_synchronize_unregister();
}

struct net *rust_helper_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}
