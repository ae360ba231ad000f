# Not a bug: a test that passes. The harness runs it with the kernel log reader killed,
# and must refuse it as unread (run-tests.sh, "planted: dead log reader").
. "$(dirname "$0")/../../guest/testlib.sh"
note "nothing wrong here but the missing log reader"
