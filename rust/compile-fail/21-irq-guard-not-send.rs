// expect: E0277
// expect: cannot be sent between threads safely
// A SpinLockIrq guard holds the interrupt flags its CPU saved: it must be released on that
// CPU, by the thread that took it.
use kernel::sync::spinlock_irq::SpinLockIrq;

fn needs_send<T: Send>(_: T) {}

fn misuse(lock: &SpinLockIrq<u32>) {
    needs_send(lock.lock());
}
