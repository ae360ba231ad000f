// expect: E0308
// expect: expected `&DriverDevice<T>`, found `&Device`
// `dellink` queues devices of its own link type only: queueing any other device for
// unregistration (the loopback, another driver's) does not build.
use kernel::net::{
    dev::Device,
    rtnl::{LinkOps, UnregisterQueue},
};

fn misuse<T: LinkOps>(queue: &mut UnregisterQueue<'_, T>, other: &Device) {
    queue.queue(other);
}
