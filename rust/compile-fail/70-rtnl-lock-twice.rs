// expect: E0499
// expect: cannot borrow `*ctx` as mutable more than once at a time
// `rtnl_lock` is a mutex that does not recurse: a task that takes it again waits for
// itself forever. The guard borrows the context's unique `Sleepable` mutably, so a
// second lock while the first guard lives does not build.
use kernel::net::rtnl;
use kernel::sync::sleep::Sleepable;

fn misuse(ctx: &mut Sleepable) {
    let _a = rtnl::lock(ctx);
    let _b = rtnl::lock(ctx);
}
