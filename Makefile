# platc — one non-recursive Makefile.  `make` builds build/platc and build/libplat.a.
#   make test    install what is missing, build, run the whole suite plain and under SAN=1
#   make demo    install what is missing, build, run the quickstart example
#   make SAN=1   the same build with AddressSanitizer + UndefinedBehaviorSanitizer in build/san
#   make O=dir   build out of tree in dir (each variant has its own, so objects never mix)
#   make bench | fuzz | install | clean | deps | golden-update

SAN ?= 0
ifeq ($(SAN),1)
O ?= build/san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
O ?= build
SANFLAGS =
endif

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

PKGS    := jansson libcurl libcrypto libpcre2-8 yaml-0.1 libutf8proc zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# The warning list, written out.  -Werror always: main stays warning-free.
#  -Wshadow: shadowed locals hide bugs in long checker functions.
#  -Wstrict-prototypes/-Wmissing-prototypes: every non-static function has a header prototype.
#  -Wwrite-strings: string literals are const.  -Wundef: typos in #if are errors.
#  -Wvla: stack size stays bounded on untrusted input.
CWARNS  := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wwrite-strings -Wundef -Wpointer-arith -Wvla -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(CFLAGS) $(CWARNS) $(SANFLAGS) \
             -I. -I$(O)/gen $(PKG_CFLAGS) -DPLAT_VERSION='"$(VERSION)"' -MMD -MP
# Generated parser/lexer: relax only the warnings their generators trip.
GEN_CFLAGS = $(ALL_CFLAGS) -Wno-unused-function -Wno-unused-but-set-variable -Wno-missing-prototypes \
             -Wno-unused-parameter -Wno-shadow
LDFLAGS ?=
LIBS    = $(PKG_LIBS) -lm -pthread

LIB_DIRS := compiler vm stdlib lsp providers deploy
LIB_SRCS := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
GEN_SRCS := $(O)/gen/compiler/lexer.c $(O)/gen/compiler/grammar.c $(O)/gen/embed.c
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/obj/%.o) $(GEN_SRCS:$(O)/gen/%.c=$(O)/obj/gen/%.o)
CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
# Files compiled into the binary: provider schemas and the diagnostics reference.
EMBEDDED := $(sort $(wildcard providers/schemas/*.plat)) docs/diagnostics.md

PLATC := $(O)/platc
LIBPLAT := $(O)/libplat.a

.PHONY: all deps test print-libs suite unit golden fmt-roundtrip examples fuzz-smoke demo bench fuzz \
        install clean golden-update
all: $(PLATC) $(LIBPLAT)

deps:
	@sh scripts/deps.sh

# The libraries a program linked with libplat.a needs, for scripts that link their own
# drivers (the fuzz replay), so the list lives in one place.
print-libs:
	@echo $(LIBS)

$(O)/gen/compiler/lexer.c: compiler/lexer.re $(O)/gen/compiler/grammar.h
	@mkdir -p $(dir $@)
	re2c -W -Werror-undefined-control-flow --no-generation-date -c -o $@ $<

$(O)/gen/compiler/grammar.c $(O)/gen/compiler/grammar.h &: compiler/grammar.y
	@mkdir -p $(dir $@)
	bison -Wall -Werror --no-lines -o $(O)/gen/compiler/grammar.c --header=$(O)/gen/compiler/grammar.h $<

$(O)/gen/embed.c: scripts/embed.sh $(EMBEDDED)
	@mkdir -p $(dir $@)
	sh scripts/embed.sh $(EMBEDDED) > $@.tmp && mv $@.tmp $@

$(O)/obj/gen/%.o: $(O)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GEN_CFLAGS) -c -o $@ $<

# Every object may include the generated parser header.
$(O)/obj/%.o: %.c $(O)/gen/compiler/grammar.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBPLAT): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(PLATC): $(CLI_OBJS) $(LIBPLAT)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(LIBPLAT) $(LIBS)

$(O)/tests/%: tests/unit/%.c $(LIBPLAT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBPLAT) $(LIBS) -lcmocka

# ---- tests -------------------------------------------------------------------------------
# `make test` = deps, then the suite twice: plain and under the sanitizers, each in its own
# output folder (O/san for the second, so sanitizer objects never mix with plain ones).
test: deps
	$(MAKE) suite
	$(MAKE) SAN=1 O=$(O)/san suite

# Every script runs even when one before it fails, so one failure never hides another;
# the suite fails if any did, and says which.
SUITE_SCRIPTS = run_golden run_fmt run_examples run_docs run_bad run_cli run_providers run_lsp run_stdlib_docs run_eval run_deploy run_platb run_graph run_bench_deploy run_stdlib_files
suite: all $(UNIT_BINS) $(O)/bench/overhead
	@failed=""; \
	sh tests/run_unit.sh $(O) $(UNIT_BINS) || failed="$$failed run_unit"; \
	for s in $(SUITE_SCRIPTS); do sh tests/$$s.sh $(PLATC) || failed="$$failed $$s"; done; \
	sh tests/run_fuzz_smoke.sh $(O) || failed="$$failed run_fuzz_smoke"; \
	if [ -n "$$failed" ]; then echo "suite ($(O)): FAILED:$$failed"; exit 1; fi; \
	echo "suite ($(O)): all passed"

golden-update: all
	@UPDATE=1 sh tests/run_golden.sh $(PLATC)

# deps first, then a fresh make: pkg-config flags are read when the Makefile is parsed.
demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(PLATC)

# ---- fuzzing (clang + libFuzzer) ---------------------------------------------------------
FUZZ_O := build/fuzz
FUZZ_SECONDS ?= 600
fuzz: deps
	$(MAKE) O=$(FUZZ_O) CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" $(FUZZ_O)/libplat.a $(FUZZ_O)/platc
	@sh tests/fuzz/build.sh $(FUZZ_O)
	@sh tests/fuzz/run.sh $(FUZZ_O) $(FUZZ_SECONDS)
	@sh tests/fuzz/run.sh $(FUZZ_O) $(FUZZ_SECONDS) fuzz_platb

# ---- benchmarks --------------------------------------------------------------------------
bench: deps
	$(MAKE) O=build/release CFLAGS="-O2 -DNDEBUG" all build/release/bench/overhead
	@sh bench/run.sh build/release/platc

# The deploy benchmark's harness: the engine against a no-op provider (bench/deploy/).
$(O)/bench/overhead: bench/deploy/overhead.c $(LIBPLAT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBPLAT) $(LIBS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/share/doc/platc
	install -m 755 $(PLATC) $(DESTDIR)$(PREFIX)/bin/platc
	install -m 644 $(LIBPLAT) $(DESTDIR)$(PREFIX)/lib/libplat.a
	install -m 644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/platc/

clean:
	rm -rf build

-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
