// expect: E0133
// expect: call to unsafe function
// Saying "this code may sleep" is a promise about the context, which only the caller
// knows: `Sleepable::assume` is unsafe, so safe code cannot make one up (in a netfilter
// hook, say) to call a blocking function.
use kernel::sync::sleep::Sleepable;

fn misuse() -> &'static Sleepable {
    Sleepable::assume()
}
