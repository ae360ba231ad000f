// expect: E0308
// expect: types differ in mutability
// A callback the core may run with the RTNL held has at most a shared `&Sleepable`:
// enough to sleep, not to take the RTNL again. Pernet `exit` is one
// (`unregister_pernet_subsys` runs it in the task that drops the registration, which may
// hold the RTNL); its adapter's signature is the trait's, so this is what a subsystem
// gets.
use kernel::net::{ns::Namespace, pernet, rtnl};
use kernel::prelude::*;
use kernel::sync::sleep::Sleepable;

struct Sub;

kernel::pernet_id!(Sub);

impl pernet::Subsystem for Sub {
    type Data = ();
    type Features = ();
    fn init(_net: &Namespace) -> impl PinInit<(), Error> {}
    fn exit(_data: &(), ctx: &Sleepable) {
        let _again = rtnl::lock(ctx);
    }
}
