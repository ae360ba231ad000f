// SPDX-License-Identifier: GPL-2.0
/* WARN() (include/asm-generic/bug.h), a macro: one wrapper. */

#include <linux/bug.h>

void rust_helper_netdive_warn(const char *msg)
{
	WARN(1, "%s", msg);
}
