// expect: E0521
// expect: borrowed data escapes
// A TCP state change borrows the socket for the probe's call (the socket may be freed
// right after it): a watcher cannot keep it for later.
use kernel::net::{ns::Namespace, pernet, tcp_state};
use kernel::prelude::*;

struct Keeper;

kernel::pernet_id!(Keeper);

impl pernet::Subsystem for Keeper {
    type Data = ();
    type Features = tcp_state::Watch<Self>;

    fn init(_net: &Namespace) -> impl PinInit<Self::Data, Error> {}
}

fn keep(_change: &'static tcp_state::Change<'static>) {}

impl tcp_state::Watcher for Keeper {
    fn changed(_data: &(), change: &tcp_state::Change<'_>) {
        keep(change);
    }
}
