// expect: E0277
// expect: `Cell<u64>` cannot be shared between threads safely
// A namespace's state is used by every CPU at once (hooks, control file): it must be
// `Sync`.
use kernel::net::{ns::Namespace, pernet};
use kernel::prelude::*;

struct Counts;

kernel::pernet_id!(Counts);

impl pernet::Subsystem for Counts {
    type Data = core::cell::Cell<u64>;
    type Features = ();

    fn init(_net: &Namespace) -> impl PinInit<Self::Data, Error> {
        core::cell::Cell::new(0)
    }
}
