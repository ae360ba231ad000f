// expect: E0499
// expect: cannot borrow `*t` as mutable more than once at a time
// A kernel thread's unique capability is borrowed from its context: while the RTNL it
// took is held, the thread cannot get another one to take it again.
use kernel::kthread::ThreadContext;
use kernel::net::rtnl;

fn body(t: &mut ThreadContext) {
    let _a = rtnl::lock(t.sleepable_mut());
    let _b = rtnl::lock(t.sleepable_mut());
}
