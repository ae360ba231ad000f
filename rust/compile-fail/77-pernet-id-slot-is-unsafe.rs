// expect: E0200
// expect: requires an `unsafe impl` declaration
// A subsystem's id slot must be the same static on every call: the registration hands it
// to the core and every callback finds the namespace's state through it. A safe `impl`
// could return a new slot each time; `pernet_id!` (or `module_pernet!`) declares it.
use kernel::net::pernet;

struct Counts;

impl pernet::IdSlot for Counts {
    fn id() -> &'static pernet::Id {
        static ID: pernet::Id = pernet::Id::new();
        &ID
    }
}
