// SPDX-License-Identifier: GPL-2.0
/*
 * iproute2 link plugin for the rveth link kind (samples/rveth.rs).
 *
 * `ip link add ... type KIND peer name X` parses "peer ..." only when iproute2 knows
 * KIND; for others it dlopens $IP_LIB_DIR/link_KIND.so (default /usr/lib/ip) and uses
 * its KIND_link_util. rveth speaks veth's netlink layout (VETH_INFO_PEER carrying a
 * struct ifinfomsg and the peer's attributes), so this plugin lends it the ip binary's
 * own veth parser, found at load time: the syntax and every peer option stay exactly
 * veth's, for the iproute2 that is installed.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

struct nlmsghdr;
struct rtattr;

/* The leading members of iproute2's struct link_util (ip/ip_common.h), unchanged since
 * 2012; the plugin reads only these from the ip binary's veth_link_util. */
struct link_util {
	struct link_util *next;
	const char *id;
	int maxattr;
	int (*parse_opt)(struct link_util *, int, char **, struct nlmsghdr *);
	void (*print_opt)(struct link_util *, FILE *, struct rtattr *[]);
	void (*print_xstats)(struct link_util *, FILE *, struct rtattr *);
	void (*print_help)(struct link_util *, int, char **, FILE *);
	int (*parse_ifla_xstats)(struct link_util *, int, char **);
	int (*print_ifla_xstats)(struct nlmsghdr *, void *);
};

static int no_veth_parse(struct link_util *lu, int argc, char **argv, struct nlmsghdr *n)
{
	fprintf(stderr,
		"rveth: this ip binary does not export veth_link_util, so 'peer ...' cannot be\n"
		"parsed; use 'ip link add name X type rveth' (the peer is named rveth<N>).\n");
	return -1;
}

static void rveth_help(struct link_util *lu, int argc, char **argv, FILE *f)
{
	fprintf(f, "Usage: ip link <options> type rveth [peer <options>]\n"
		   "To get <options> type 'ip link add help'\n");
}

struct link_util rveth_link_util = {
	.id = "rveth",
	.parse_opt = no_veth_parse,
	.print_help = rveth_help,
};

__attribute__((constructor)) static void borrow_veth_parser(void)
{
	const struct link_util *veth = dlsym(RTLD_DEFAULT, "veth_link_util");

	if (!veth || !veth->id || strcmp(veth->id, "veth") != 0)
		return;
	rveth_link_util.maxattr = veth->maxattr;
	rveth_link_util.parse_opt = veth->parse_opt;
	if (veth->print_help)
		rveth_link_util.print_help = veth->print_help;
}
