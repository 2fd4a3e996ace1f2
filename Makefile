# splicegate: one non-recursive Makefile.
# bpf/*.bpf.c -> build/bpf/*.bpf.o -> *.skel.h -> user objects -> binaries.
# `make V=1` prints the commands; `CI=1` turns warnings into errors.

BUILD     ?= build
SANBUILD  ?= build-san
CC        ?= cc
CLANG     ?= clang-14
LLHTTP_SRC ?= /usr/share/llhttp
LLHTTP_INC ?= /usr/share/include/llhttp

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wundef \
	-Wno-unused-parameter -Wno-missing-field-initializers
ifneq ($(CI),)
WARN += -Werror
endif

CPPFLAGS := -I. -I$(LLHTTP_INC) -I/usr/include/cjson -D_GNU_SOURCE
# Link-time optimization: the request path crosses modules (user/http1/'s
# files, the request module, the attempt engine) whose small functions gcc
# inlines only across files this way. scripts/bench/callgrind-w1.sh: 14,689
# instructions a W1 request without, 14,051 with (N1=10000 N2=20000). Fat
# objects, so that the tests link without it (TEST_LDFLAGS) and still
# find code. The sanitized and fuzz builds set their own flags.
CFLAGS   ?= -O2 -g -flto=auto -ffat-lto-objects
LDFLAGS  ?= -flto=auto
override CFLAGS += -std=gnu11 $(WARN) -MMD -MP
LDLIBS   := -lyaml -lcjson -lnghttp2 -lssl -lcrypto -lcrypt -lbpf -lelf -lz -lm -lpthread

# Everything but the entry point goes into one archive that the binary and
# every unit test link against.
LIB_SRCS := $(wildcard config/*.c policy/*.c admin/*.c user/*.c user/*/*.c)
# EXCLUDE: sources to leave out of a build (work in progress elsewhere).
LIB_SRCS := $(filter-out user/main.c $(EXCLUDE),$(LIB_SRCS))
LLHTTP_SRCS := $(wildcard $(LLHTTP_SRC)/*.c)
# llhttp ships as C sources (Debian's node-llhttp). The gateway does not use
# it (user/codec/h1.c reads heads itself); the HTTP/1 fuzz targets hold h1.c
# against it (tests/fuzz/h1_ref.h), and stop with this when it is missing.
ifeq ($(LLHTTP_SRCS),)
LLHTTP_MISSING = $(error llhttp sources not found in $(LLHTTP_SRC) (package node-llhttp): \
	run `make deps` (scripts/install-deps.sh) or set LLHTTP_SRC)
endif
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
HEADERS  := $(wildcard config/*.h policy/*.h admin/*.h user/*.h user/*/*.h)

define objs
$(patsubst %.c,$(1)/%.o,$(LIB_SRCS))
endef

OBJS      := $(call objs,$(BUILD))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
BPF_TEST_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))

.PHONY: all test unit unit-san e2e san flake-check bench check format run clean deps bpf-test build-twice
.PHONY: man man-test deb
.PHONY: fuzz fuzz-test test-all test-beside san-bins npm conformance
all: $(BUILD)/splicegate $(UNIT_BINS) $(BPF_TEST_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# ---- BPF -----------------------------------------------------------------
# bpf/*.bpf.c -> $(BUILD)/bpf/*.bpf.o (clang -target bpf, CO-RE against the
# running kernel's BTF) -> $(BUILD)/bpf/*.skel.h (bpftool), which user/relay/splice.c
# includes as "bpf/<name>.skel.h" through -I$(BUILD). vmlinux.h is generated
# once per build tree: CO-RE relocates field offsets at load time, so a newer
# kernel does not need a fresh copy.
BPFTOOL    ?= bpftool
BPF_ARCH   := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# The program's source id: the first 64 bits of the SHA-256 of its sources,
# read back from pinned objects (user/relay/splice.c, check_program).
bpf_source_id = 0x$(shell cat $(1) bpf/sg_abi.h | sha256sum | cut -c1-16)ULL
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(BUILD)/bpf -I. \
	-Wall -Wextra -Wno-unused-parameter -MMD -MP
ifneq ($(CI),)
BPF_CFLAGS += -Werror
endif

$(BUILD)/bpf/vmlinux.h:
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  BTF     $@")
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf/vmlinux.h
	$(if $(Q),@echo "  BPF     $<")
	$(Q)$(CLANG) $(BPF_CFLAGS) -DSG_BPF_SOURCE_ID=$(call bpf_source_id,$<) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(if $(Q),@echo "  SKEL    $@")
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# The loader is the one user object that sees the skeleton, and the BPF
# test (it loads a second copy, as another build would have pinned it).
$(BUILD)/user/relay/splice.o $(BUILD)/tests/bpf/test_splice.o: $(BUILD)/bpf/splice.skel.h
$(BUILD)/user/relay/splice.o $(BUILD)/tests/bpf/test_splice.o: CPPFLAGS += -I$(BUILD)

# The version a build says (splicegate version, splicegate_build_info, the
# man page): SG_VERSION of user/main.c, and from a git checkout
# "+gitYYYYMMDD.<commit>" of HEAD, so that each commit's build is newer than
# the last (scripts/deb-build.sh sets SG_GIT_VERSION itself). main.o is made
# again when it changes.
SG_GIT_VERSION ?= $(shell git log -1 --format=+git%cd.%h --date=format:%Y%m%d 2>/dev/null)
$(BUILD)/version.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SG_GIT_VERSION)' | cmp -s - $@ || echo '$(SG_GIT_VERSION)' > $@
$(BUILD)/user/main.o: $(BUILD)/version.stamp
$(BUILD)/user/main.o: CPPFLAGS += -DSG_GIT_VERSION='"$(SG_GIT_VERSION)"'

# The archive also depends on the list of its members: when that list
# changes (a source added or left out), the archive is made again even if
# every member is older than it.
$(BUILD)/libsg.members: FORCE
	@mkdir -p $(dir $@)
	@echo '$(sort $(OBJS))' | cmp -s - $@ || echo '$(sort $(OBJS))' > $@

$(BUILD)/libsg.a: $(OBJS) $(BUILD)/libsg.members
	$(if $(Q),@echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $(OBJS)

.PHONY: FORCE
FORCE:

$(BUILD)/splicegate: $(BUILD)/user/main.o $(BUILD)/libsg.a
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# splicegate(8) is made from what the binary's --help prints, so the two
# cannot disagree (scripts/man-page.sh; the layout it reads is described in
# user/main.c). `man -l build/splicegate.8` shows it.
man: $(BUILD)/splicegate.8
$(BUILD)/splicegate.8: $(BUILD)/splicegate scripts/man-page.sh
	$(if $(Q),@echo "  MAN     $@")
	$(Q)scripts/man-page.sh $< > $@.tmp && mv $@.tmp $@

# Tests link the fat objects' code without LTO: an LTO link costs each of
# the ~80 test binaries about 25 s of CPU (10 minutes of `make test` on two
# cores), a plain one under a second. The binary they test is the same
# code, optimised per file; e2e runs the LTO gateway itself.
TEST_LDFLAGS = $(filter-out -flto%,$(CFLAGS) $(LDFLAGS)) -fno-lto

$(BUILD)/tests/bpf/test_%: $(BUILD)/tests/bpf/test_%.o $(BUILD)/libsg.a
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(TEST_LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/libsg.a
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) $(TEST_LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# ---- tests ---------------------------------------------------------------
# `make test` is what CI runs (.ci/run runs exactly that): it installs what it
# needs from Debian's archive (scripts/install-deps.sh, a no-op once done),
# then, in a make started afresh so that the source lists see what was just
# installed: the gateway and the unit and BPF test binaries, two compilers
# at a time; the man page and CLI checks, the unit tests, the BPF tests;
# the e2e suite, with `make check`, build-twice, the sanitized build
# ($(SANBUILD)) and the fuzz build going on beside it at nice 19 in the CPU
# its scenarios leave idle (scripts/beside.sh: stopped while a scenario
# that must have the machine runs); then unit and e2e again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and the fuzzers for 20 s
# each, two at a time. A line "== make test: PHASE at +S s" begins each
# phase, counted from the start of test-all. The project aims at under 30
# minutes on two cores: 19.5 alone on the machine of 2026-11-30 19:35, 41
# on an older, slower one (the phases' times: tests/README.md, "How long
# `make test` takes").
test:
	$(Q)scripts/install-deps.sh
	$(Q)SG_TEST_T0=$$(date +%s) $(MAKE) --no-print-directory test-all

# $(call phase,WHAT): the line that begins a phase of `make test`.
phase = @echo "== make test: $(1) at +$$(($$(date +%s) - $${SG_TEST_T0:-$$(date +%s)})) s"
SUBMAKE = $(MAKE) --no-print-directory

test-all:
	$(call phase,build)
	$(Q)$(SUBMAKE) -j2 $(BUILD)/splicegate $(BUILD)/splicegate.8 $(UNIT_BINS) $(BPF_TEST_BINS) npm
	$(call phase,man-test)
	$(Q)$(SUBMAKE) man-test
	$(call phase,unit)
	$(Q)$(SUBMAKE) unit
	$(call phase,bpf-test)
	$(Q)$(SUBMAKE) bpf-test
	$(call phase,e2e (beside it: check, build-twice and the sanitized and fuzz builds))
	$(Q)scripts/beside.sh $(BUILD)/test-beside.log "$(SUBMAKE) test-beside" \
		$(SUBMAKE) E2E_ENGINES="splice sockmap" e2e
	$(call phase,san)
	$(Q)$(SUBMAKE) san
	$(call phase,fuzz-test)
	$(Q)$(SUBMAKE) fuzz-test
	$(call phase,done)

# The npm packages the e2e scenarios run (tests/npm-packages.txt), where
# tests/e2e/run.sh looks for them; `make test` fetches them while it builds.
npm:
	$(Q)scripts/install-npm.sh $${SG_NPM:-$(CURDIR)/build/npm}

# What `make test` builds beside the e2e pass (at nice 19, scripts/beside.sh).
test-beside:
	$(call phase,check)
	$(Q)$(SUBMAKE) check
	$(call phase,build-twice)
	$(Q)$(SUBMAKE) build-twice
	$(call phase,sanitized build)
	$(Q)$(SAN_MAKE) -j2 $(SANBUILD)/splicegate san-bins
	$(call phase,fuzz build)
	$(Q)$(SUBMAKE) -j2 $(FUZZ_BINS)
	$(call phase,built)
san-bins: $(UNIT_BINS)

# The engines the e2e scenarios that loop over them run in (tests/e2e/lib.sh
# `engines`). `make test` leaves copy to the sanitized pass (`san`, copy
# only), so that every engine runs once and not twice; `make e2e` alone
# runs all three.
E2E_ENGINES ?= $(or $(SG_SPLICE),copy splice sockmap)

# The gateway builds without llhttp's sources (here: LLHTTP_SRC pointing
# at an empty directory, as before node-llhttp is installed), again with
# them, with no `make clean` between, and carries none of llhttp; a fuzz
# build without them stops naming the package (tests/build/build-twice.sh).
build-twice:
	$(Q)tests/build/build-twice.sh

unit: $(UNIT_BINS)
	$(Q)scripts/run-unit.sh $(BUILD)/tests

# `man splicegate` and `splicegate --help` agree (a few seconds; man-db),
# and each subcommand's help, --version and a bad option read as they should.
man-test: $(BUILD)/splicegate $(BUILD)/splicegate.8
	$(Q)tests/build/man-page.sh $(BUILD)/splicegate $(BUILD)/splicegate.8
	$(Q)tests/build/cli.sh $(BUILD)/splicegate $(BUILD)/splicegate.8

# The BPF tests load the program and splice real loopback sockets: root only
# (they print "skipped" otherwise). About 20 s, most of it 4.5 GiB of traffic;
# `build/tests/bpf/test_splice NAME` runs the tests whose name contains NAME.
bpf-test: $(BPF_TEST_BINS)
	$(Q)for t in $(BPF_TEST_BINS); do $$t || exit 1; done

e2e: $(BUILD)/splicegate
	$(Q)tests/backend/test_sgbackend.sh
	$(Q)tests/backend/test_h2backend.sh
	$(Q)SG_BIN=$(abspath $(BUILD)/splicegate) SG_SPLICE="$(E2E_ENGINES)" tests/e2e/run.sh

# The Gateway API conformance port (tests/README.md, "Gateway API
# conformance"): about two minutes, not part of `make test`.
conformance: $(BUILD)/splicegate
	$(Q)SG_BIN=$(abspath $(BUILD)/splicegate) tests/conformance/run.sh

# tests/lsan.supp: the leaks LSan reports in memory that is not ours.
LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
SAN_MAKE = $(SUBMAKE) BUILD=$(SANBUILD) CFLAGS="$(SAN_FLAGS)" \
	LDFLAGS="-fsanitize=address,undefined"
san:
	$(Q)$(SAN_MAKE) -j2 $(SANBUILD)/splicegate san-bins
	$(Q)$(SAN_MAKE) unit-san

# The sanitized e2e run covers the copy engine (splice(2) differs from copy
# only inside user/relay/relay.c; the sockmap-* scenarios run the kernel path),
# to keep `make test` short.
unit-san: $(UNIT_BINS)
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=$(LSAN_OPTIONS) \
		scripts/run-unit.sh $(BUILD)/tests
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=$(LSAN_OPTIONS) \
		SG_BIN=$(abspath $(BUILD)/splicegate) SG_SANITIZED=1 SG_SPLICE="copy" tests/e2e/run.sh

# The unit tests that run a loop on the real clock or bound a time (the
# list and why: tests/README.md, "Timing"), each N times (default 20) as
# `make san` builds them; every failed run is named. Not part of `make
# test`: run it before trusting a change to the loop or to a timed test.
FLAKE_TESTS := test_attempt test_config test_dns test_h1backend test_h2backend test_lb \
	test_loop test_mirror test_proxy test_relay test_tls test_watch test_yaml \
	test_h1forward test_h1h2 test_h1head test_h2stream test_worker test_gateway test_mcp \
	test_rlcall test_tokenx test_trace test_h1tunnel test_tcpconn test_authzcall test_stdio \
	test_jwksremote test_mcpsvc test_oidcflow test_mcptarget \
	test_mcphttp
N ?= 20
flake-check:
	$(Q)$(SAN_MAKE) $(patsubst %,$(SANBUILD)/tests/%,$(FLAKE_TESTS))
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 LSAN_OPTIONS=$(LSAN_OPTIONS) \
		scripts/flake-check.sh $(N) $(patsubst %,$(SANBUILD)/tests/%,$(FLAKE_TESTS))

bench: $(BUILD)/splicegate
	$(Q)scripts/bench.sh $(abspath $(BUILD)/splicegate)

# docs/bench.svg, the chart README shows: the newest `make bench` report
# in $(BUILD)/bench drawn by scripts/plot.sh (each engine's ratio to direct
# and to the best tuned peer, per workload; above 1 is better).
BENCH_CSV = $(lastword $(sort $(filter-out %-raw.csv,$(wildcard $(BUILD)/bench/results-*.csv))))
.PHONY: plot
plot:
	$(Q)test -n "$(BENCH_CSV)" || { echo "plot: no $(BUILD)/bench/results-*.csv: run make bench first" >&2; exit 1; }
	$(Q)scripts/plot.sh bench $(BENCH_CSV) docs/bench.svg
	@echo "plot: docs/bench.svg from $(BENCH_CSV)"

# 10,000 held keep-alive connections and 1,000,000 requests per engine, zero
# errors allowed (a few minutes; tests/e2e/load-connections.sh is the small
# version that `make test` runs).
.PHONY: load
load: $(BUILD)/splicegate $(BUILD)/load/loadtool
	$(Q)scripts/load.sh $(abspath $(BUILD)/splicegate) $(abspath $(BUILD)/load/loadtool)

$(BUILD)/load/loadtool: tests/load/loadtool.c
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CC) -O2 -g -std=gnu11 $(WARN) -D_GNU_SOURCE $< -o $@

# ---- fuzzing -------------------------------------------------------------
# libFuzzer harnesses (tests/fuzz/fuzz_*.c) built with clang-14 and ASan+UBSan
# in $(FUZZ_BUILD), from the modules they drive only (no BPF skeleton). Each
# runs FUZZ_SECONDS over its seed corpus tests/fuzz/corpus/<target>/; what it
# finds goes to $(FUZZ_BUILD)/corpus/ and crashing inputs to
# $(FUZZ_BUILD)/artifacts/, never into the committed corpus.
FUZZ_BUILD   ?= $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_SRCS    := $(wildcard config/*.c policy/*.c) admin/dump.c admin/dumppolicy.c user/base/buf.c user/base/httpdate.c \
	user/base/hash.c user/base/mem.c user/base/pages.c user/base/slab.c user/base/json.c user/base/base64url.c user/base/form.c \
	user/auth/jwt.c user/auth/jwks.c user/auth/jwksremote.c user/auth/apikey.c user/auth/htpasswd.c user/auth/oidc.c \
	user/auth/mcpoauth.c user/auth/authzcache.c user/auth/jwtsign.c user/auth/oauthtoken.c \
	user/core/a2a.c user/codec/h1.c user/codec/h1chunk.c \
	user/codec/h2.c user/codec/h2head.c \
	user/codec/proxyproto.c user/codec/pbwire.c user/codec/authzpb.c user/codec/rlspb.c user/codec/otlppb.c user/ctl/store.c user/tls/tlshello.c user/ctl/journal.c \
	user/tls/tls.c user/tls/tlspeer.c user/tls/tlsmint.c user/base/loop.c user/base/log.c admin/mcpdump.c user/mcp/jsonrpc.c user/mcp/merge.c \
	user/codec/sse.c
FUZZ_OBJS    := $(patsubst %.c,$(FUZZ_BUILD)/%.o,$(FUZZ_SRCS)) \
	$(patsubst $(LLHTTP_SRC)/%.c,$(FUZZ_BUILD)/llhttp/%.o,$(LLHTTP_SRCS))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_BUILD)/%.o: %.c
	$(LLHTTP_MISSING)
	@mkdir -p $(dir $@)
	$(if $(Q),@echo "  CC      $< (fuzz)")
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 $(WARN) -MMD -MP $(FUZZ_CFLAGS) \
		-fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

# llhttp is generated C: compile it as its authors do, without our warnings.
$(FUZZ_BUILD)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CLANG) -I$(LLHTTP_INC) $(FUZZ_CFLAGS) -w \
		-fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_OBJS)
	$(LLHTTP_MISSING)
	$(if $(Q),@echo "  LD      $@")
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@

fuzz: $(FUZZ_BINS)
	$(Q)scripts/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(notdir $(FUZZ_BINS))

# What `make test` runs: each harness for 20 s.
fuzz-test: $(FUZZ_BINS)
	$(Q)scripts/run-fuzz.sh $(FUZZ_BUILD) 20 $(notdir $(FUZZ_BINS))

# ---- style ---------------------------------------------------------------
CHECK_SRCS := $(wildcard config/*.[ch] policy/*.[ch] admin/*.[ch] user/*.[ch] user/*/*.[ch] \
	bpf/*.[ch] tests/unit/*.c tests/bpf/*.c tests/fuzz/*.[ch] scripts/bench/*.c)
check:
	$(Q)clang-format --dry-run --Werror $(CHECK_SRCS)
	$(Q)for h in $(HEADERS); do \
		echo "#include \"$$h\"" | $(CC) $(CPPFLAGS) -std=gnu11 $(WARN) -Werror \
			-fsyntax-only -x c - || { echo "header does not compile alone: $$h"; exit 1; }; \
	done
	$(Q)scripts/check-deps.sh
	$(Q)tests/build/check-deps.sh >/dev/null || tests/build/check-deps.sh
	$(Q)scripts/check-tree.sh
	@echo "check: format, self-contained headers, include direction, top level and links ok"

format:
	$(Q)clang-format -i $(CHECK_SRCS)

deps:
	$(Q)scripts/install-deps.sh

# build/deb/splicegate_<version>_<arch>.deb, built by dpkg-buildpackage from
# a copy of the tracked tree with scripts/debian/ as its debian/; installs
# dpkg-dev and the package's Build-Depends (debhelper among them) first.
# scripts/deb-check.sh installs, verifies, serves and purges it; neither is
# part of `make test`.
deb:
	$(Q)scripts/deb-build.sh $(abspath $(BUILD))/deb

# Like `test`: dependencies first, then a make that sees them. CONFIG=FILE
# runs the gateway on that config instead of the embedded default.
run:
	$(Q)scripts/install-deps.sh
	$(Q)$(MAKE) --no-print-directory $(BUILD)/splicegate
	$(Q)scripts/run-demo.sh $(abspath $(BUILD)/splicegate) $(if $(CONFIG),-c $(CONFIG))

clean:
	rm -rf $(BUILD) $(SANBUILD)

# Keep the objects that only a test binary names (tests/**/test_*.o), and
# the fuzz build's (which only the harnesses name: `make test` builds them
# in one make and runs them from another, which would build them again),
# so that rebuilds stay incremental. Named one by one: a catch-all `.SECONDARY:`
# makes every object intermediate, and make then never rebuilds an archive
# for an object that is missing but whose source is older than the archive.
.SECONDARY: $(BUILD)/bpf/splice.bpf.o \
	$(patsubst %,$(BUILD)/tests/unit/%.o,$(basename $(notdir $(UNIT_SRCS)))) \
	$(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%.o,$(wildcard tests/bpf/test_*.c)) \
	$(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/tests/fuzz/%.o,$(wildcard tests/fuzz/fuzz_*.c)) \
	$(FUZZ_OBJS)

-include $(shell find $(BUILD) $(SANBUILD) -name '*.d' 2>/dev/null)
