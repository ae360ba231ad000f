// SPDX-License-Identifier: GPL-2.0
/*
 * iproute2 link plugin for the rveth link kind (samples/rveth.rs), and for any other
 * pair kind that speaks veth's layout: built with -DKIND=expair it is the plugin for
 * exercise 1's expair (exercises/01-pair-driver).
 *
 * `ip link add ... type KIND peer name X` parses "peer ..." only when iproute2 knows
 * KIND; for other kinds it dlopens $IP_LIB_DIR/link_KIND.so and looks up the data
 * symbol KIND_link_util in it. rveth speaks veth's netlink layout (VETH_INFO_PEER
 * carrying a struct ifinfomsg and the peer's attributes), so this plugin lends it the
 * ip binary's own veth parser, found at load time: the syntax and every peer option
 * stay exactly veth's, for the iproute2 that is installed.
 *
 * Build: gcc -O2 -Wall -Werror -shared -fPIC [-DKIND=expair] -o link_rveth.so link_rveth.c -ldl
 * (scripts/iproute2/install.sh does this for each kind and installs them).
 */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#ifndef KIND
#define KIND rveth
#endif
#define STR_(x) #x
#define STR(x) STR_(x)
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
/* The kind's name, and the symbol ip looks up in link_KIND.so. */
#define KIND_NAME STR(KIND)
#define KIND_LINK_UTIL CAT(KIND, _link_util)

struct nlmsghdr;
struct rtattr;

/* iproute2 6.1's struct link_util (ip/ip_common.h), member for member. */
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

/* veth's parser, once found; NULL means "cannot parse peer options". */
static int (*veth_parse_opt)(struct link_util *, int, char **, struct nlmsghdr *);
/* Why veth's parser was not borrowed, for the error message. */
static const char *missing = "this ip binary does not export veth_link_util";

static void pair_help(struct link_util *lu, int argc, char **argv, FILE *f)
{
	fprintf(f, "Usage: ip link <options> type " KIND_NAME " [peer <options>]\n"
		   "To get <options> type 'ip link add help'\n");
}

/* Called with the arguments after "type KIND" (ip calls it only if there are some). */
static int pair_parse_opt(struct link_util *lu, int argc, char **argv, struct nlmsghdr *n)
{
	if (strcmp(argv[0], "peer") != 0) { /* "help", or anything else veth would refuse */
		pair_help(lu, argc, argv, stderr);
		return -1;
	}
	if (!veth_parse_opt) {
		fprintf(stderr,
			KIND_NAME ": %s; 'peer ...' cannot be parsed. Use 'ip link add name X type " KIND_NAME "'\n"
			"(the kernel names the peer " KIND_NAME "<N>).\n", missing);
		return -1;
	}
	/* Appends VETH_INFO_PEER (type 1) under IFLA_INFO_DATA, exactly as for veth. */
	return veth_parse_opt(lu, argc, argv, n);
}

/* The symbol ip looks up; its `next` is set by ip itself when it registers the kind. */
struct link_util KIND_LINK_UTIL = {
	.id = KIND_NAME,
	.parse_opt = pair_parse_opt,
	.print_help = pair_help,
};

/* Runs at dlopen time, before ip reads KIND_link_util. */
__attribute__((constructor)) static void borrow_veth_link_util(void)
{
	const struct link_util *veth = dlsym(RTLD_DEFAULT, "veth_link_util");

	if (!veth)
		return;
	/*
	 * next and id lead struct link_util in every iproute2 since 2012; if id does not
	 * read "veth", this ip's layout differs from ours and nothing else can be trusted.
	 */
	if (!veth->id || strcmp(veth->id, "veth") != 0) {
		missing = "this ip binary's veth_link_util does not match iproute2 6.1's layout";
		return;
	}
	KIND_LINK_UTIL = *veth;
	KIND_LINK_UTIL.next = NULL;
	KIND_LINK_UTIL.id = KIND_NAME;
	/* Keep our own entry points: help text that names the kind, then veth's parser. */
	veth_parse_opt = veth->parse_opt;
	KIND_LINK_UTIL.parse_opt = pair_parse_opt;
	KIND_LINK_UTIL.print_help = pair_help;
}
