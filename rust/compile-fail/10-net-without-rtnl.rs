// expect: E0061
// expect: this method takes 1 argument but 0 arguments were supplied
// Without the RTNL (or a poll of the device) there is no stable namespace to name.
use kernel::net::dev::Device;

fn misuse(dev: &Device) {
    let _ = dev.net();
}
