// expect: E0382
// expect: borrow of moved value
// `detach` consumes the attachment: once the program is detached, nothing is left to ask
// about or to drop (which would detach a second time).
use kernel::net::{fastpath::Attachment, rtnl::Rtnl};

fn misuse(a: Attachment, rtnl: &Rtnl) -> bool {
    a.detach(rtnl);
    a.is_attached(rtnl)
}
