# tests/tests.mk -- included by the top Makefile.
#
# Unit tests: every tests/test_*.c is one cmocka program linked against the
# static library, the generated all-types test schema and tests/util/*.c.
# Script tests: tests/*.sh get the CLI path and the build dir as arguments.
# Sanitizers: `make test` re-runs `check` in $(B)/asan with ASan+UBSan.

TEST_PROTO   := tests/proto/alltypes.proto
TEST_GEN     := $(GEN)/alltypes.pb-c.c
TEST_SRC     := $(wildcard tests/test_*.c)
TEST_BIN     := $(TEST_SRC:tests/%.c=$(B)/tests/%)
TEST_UTIL    := $(filter-out tests/util/failio.c tests/util/failalloc.c,$(wildcard tests/util/*.c))
TEST_UTIL_OBJ := $(TEST_UTIL:tests/%.c=$(OBJ)/tests/%.o) $(OBJ)/gen/alltypes.pb-c.o \
                 $(OBJ)/gen/proto2.pb-c.o
TEST_SCRIPTS := $(sort $(wildcard tests/*.sh))
# Programs the script tests run besides the CLI (tests/diff.sh).
TEST_TOOLS   = $(B)/tests/diffmut
# float-cast-overflow: clang's -fsanitize=undefined has it, GCC's does not
# (a double outside int64_t's range converted to it; fuzz_import found one)
SAN_FLAGS    := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
# The tests inspect and forge .evr bytes with zlib, whichever deflate the
# library is built with (DEFLATE in the Makefile).
TEST_LDLIBS  := $(if $(filter zlib,$(DEFLATE)),,-lz)

$(GEN)/alltypes.pb-c.c $(GEN)/alltypes.pb-c.h: $(TEST_PROTO)
	@mkdir -p $(GEN)
	$(PROTOC_C) -Itests/proto -I$(WKT_DIR) --c_out=$(GEN) alltypes.proto

# A proto2 message for the binary decoder's proto2 paths (test_binary.c).
$(GEN)/proto2.pb-c.c $(GEN)/proto2.pb-c.h: tests/proto/proto2.proto
	@mkdir -p $(GEN)
	$(PROTOC_C) -Itests/proto --c_out=$(GEN) proto2.proto

$(OBJ)/tests/%.o: tests/%.c $(GEN_HDR) $(GEN)/alltypes.pb-c.h $(GEN)/proto2.pb-c.h include/evrec.h $(B)/cflags.cfg
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(ALL_CFLAGS) -Wno-missing-prototypes -MMD -MP -c $< -o $@

$(B)/tests/%: $(OBJ)/tests/%.o $(TEST_UTIL_OBJ) $(STATIC) $(B)/deflate.cfg
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) $(LDFLAGS) -o $@ $< $(TEST_UTIL_OBJ) $(STATIC) -lcmocka $(LDLIBS) $(TEST_LDLIBS) -lm

# test_imp tests the importers' number parsers and TSV splitter (tools/).
IMP_TEST_OBJ := $(OBJ)/tools/imp.o $(OBJ)/tools/imp_csv.o $(OBJ)/tools/cli.o
$(B)/tests/test_imp: $(OBJ)/tests/test_imp.o $(IMP_TEST_OBJ) $(TEST_UTIL_OBJ) $(STATIC) $(B)/deflate.cfg
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) $(LDFLAGS) -o $@ $< $(IMP_TEST_OBJ) $(TEST_UTIL_OBJ) $(STATIC) -lcmocka \
	  $(LDLIBS) $(TEST_LDLIBS) -lm

# test_faults fails chosen allocations: every call the library makes to these
# lands in the test's __wrap_<name> (see the test's header comment).
FAULT_WRAP := malloc calloc realloc free strdup strndup realpath \
              pthread_create evrec__arena_alloc evrec__arena_strndup \
              $(if $(filter zlib,$(DEFLATE)),deflateInit2_ inflateInit2_)
$(OBJ)/tests/test_faults.o: CPPFLAGS += -DFAULTS_SEED_JSON='"$(CURDIR)/examples/seed.json"'
$(OBJ)/tests/test_faults.o: $(B)/deflate.cfg
$(B)/tests/test_faults: $(OBJ)/tests/test_faults.o $(TEST_UTIL_OBJ) $(STATIC) $(B)/deflate.cfg
	@mkdir -p $(@D)
	$(CC) $(SANITIZE) $(LDFLAGS) $(FAULT_WRAP:%=-Wl,--wrap=%) -o $@ $< $(TEST_UTIL_OBJ) \
	  $(STATIC) -lcmocka $(LDLIBS) $(TEST_LDLIBS) -lm

-include $(TEST_BIN:$(B)/tests/%=$(OBJ)/tests/%.d) $(TEST_UTIL_OBJ:.o=.d)

# The public header must stand alone under -pedantic, in C and C++. And
# EVREC_NODISCARD must work: a program that ignores evrec_reader_next()'s
# result does not compile with -Werror (C and C++), and does where the
# attribute is compiled away (C++ without __GNUC__, as on a compiler that
# lacks it; C with EVREC_NODISCARD defined empty, the documented override).
HEADER_IGNORE := '\#include "evrec.h"\nint main(void) { const ProtobufCMessage *m;\n  evrec_reader_next(NULL, &m, NULL); return 0; }\n'
header-test: $(B)/header-test.o
$(B)/header-test.o: include/evrec.h
	@mkdir -p $(@D)
	printf '#include "evrec.h"\nint main(void) { return evrec_version() == 0; }\n' > $(B)/header-test.c
	$(CC) -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude -c $(B)/header-test.c -o $(B)/header-test-c.o
	printf '#include "evrec.h"\nint main(void) { return evrec_version() == 0; }\n' > $(B)/header-test.cc
	@if command -v c++ >/dev/null; then c++ -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude -c $(B)/header-test.cc -o $(B)/header-test-cc.o; fi
	@printf $(HEADER_IGNORE) > $(B)/header-ignore.c
	@cp $(B)/header-ignore.c $(B)/header-ignore.cc
	@set -e; f="-Wall -Wextra -Werror -Iinclude -c -o /dev/null"; \
	if $(CC) -std=c11 $$f $(B)/header-ignore.c 2> $(B)/header-ignore.log || \
	   ! grep -q 'unused-result' $(B)/header-ignore.log; then \
	  echo "header-test: ignoring evrec_reader_next() compiles in C"; exit 1; fi; \
	$(CC) -std=c11 $$f -DEVREC_NODISCARD= $(B)/header-ignore.c; \
	if command -v c++ >/dev/null; then \
	  if c++ -std=c++11 $$f $(B)/header-ignore.cc 2> $(B)/header-ignore.log || \
	     ! grep -q 'unused-result' $(B)/header-ignore.log; then \
	    echo "header-test: ignoring evrec_reader_next() compiles in C++"; exit 1; fi; \
	  c++ -std=c++11 $$f -U__GNUC__ $(B)/header-ignore.cc; \
	fi
	@mv $(B)/header-test-c.o $@  # last: a failed run leaves no target behind

# A locale whose decimal point is ',' (built privately from Debian's
# `locales` sources) proves the codec ignores the host's LC_NUMERIC.
TEST_LOCPATH := $(B)/locale
$(TEST_LOCPATH)/de_DE.UTF-8:
	@mkdir -p $(TEST_LOCPATH)
	@localedef -i de_DE -f UTF-8 $@ 2>/dev/null || echo "evrec: localedef failed; locale tests will skip"

# LD_PRELOAD shim for read errors mid-file (tests/io_errors.sh); not under
# the sanitizers, whose runtime must come first and intercepts read itself.
FAILIO := $(if $(SANITIZE),,$(B)/tests/failio.so)
$(B)/tests/failio.so: tests/util/failio.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(WARN) -shared $< -o $@

# LD_PRELOAD shim refusing allocations (tests/nomem.sh); not under the
# sanitizers either, whose allocator must be the one in use.
FAILALLOC := $(if $(SANITIZE),,$(B)/tests/failalloc.so)
$(B)/tests/failalloc.so: tests/util/failalloc.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(WARN) -Wno-missing-prototypes -shared $< -o $@

# Fast suite: unit tests, then script tests (CLI, golden errors).
check: deps
	@$(MAKE) --no-print-directory lib cli header-test $(TEST_BIN) $(TEST_TOOLS) $(FUZZ_REPLAY) $(FAILIO) $(FAILALLOC) $(TEST_LOCPATH)/de_DE.UTF-8 \
	  $(GENCORPUS)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; LOCPATH=$(TEST_LOCPATH) $$t; done
	@$(if $(FUZZ_REPLAY),echo "== $(FUZZ_REPLAY)"; $(FUZZ_REPLAY_RUN))
	@set -e; for s in $(TEST_SCRIPTS); do echo "== $$s"; bash $$s $(CLI) $(B); done

# Differential tests against Google's implementation (python3-protobuf).
test-diff: deps
	@$(MAKE) --no-print-directory lib cli
	@$(MAKE) --no-print-directory $(B)/tests/diffdriver
	bash tests/diff/run.sh $(B)

test-asan:
	@$(MAKE) --no-print-directory B=$(B)/asan OPT=-O1 SANITIZE="$(SAN_FLAGS)" check

# ThreadSanitizer over every threaded path: the .evr writer's compression
# threads and the reader's read-ahead workers (unit tests of the container,
# reader, writer, validation and diff (A and B hashed on two threads), then
# the container CLI tests, which write with -j 1..8 and read files, pipes
# and damaged input), and a GDELT import's writing thread (tests/import.sh,
# which compares -j 1 with -j 2). A data race or a lock-order problem fails
# the run (halt_on_error, exit status 66).
TSAN_TESTS := test_container test_reader test_writer test_validate test_diff
test-tsan:
	@$(MAKE) --no-print-directory B=$(B)/tsan OPT=-O1 SANITIZE="-fsanitize=thread -fno-omit-frame-pointer" \
	  lib cli $(TSAN_TESTS:%=$(B)/tsan/tests/%)
	@set -e; export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"; \
	for t in $(TSAN_TESTS); do echo "== tsan $$t"; $(B)/tsan/tests/$$t; done; \
	echo "== tsan tests/container.sh"; bash tests/container.sh $(B)/tsan/evrec $(B)/tsan; \
	echo "== tsan tests/import.sh"; bash tests/import.sh $(B)/tsan/evrec $(B)/tsan

test: deps
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(DEB_TEST_PACKAGES)"
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory test-diff
	@$(MAKE) --no-print-directory test-install
	@$(MAKE) --no-print-directory test-plugins
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-tsan
	@$(MAKE) --no-print-directory test-zlib
	@$(MAKE) --no-print-directory test-O2
	@$(MAKE) --no-print-directory test-python
	@$(MAKE) --no-print-directory test-python-asan
	@$(MAKE) --no-print-directory test-python-tsan
	@echo "evrec: all tests passed"

# The library and the CLI at -O2 (in $(B)/o2), as Debian packages are
# compiled (dpkg-buildflags), the default being -O3: each level inlines
# differently and so raises -Werror warnings (maybe-uninitialized ...) the
# other does not; then the CLI, container and import scripts against it.
O2_SCRIPTS := tests/cli.sh tests/container.sh tests/consistency.sh tests/import.sh
.PHONY: test-O2
test-O2:
	@$(MAKE) --no-print-directory B=$(B)/o2 OPT=-O2 lib cli
	@set -e; for s in $(O2_SCRIPTS); do echo "== O2 $$s"; bash $$s $(B)/o2/evrec $(B)/o2; done

# The zlib fallback (`make DEFLATE=zlib`, in $(B)/zlib): the container's
# unit tests and script tests against it, then files written by each build
# read by the other (tests/util/deflate_cross.sh). The default build is
# the one `check` tested.
ZLIB_TESTS := test_container test_reader test_reader_seek test_writer test_blocks test_faults
ZLIB_SCRIPTS := tests/container.sh tests/consistency.sh tests/io_errors.sh tests/format_doc.sh
.PHONY: test-zlib
test-zlib:
	@$(MAKE) --no-print-directory lib cli
	@$(MAKE) --no-print-directory B=$(B)/zlib DEFLATE=zlib lib cli $(ZLIB_TESTS:%=$(B)/zlib/tests/%) \
	  $(B)/zlib/tests/failio.so
	@set -e; for t in $(ZLIB_TESTS); do echo "== zlib $$t"; $(B)/zlib/tests/$$t; done
	@set -e; for s in $(ZLIB_SCRIPTS); do echo "== zlib $$s"; bash $$s $(B)/zlib/evrec $(B)/zlib; done
	@echo "== tests/util/deflate_cross.sh"; bash tests/util/deflate_cross.sh $(CLI) $(B)/zlib/evrec

# The schema through protoc with --fatal_warnings and the C++, Java, Python,
# Go, C#, PHP, Objective-C and Ruby generators; the Java and C++ code
# compiled and reading evrec's output (DEB_TEST_PACKAGES).
.PHONY: test-plugins
test-plugins: all
	bash tests/plugins/run.sh $(CLI) $(B)

# docs/VALIDATION.md's rule reference, regenerated from `evrec validate
# --list-rules` and tests/data/validate/ (tests/validate.sh checks it).
.PHONY: validation-doc test-tsan
validation-doc: cli
	$(PYTHON) docs/gen_validation.py $(CLI)

# `make install` as the README says, then its programs built against the
# installed library with pkg-config and run (tests/install/run.sh).
test-install: all
	bash tests/install/run.sh $(CLI) $(B)

# `make memcheck`: valgrind's memcheck (errors, definite and indirect leaks)
# over the CLI on examples/seed.json, the unit tests and the fuzz replay
# driver, in a plain -O1 build in $(B)/memcheck (tests/util/memcheck.sh).
# Not part of `make test`: it takes minutes. valgrind is installed through
# the `deps` recipe with its own package list.
MEMCHECK_PACKAGES := valgrind
.PHONY: memcheck memcheck-run
memcheck: deps
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(MEMCHECK_PACKAGES)"
	@$(MAKE) --no-print-directory B=$(B)/memcheck OPT=-O1 SANITIZE= memcheck-run

memcheck-run:
	@$(MAKE) --no-print-directory lib cli $(TEST_BIN) $(FUZZ_REPLAY) $(TEST_LOCPATH)/de_DE.UTF-8
	@LOCPATH=$(TEST_LOCPATH) bash tests/util/memcheck.sh $(B) $(TEST_BIN) -- $(FUZZ_REPLAY_RUN)

# libFuzzer targets, `make fuzz`, and the replay driver `check` runs.
-include tests/fuzz/fuzz.mk
