// expect: E0061
// expect: this method takes 1 argument but 0 arguments were supplied
// A receive queue's counter is written by the queue's own poll (a single writer): the
// transmit path, which runs on any CPU, cannot write it.
use kernel::net::stats::Counter;

fn misuse(rx_packets: &Counter) {
    rx_packets.inc();
}
