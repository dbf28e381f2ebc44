# python/python.mk -- the Python binding (issue 14). Included by the top Makefile.
#
#   make python          build/python/evrec/: the package, with the C extension
#                        evrec._evrec linked statically against libevrec.a;
#                        use it with PYTHONPATH=build/python /usr/bin/python3
#   make test-python     pytest suite (python/tests), Dask tests on a LocalCluster
#                        of worker processes included
#   make test-python-asan  the same suite with the module built under ASan+UBSan
#                        in build/asan, run with libasan preloaded into Debian's
#                        python3
#   make test-python-tsan  the same suite with the module built under
#                        ThreadSanitizer in build/tsan, libtsan preloaded
#   make install         also installs the package into PYSITE (below)
#
# Debian's python3 (/usr/bin/python3, $(PYTHON)), never the pyenv python3 on
# PATH: the packages it needs (python3-pandas, python3-dask, ...) are Debian's.

PYTHON_CONFIG ?= $(PYTHON)-config
PY_VER      := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PY_EXT      := $(shell $(PYTHON_CONFIG) --extension-suffix 2>/dev/null)
PY_INC      := $(patsubst -I%,-isystem %,$(sort $(shell $(PYTHON_CONFIG) --includes 2>/dev/null)))
# Debian: /usr -> /usr/lib/python3/dist-packages; /usr/local and others ->
# PREFIX/lib/pythonX.Y/dist-packages (on sys.path for /usr/local).
PYSITE      ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python$(PY_VER)/dist-packages)

PY_OUT      := $(B)/python
PY_SRC      := $(wildcard python/src/*.c)
PY_OBJ      := $(PY_SRC:python/src/%.c=$(OBJ)/python/%.o)
PY_MOD      := $(PY_OUT)/evrec/_evrec$(PY_EXT)
PY_FILES    := $(wildcard python/evrec/*.py)
PY_COPIES   := $(PY_FILES:python/evrec/%=$(PY_OUT)/evrec/%)
# Test-only module: message descriptors of the all-types test schema as
# capsules (evrec.open(..., type=capsule)); never installed.
PY_TEST_OUT := $(B)/python-test
PY_TEST_MOD := $(PY_TEST_OUT)/_evrec_testtypes$(PY_EXT)
PY_CFLAGS   := -std=c11 $(OPT) -g -fPIC $(SANITIZE) $(WARN) -fvisibility=hidden -Wno-missing-field-initializers
# libevrec and protobuf-c's generated code stay private to the module:
# no evrec_* symbol is exported to clash with a libevrec.so in the process.
PY_LDFLAGS  := -shared $(SANITIZE) -Wl,--exclude-libs,ALL

.PHONY: python test-python test-python-asan test-python-tsan install-python uninstall-python

python: deps
	@$(MAKE) --no-print-directory lib
	@if [ -z "$(PY_EXT)" ]; then echo "evrec: $(PYTHON_CONFIG) not found (apt-get install python3-dev)"; exit 2; fi
	@$(MAKE) --no-print-directory $(PY_MOD) $(PY_COPIES)

$(OBJ)/python/%.o: python/src/%.c python/src/evrecpy.h $(GEN_HDR) include/evrec.h src/internal.h $(B)/cflags.cfg
	@mkdir -p $(@D)
	$(CC) -Iinclude -Isrc -I$(GEN) $(PY_INC) $(PY_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(PY_MOD): $(PY_OBJ) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(PY_LDFLAGS) $(LDFLAGS) -o $@ $(PY_OBJ) $(STATIC) $(LDLIBS)

$(PY_OUT)/evrec/%.py: python/evrec/%.py
	@mkdir -p $(@D)
	cp $< $@

$(OBJ)/python-test/testtypes.o: python/tests/testtypes.c $(GEN)/alltypes.pb-c.h
	@mkdir -p $(@D)
	$(CC) -Iinclude -I$(GEN) $(PY_INC) $(PY_CFLAGS) $(CFLAGS) -c $< -o $@

$(PY_TEST_MOD): $(OBJ)/python-test/testtypes.o $(OBJ)/gen/alltypes.pb-c.o $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(PY_LDFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(PY_OBJ:.o=.d)

# The suite: PYTHONPATH puts build/python first, so `import evrec` is the
# module just built. EVREC_CLI lets tests compare with the command line.
PYTEST_ARGS ?=
# The realistic corpus of the tests comes from bench/gencorpus, the record
# set pairs of the diff tests from tests/diffmut (plain build).
PY_DIFFMUT  := $(B)/tests/diffmut
PY_TEST_ENV  = PYTHONPATH=$(CURDIR)/$(PY_OUT):$(CURDIR)/$(PY_TEST_OUT) EVREC_CLI=$(CURDIR)/$(CLI) \
               EVREC_ROOT=$(CURDIR) PYTHONDONTWRITEBYTECODE=1 EVREC_GENCORPUS=$(CURDIR)/$(GENCORPUS) \
               EVREC_DIFFMUT=$(CURDIR)/$(PY_DIFFMUT)
test-python: deps
	@$(MAKE) --no-print-directory python cli
	@$(MAKE) --no-print-directory $(PY_TEST_MOD) $(GENCORPUS) $(PY_DIFFMUT)
	cd python/tests && $(PY_TEST_ENV) $(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) .
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(MAKE) --no-print-directory install-python DESTDIR="$$d" PREFIX=/usr >/dev/null; \
	cd /; PYTHONPATH="$$d/usr/lib/python3/dist-packages" $(PYTHON) -c \
	  'import evrec, sys; r = next(evrec.open(sys.argv[1])); assert r["id"].startswith("cnn.com:"), r["id"]' \
	  $(CURDIR)/examples/seed.json; \
	echo "install-python: 1 passed, 0 failed"

# Debian's python3 is not built with ASan, so the runtime is preloaded; leak
# checking is off (the interpreter keeps memory at exit by design), every
# other check stays on, and UBSan aborts on the first finding.
ASAN_RT = $(shell $(CC) -print-file-name=libasan.so)
test-python-asan:
	@$(MAKE) --no-print-directory lib $(GENCORPUS) $(PY_DIFFMUT)
	@$(MAKE) --no-print-directory B=$(B)/asan OPT=-O1 SANITIZE="$(SAN_FLAGS)" python cli
	@$(MAKE) --no-print-directory B=$(B)/asan OPT=-O1 SANITIZE="$(SAN_FLAGS)" $(B)/asan/python-test/_evrec_testtypes$(PY_EXT)
	cd python/tests && PYTHONPATH=$(CURDIR)/$(B)/asan/python:$(CURDIR)/$(B)/asan/python-test \
	  EVREC_CLI=$(CURDIR)/$(B)/asan/evrec EVREC_ROOT=$(CURDIR) PYTHONDONTWRITEBYTECODE=1 \
	  EVREC_GENCORPUS=$(CURDIR)/$(GENCORPUS) EVREC_DIFFMUT=$(CURDIR)/$(PY_DIFFMUT) \
	  EVREC_ASAN=1 LD_PRELOAD=$(ASAN_RT) \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) .

# ThreadSanitizer over the module's threads: the library's (evrec.diff reads
# A on a helper thread, whose reads of a file object take the GIL back; .evr
# read-ahead; writer compression) against Python threads sharing Readers,
# Writers and diffs. Python is not instrumented, but its GIL is a pthread
# mutex/condvar pair that TSan intercepts, so hand-overs order the module's
# accesses; no suppression is needed. Shell commands of the tests run
# without the runtime (bash crashes under it: conftest.SHELL_ENV). A report
# halts the process that has it (the suite, or a Python child such as a Dask
# worker) and goes to a temporary tsan.PID file, printed here: pytest's capture of fd 2
# would swallow it with the halted process.
TSAN_RT = $(shell $(CC) -print-file-name=libtsan.so)
TSAN_PY_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
test-python-tsan:
	@$(MAKE) --no-print-directory lib cli $(GENCORPUS) $(PY_DIFFMUT)
	@$(MAKE) --no-print-directory B=$(B)/tsan OPT=-O1 SANITIZE="$(TSAN_PY_FLAGS)" python
	@$(MAKE) --no-print-directory B=$(B)/tsan OPT=-O1 SANITIZE="$(TSAN_PY_FLAGS)" $(B)/tsan/python-test/_evrec_testtypes$(PY_EXT)
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; rc=0; \
	cd python/tests && PYTHONPATH=$(CURDIR)/$(B)/tsan/python:$(CURDIR)/$(B)/tsan/python-test \
	  EVREC_CLI=$(CURDIR)/$(CLI) EVREC_ROOT=$(CURDIR) PYTHONDONTWRITEBYTECODE=1 \
	  EVREC_GENCORPUS=$(CURDIR)/$(GENCORPUS) EVREC_DIFFMUT=$(CURDIR)/$(PY_DIFFMUT) \
	  EVREC_ASAN=1 LD_PRELOAD=$(TSAN_RT) TSAN_OPTIONS="halt_on_error=1 exitcode=66 log_path=$$d/tsan" \
	  $(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) . || rc=$$?; \
	for f in "$$d"/tsan.*; do [ -e "$$f" ] || continue; cat "$$f"; rc=1; done; \
	[ $$rc = 0 ] || { echo "test-python-tsan: failed"; exit 1; }

install-python: python
	install -d $(DESTDIR)$(PYSITE)/evrec
	install -m 644 $(PY_COPIES) $(DESTDIR)$(PYSITE)/evrec/
	install -m 755 $(PY_MOD) $(DESTDIR)$(PYSITE)/evrec/

uninstall-python:
	rm -rf $(DESTDIR)$(PYSITE)/evrec

# `make install` / `make uninstall` include the package when python3-dev is there.
ifneq ($(PY_EXT),)
install: install-python
uninstall: uninstall-python
endif
