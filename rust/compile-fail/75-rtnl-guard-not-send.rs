// expect: E0277
// expect: cannot be shared between threads safely
// The RTNL is a mutex: the task that took it releases it. Its guard cannot go to another
// thread (a kthread's body, a work item).
use kernel::net::rtnl;
use kernel::sync::sleep::Sleepable;

fn needs_send<T: Send>(_: T) {}

fn misuse(ctx: &mut Sleepable) {
    needs_send(rtnl::lock(ctx));
}
