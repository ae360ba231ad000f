// SPDX-License-Identifier: GPL-2.0
/*
 * Registries the kernel crate keeps, set up once at boot, before any module can load
 * (modules load once user space runs, after every initcall):
 * - rust/kernel/kthread.rs: the threads modules started, stopped when their module goes;
 * - rust/kernel/net/socket.rs: every namespace's kernel sockets, taken down when it goes.
 *   late_initcall: after the inet protocols (inet_init is an fs_initcall), so that in a
 *   namespace that goes, the registry's pre_exit runs before their teardown.
 * One initcall for both: a second in this file would define init_module twice where the
 * helpers are parsed as a module (bindgen).
 */

#include <linux/init.h>

int rust_netdive_kthread_init(void);
int rust_netdive_socket_registry_init(void);

static int __init netdive_init(void)
{
	int err = rust_netdive_kthread_init();

	return err ? err : rust_netdive_socket_registry_init();
}
late_initcall(netdive_init);
