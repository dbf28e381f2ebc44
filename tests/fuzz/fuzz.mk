# tests/fuzz/fuzz.mk -- fuzz targets; included (optionally) by tests/tests.mk.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="pb pbd"] [FUZZ_ARGS=...]
#       builds the library and every target with clang and
#       -fsanitize=fuzzer,address,undefined into $(FUZZ_B) (build/fuzz), then
#       runs each target for FUZZ_SECONDS on its seeds. New inputs go to
#       $(FUZZ_B)/work/<target> (the committed seeds in tests/fuzz/corpus are
#       read, never written); crashers to $(FUZZ_B)/artifacts/<target>/.
#   make fuzz-build     only build the fuzzers
#   make fuzz-smoke [FUZZ_SMOKE_SECONDS=20]
#       what CI runs: installs clang and libFuzzer's runtime (FUZZ_PACKAGES),
#       builds, then runs each target for FUZZ_SMOKE_SECONDS from the
#       committed seeds in a fresh $(FUZZ_B)/smoke/<target>; a crash, leak,
#       timeout or UB in any target fails it (log, crasher in that directory).
#   $(B)/tests/fuzz-replay  the same targets without libFuzzer, built by the
#       normal compiler and run by `make check` over tests/fuzz/corpus and
#       tests/fuzz/regressions (FUZZ_REPLAY_RUN below).
#
# A crasher worth keeping goes, minimised (fuzzer -minimize_crash=1), to
# tests/fuzz/regressions/<target>/ so that every `make check` replays it.

FUZZ_TARGETS ?= json_record json_value json_alltypes pb pbd container reader_json validate diff \
                import
FUZZ_SECONDS ?= 60
FUZZ_ARGS    ?=
FUZZ_CC      ?= clang
FUZZ_B       ?= $(B)/fuzz
# The library is built with coverage instrumentation but without libFuzzer's
# main(); only the target binaries link -fsanitize=fuzzer.
FUZZ_SAN     := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_DIRS    := tests/fuzz/corpus tests/fuzz/regressions

FUZZ_OBJ     := $(OBJ)/fuzz
FUZZ_UTIL_O  := $(FUZZ_OBJ)/fuzz_util.o
FUZZ_REPLAY  := $(B)/tests/fuzz-replay
FUZZ_REPLAY_OBJ := $(FUZZ_OBJ)/replay.o $(FUZZ_UTIL_O) \
                   $(FUZZ_TARGETS:%=$(FUZZ_OBJ)/replay_%.o)
FUZZ_REPLAY_RUN  = $(FUZZ_REPLAY) $(FUZZ_DIRS)
FUZZ_HDRS    := tests/fuzz/fuzz_util.h include/evrec.h $(GEN_HDR) $(GEN)/alltypes.pb-c.h
# fuzz_import.c compiles tools/evrec.c in (the CLI's dispatch) and links the
# rest of the CLI's objects.
FUZZ_CLI_OBJ := $(filter-out $(OBJ)/tools/evrec.o,$(CLI_OBJ))

.PHONY: fuzz fuzz-build fuzz-bins fuzz-deps fuzz-smoke

# ---------------------------------------------------------------- replay (any CC)

$(FUZZ_OBJ)/replay_%.o: tests/fuzz/fuzz_%.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -DLLVMFuzzerTestOneInput=fuzz_entry_$* -c $< -o $@

$(FUZZ_OBJ)/%.o: tests/fuzz/%.c $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -c $< -o $@

$(FUZZ_OBJ)/replay_import.o $(B)/fuzzers/fuzz_import: tools/evrec.c tools/cli.h

$(FUZZ_REPLAY): $(FUZZ_REPLAY_OBJ) $(FUZZ_CLI_OBJ) $(OBJ)/gen/alltypes.pb-c.o $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) $(LDFLAGS) -o $@ $(FUZZ_REPLAY_OBJ) $(FUZZ_CLI_OBJ) $(OBJ)/gen/alltypes.pb-c.o \
	  $(STATIC) $(LDLIBS)

# ---------------------------------------------------------------- libFuzzer (clang)

# Runs in the sub-make below, where B is $(FUZZ_B) and CC is clang.
fuzz-bins: $(FUZZ_TARGETS:%=$(B)/fuzzers/fuzz_%)

$(B)/fuzzers/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_UTIL_O) $(OBJ)/gen/alltypes.pb-c.o $(STATIC) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_UTIL_O) \
	  $(OBJ)/gen/alltypes.pb-c.o $(STATIC) $(LDLIBS) -o $@

$(B)/fuzzers/fuzz_import: tests/fuzz/fuzz_import.c $(FUZZ_UTIL_O) $(FUZZ_CLI_OBJ) $(OBJ)/gen/alltypes.pb-c.o \
                          $(STATIC) $(FUZZ_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_UTIL_O) $(FUZZ_CLI_OBJ) \
	  $(OBJ)/gen/alltypes.pb-c.o $(STATIC) $(LDLIBS) -o $@

fuzz-build:
	@$(MAKE) --no-print-directory B=$(FUZZ_B) CC=$(FUZZ_CC) OPT=-O1 SANITIZE="$(FUZZ_SAN)" \
	  FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz-bins

# One process per target (-jobs would compete with the rest of the machine).
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_B)/work/$$t $(FUZZ_B)/artifacts/$$t; \
	  seeds=""; for d in $(FUZZ_DIRS); do [ -d $$d/$$t ] && seeds="$$seeds $$d/$$t"; done; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_B)/fuzzers/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_B)/artifacts/$$t/ \
	    $(FUZZ_ARGS) $(FUZZ_B)/work/$$t $$seeds; \
	done

# ---------------------------------------------------------------- smoke (CI)

FUZZ_SMOKE_SECONDS ?= 20
# Debian's clang and its libFuzzer runtime (libclang_rt.fuzzer*.a); only the
# fuzzers need them, so `make deps` does not install them.
FUZZ_PACKAGES := clang libclang-rt-dev

fuzz-deps:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(FUZZ_PACKAGES)"

# One target after the other, each from the committed seeds only (a fresh
# work directory), as in CI; a failing target does not stop the others.
fuzz-smoke: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  d=$(FUZZ_B)/smoke/$$t; rm -rf $$d; mkdir -p $$d/work; \
	  seeds=""; for s in $(FUZZ_DIRS); do [ -d $$s/$$t ] && seeds="$$seeds $$s/$$t"; done; \
	  if $(FUZZ_B)/fuzzers/fuzz_$$t -max_total_time=$(FUZZ_SMOKE_SECONDS) -timeout=10 \
	       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$$d/ \
	       $$d/work $$seeds > $$d/log 2>&1; then \
	    echo "fuzz-smoke: fuzz_$$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' $$d/log)" \
	      "runs in $(FUZZ_SMOKE_SECONDS) s, no failure"; \
	  else \
	    tail -n 40 $$d/log; echo "fuzz-smoke: fuzz_$$t FAILED (log and input in $$d)"; \
	    failed="$$failed $$t"; \
	  fi; \
	done; \
	[ -z "$$failed" ] || { echo "fuzz-smoke: failed:$$failed"; exit 1; }
