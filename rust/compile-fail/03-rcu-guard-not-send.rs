// expect: E0277
// expect: cannot be sent between threads safely
// A read-side section ends on the CPU context that began it: a guard cannot be sent to
// another thread (a work item, say).
use kernel::sync::rcu;

fn needs_send<T: Send>(_: T) {}

fn misuse() {
    needs_send(rcu::read_lock());
}
