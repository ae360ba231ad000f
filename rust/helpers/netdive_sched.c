// SPDX-License-Identifier: GPL-2.0
/* Where code may sleep: the static inline check of include/linux/kernel.h. */

#include <linux/kernel.h>

void rust_helper_might_sleep(void)
{
	might_sleep();
}
