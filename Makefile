# hnbuild — build, test, install. `make check` and `make demo` install the
# Debian packages they need first (tools/deps.sh, quiet when all are present).

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc
PKGS := libvirt libguestfs libarchive libcrypto yaml-0.1 libcurl libxml-2.0 zlib libssh
SANITIZE ?=

OPT ?= -O2 -g
# Compile with one job per core where the recipes below build
# (`make check` is run without -j, in CI too).
NPROC := $(shell nproc 2>/dev/null || echo 1)
CFLAGS += $(OPT) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread $(SANITIZE) \
	-Ibuilder -Iformats -Ikickstart -Iuser-data -I$(BUILD) \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lcrypt
LDFLAGS += $(SANITIZE)

SRCS := $(filter-out builder/main.c,$(wildcard builder/*.c formats/*.c kickstart/*.c user-data/*.c))
OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SRCS)) $(BUILD)/embedded.o
TEMPLATES := $(sort $(wildcard builder/templates/* formats/templates/* kickstart/templates/* user-data/templates/*))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard tests/unit/helpers/*.c)

.PHONY: all deps services check check-full check-unit check-e2e check-asan check-valgrind fixtures demo \
	install format clean bench fuzz fuzz-build fuzz-smoke

all: hnbuild

# The whole archive: every subcommand's object is linked in even though
# only main.c's table refers to it.
hnbuild: $(BUILD)/builder/main.o $(BUILD)/libhnbuild.a
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/builder/main.o -Wl,--whole-archive $(BUILD)/libhnbuild.a -Wl,--no-whole-archive $(LDLIBS)

$(BUILD)/libhnbuild.a: $(OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/%.o: %.c $(wildcard builder/*.h formats/*.h kickstart/*.h user-data/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# Templates (kickstart, autoinstall, units, OVF) are data files embedded here.
$(BUILD)/embedded.c: tools/embed.sh $(TEMPLATES)
	@mkdir -p $(BUILD)
	sh tools/embed.sh $(TEMPLATES) > $@.tmp && mv $@.tmp $@

$(BUILD)/embedded.o: $(BUILD)/embedded.c
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(HELPER_SRCS) $(BUILD)/libhnbuild.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(HELPER_SRCS) $(BUILD)/libhnbuild.a \
		$(shell pkg-config --libs check 2>/dev/null) $(LDLIBS)

# The console stress driver of tests/e2e/05-console-stress.sh.
STRESS_BIN := $(BUILD)/tests/console_stress
$(STRESS_BIN): tests/stress/console_stress.c $(BUILD)/libhnbuild.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libhnbuild.a $(LDLIBS)

# libFuzzer targets (tests/fuzz), built with clang into build-fuzz with
# ASan and UBSan. `make fuzz` runs each for FUZZ_TIME seconds on a copy of
# its seed corpus (tests/fuzz/corpus/NAME); `make fuzz-smoke` (part of make
# check) runs each for FUZZ_RUNS inputs.
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BUILD := build-fuzz
FUZZ_TIME ?= 60
FUZZ_RUNS ?= 3000
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

fuzz-build: deps
	$(MAKE) -j$(NPROC) BUILD=$(FUZZ_BUILD) CC=clang OPT="-O1 -g" SANITIZE="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
		$(FUZZ_BUILD)/libhnbuild.a
	@set -e; for n in $(FUZZ_NAMES); do \
		echo "fuzz: building $(FUZZ_BUILD)/fuzz_$$n"; \
		clang -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread $(FUZZ_SAN) -fsanitize=fuzzer \
			-Ibuilder -Iformats -Ikickstart -Iuser-data -I$(FUZZ_BUILD) $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
			-o $(FUZZ_BUILD)/fuzz_$$n tests/fuzz/fuzz_$$n.c $(FUZZ_BUILD)/libhnbuild.a $(LDLIBS); \
	done

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) -max_total_time=$(FUZZ_TIME) -- $(FUZZ_NAMES)

fuzz-smoke: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) -runs=$(FUZZ_RUNS) -- $(FUZZ_NAMES)

deps:
	@sh tools/deps.sh

services: deps
	@sh tools/services.sh

# Everything: unit tests and, at the same time, the fixture ISOs (each
# keeps about one core busy; the fixture log is shown when both are done),
# then the end-to-end tests.
check: deps
	@[ -z "$$HNBUILD_UPDATE_GOLDEN" ] || { echo "make check compares with the golden files; rewrite them with" \
		"make check-unit HNBUILD_UPDATE_GOLDEN=1, then review and commit" >&2; exit 1; }
	$(MAKE) -j$(NPROC) hnbuild $(UNIT_BINS) $(STRESS_BIN)
	sh tools/services.sh
	@mkdir -p $(BUILD); echo "fixtures: building in the background (log: $(BUILD)/fixtures.log)"; \
	sh tests/fixtures/build.sh > $(BUILD)/fixtures.log 2>&1 & fx=$$!; \
	$(MAKE) check-unit; unit=$$?; wait $$fx; fix=$$?; cat $(BUILD)/fixtures.log; \
	[ $$fix -eq 0 ] || echo "fixtures: FAILED (exit $$fix)"; [ $$unit -eq 0 ] && [ $$fix -eq 0 ]
	$(MAKE) fuzz-smoke
	$(MAKE) check-e2e

# Everything, including the end-to-end tests that repeat what others cover.
check-full: deps
	$(MAKE) check E2E_FULL=1 FIXTURE_TEST_FULL=1

check-unit: $(UNIT_BINS) hnbuild
	@sh tests/run-unit.sh $(UNIT_BINS)

check-e2e: hnbuild $(STRESS_BIN)
	@sh tests/run-e2e.sh

check-asan: deps
	$(MAKE) BUILD=build-asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer" \
		OPT="-O1 -g" check-unit-asan

check-unit-asan: $(UNIT_BINS)
	@CK_FORK=no ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		sh tests/run-unit.sh $(UNIT_BINS)

check-valgrind: deps $(UNIT_BINS)
	@VALGRIND=1 sh tests/run-unit.sh $(UNIT_BINS)

fixtures: deps
	@sh tests/fixtures/build.sh

demo: deps
	$(MAKE) -j$(NPROC) hnbuild
	sh tools/services.sh
	$(MAKE) fixtures
	sh tools/demo.sh

bench: deps hnbuild
	sh tests/bench/run.sh
	sh tools/services.sh
	$(MAKE) fixtures
	sh tests/bench/cache.sh

install: hnbuild
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/hnbuild/examples
	install -m 0755 hnbuild $(DESTDIR)$(PREFIX)/bin/hnbuild
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/hnbuild/
	cp -R examples/. $(DESTDIR)$(PREFIX)/share/doc/hnbuild/examples/

format:
	clang-format -i $(wildcard builder/*.[ch] formats/*.[ch] kickstart/*.[ch] user-data/*.[ch] tests/unit/*.[ch])

clean:
	rm -rf $(BUILD) build-asan $(FUZZ_BUILD) hnbuild
