// expect: E0277
// expect: the trait bound `Counts: IdSlot` is not satisfied
// A subsystem has an id slot, or it is not one: without `pernet_id!` (or
// `module_pernet!`), the core would have nowhere to record where its state is.
use kernel::net::{ns::Namespace, pernet};
use kernel::prelude::*;

struct Counts;

impl pernet::Subsystem for Counts {
    type Data = ();
    type Features = ();

    fn init(_net: &Namespace) -> impl PinInit<Self::Data, Error> {
        ()
    }
}
