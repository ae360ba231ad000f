// SPDX-License-Identifier: GPL-2.0
/* Per-CPU 64-bit counters: alloc_percpu, this_cpu_add and per_cpu_ptr are macros
 * (include/linux/percpu.h, include/linux/percpu-defs.h). */

#include <linux/cpumask.h>
#include <linux/percpu.h>

u64 *rust_helper_netdive_percpu_u64_alloc(void)
{
	return (u64 __force *)alloc_percpu(u64);
}

void rust_helper_netdive_percpu_u64_free(u64 *p)
{
	free_percpu((u64 __percpu __force *)p);
}

/* One instruction on x86 (add %gs:...): no lock, safe against preemption and irqs. */
void rust_helper_netdive_percpu_u64_add(u64 *p, u64 n)
{
	this_cpu_add(*(u64 __percpu __force *)p, n);
}

u64 rust_helper_netdive_percpu_u64_sum(u64 *p)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr((u64 __percpu __force *)p, cpu));
	return sum;
}
