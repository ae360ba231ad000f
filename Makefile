# SPDX-License-Identifier: GPL-2.0
# netdive: Linux networking internals from inside the kernel, in Rust, in a QEMU lab.
#
#   make lab        set up, build, boot, guided demo (then a guest shell on a terminal)
#   make test       set up, build the debug kernel, run every test; ends "N passed, N failed"
#
#   make run CMD='...'   boot the lab kernel, run one command, return its exit status
#   make shell           boot the lab kernel into a shell
#   make modules         rebuild what changed (our Rust crate additions and samples)
#   make bench           benchmarks, Rust against the kernel's C, in one boot (docs/bench.md)
#   make profile        the bench's cases under TCG, per-function costs, ours against C
#   make docs            the Rust API (rustdoc) and the lessons as one local site, checked
#   make trace CMD='...' follow a command's packets through the stack (docs/tracing.md);
#                        SETUP='script' builds the topology first, NS=name runs it there
#   make exercises       the onboarding exercises and how far you are (exercises/README.md)
#   make exercise EX=N   start exercise N: its skeleton in exercises/work/N/, what to do
#   make check EX=N      build your exercise N, boot, run its checker (SOLUTION=1: the reference)
#   make soak            stress on the debug kernel for SOAK_MIN minutes (default 10)
#   make doctor          check the toolchain; say what is missing and how to get it
#   make host-test       cargo test of the pure parsers (also part of make test)
#   make fuzz            cargo fuzz the parsers (FUZZ_SECONDS per target, default 60)
#   make rustfmtcheck    rustfmt --check on our Rust code (make rustfmt to fix)
#   make CLIPPY=1        build with clippy; its warnings in our code fail the build
#   make clean           remove this configuration's kernel builds (keeps the toolchain)
#
#   make help            this list
#
# KERNEL=lab|test picks the kernel for run, shell, modules and bench (default lab).
# T='regex' runs only the matching tests; PLANT=skb-leak|log-wrap|dev-ref adds a test
# with a planted bug, which must make `make test` fail (proof that its detector works).

SHELL := /bin/bash
KERNEL ?= lab
TIMEOUT ?= 900
ND := $(CURDIR)
BUILD_ARGS := $(if $(filter 1,$(CLIPPY)),CLIPPY=1,)

.PHONY: all lab test run shell modules build bench soak doctor setup clean distclean \
	rustfmt rustfmtcheck host-test fuzz help profile trace docs exercises exercise check

all: build

setup:
	@bash $(ND)/scripts/setup.sh

build: setup
	@bash $(ND)/scripts/build.sh $(KERNEL) $(BUILD_ARGS)

modules: build

lab: setup
	@bash $(ND)/scripts/build.sh lab
	@bash $(ND)/scripts/lab.sh

test: setup
	@bash $(ND)/scripts/test.sh
test: export ND_TEST_FILTER = $(value T)
test: export ND_TEST_PLANT = $(PLANT)

exercises:
	@bash $(ND)/scripts/exercise.sh list

exercise:
	@bash $(ND)/scripts/exercise.sh start "$(EX)"

check: setup
	@bash $(ND)/scripts/exercise.sh check "$(EX)" $(if $(filter 1,$(SOLUTION)),solution,)

soak: setup
	@bash $(ND)/scripts/soak.sh
soak: export ND_SOAK_MIN = $(SOAK_MIN)

help:
	@sed -n 's/^#   make/  make/p; s/^# \(KERNEL\|T=\|PLANT\)/  \1/p; /^# with a planted/s/^#/ /p' $(ND)/Makefile

run: build
	@if [ -z "$$ND_RUN_CMD" ]; then echo "usage: make run CMD='uname -r; lsmod'" >&2; exit 2; fi
	@bash $(ND)/qemu/run.sh --kernel $(KERNEL) --timeout $(TIMEOUT) -- "$$ND_RUN_CMD"
run: export ND_RUN_CMD = $(value CMD)

shell: build
	@bash $(ND)/qemu/run.sh --kernel $(KERNEL) --shell

bench: build
	@bash $(ND)/scripts/bench.sh $(KERNEL)

docs: build
	@bash $(ND)/scripts/docs.sh $(KERNEL)

trace: build
	@bash $(ND)/scripts/trace.sh $(KERNEL)
trace: export ND_TRACE_CMD = $(value CMD)
trace: export ND_TRACE_SETUP = $(value SETUP)
trace: export ND_TRACE_NS = $(value NS)

profile: build
	@bash $(ND)/scripts/profile.sh $(KERNEL)

doctor:
	@bash $(ND)/scripts/doctor.sh

host-test:
	@bash $(ND)/scripts/host-test.sh

fuzz:
	@bash $(ND)/scripts/fuzz.sh

rustfmt rustfmtcheck:
	@bash $(ND)/scripts/rustfmt.sh $(if $(filter rustfmtcheck,$@),--check,)

clean:
	@bash $(ND)/scripts/clean.sh

distclean:
	@bash $(ND)/scripts/clean.sh --all
