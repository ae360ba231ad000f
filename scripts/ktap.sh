# SPDX-License-Identifier: GPL-2.0
# KTAP, the kernel's test result format (Documentation/dev-tools/ktap.rst), as every stage
# of `make test` prints it, on the host and in the guest (sourced; scripts/ktap.py is the
# same for Python): the plan first, "1..N", then one line per result,
#   ok N DESCRIPTION [# NOTE]         not ok N DESCRIPTION [# NOTE]
#   ok N DESCRIPTION # SKIP REASON
# scripts/test.sh counts the lines against the plan: a result never printed is a failure.

# ktap_plan N: this stage gives N results.
ktap_plan() { echo "1..$1"; }

# ktap_result STATUS N DESCRIPTION [NOTE]: result N, ok if STATUS is 0.
ktap_result() {
	local word=ok
	[ "$1" = 0 ] || word="not ok"
	echo "$word $2 $3${4:+ # $4}"
}
# ktap_ok N DESCRIPTION [NOTE], ktap_not_ok N DESCRIPTION [NOTE]
ktap_ok() { ktap_result 0 "$@"; }
ktap_not_ok() { ktap_result 1 "$@"; }
# ktap_skip N DESCRIPTION REASON: neither passed nor failed (KSFT_SKIP).
ktap_skip() { echo "ok $1 $2 # SKIP $3"; }
