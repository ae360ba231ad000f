// SPDX-License-Identifier: GPL-2.0
/* Per-CPU macros (include/linux/percpu-defs.h, include/linux/cpumask.h, smp.h), one
 * wrapper each, for u64 counters. */

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/smp.h>

/* __alloc_percpu() (a macro, for allocation profiling); zeroed memory or NULL. */
void __percpu *rust_helper_alloc_percpu_bytes(size_t size, size_t align)
{
	return __alloc_percpu(size, align);
}

/* One instruction on x86 (add %gs:...): no lock, exact under preemption and interrupts. */
void rust_helper_this_cpu_add_u64(u64 __percpu *p, u64 val)
{
	this_cpu_add(*p, val);
}

void *rust_helper_per_cpu_ptr(void __percpu *p, int cpu)
{
	return per_cpu_ptr(p, cpu);
}

bool rust_helper_cpumask_test_cpu(int cpu, const struct cpumask *mask)
{
	return cpumask_test_cpu(cpu, mask);
}

int rust_helper_raw_smp_processor_id(void)
{
	return raw_smp_processor_id();
}
