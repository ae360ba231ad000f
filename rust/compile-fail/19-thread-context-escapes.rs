// expect: E0277
// expect: cannot be shared between threads safely
// A kernel thread's context (its stop flag, its right to sleep) belongs to that thread:
// it cannot be handed to another one.
use kernel::kthread::ThreadContext;

fn needs_send<T: Send>(_: T) {}

fn misuse(t: &ThreadContext) {
    needs_send(t);
}
