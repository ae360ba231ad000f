// expect: E0624
// expect: is private
// The unique capability (which may take the RTNL) is made only by the kernel crate's
// adapters, where the core calls without any lock held; a module cannot make one up.
use kernel::sync::sleep::Sleepable;

fn misuse() -> &'static mut Sleepable {
    // SAFETY: none that could be right: this is the misuse.
    unsafe { Sleepable::assume_mut() }
}
