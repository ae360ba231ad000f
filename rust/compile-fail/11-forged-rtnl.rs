// expect: E0423
// expect: cannot initialize a tuple struct which contains private fields
// The RTNL token proves the lock is held; code cannot make one up.
use kernel::net::rtnl::Rtnl;

fn misuse() {
    let _rtnl = Rtnl(core::marker::PhantomData);
}
