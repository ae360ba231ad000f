// SPDX-License-Identifier: GPL-2.0
/* Static inlines the netfilter and procfs abstractions call (net/netfilter, fs/proc). */

#include <linux/fs.h>
#include <linux/proc_fs.h>
#include <net/netns/generic.h>

void *rust_helper_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

void *rust_helper_pde_data(const struct inode *inode)
{
	return pde_data(inode);
}

struct inode *rust_helper_file_inode(const struct file *f)
{
	return file_inode(f);
}
