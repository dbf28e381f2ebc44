# evrec -- GNU make build.
#
#   make            library (static + shared), CLI          -> build/
#   make demo       build, then a tour: JSON <-> pb, 10k records to .evr, info,
#                   get, validate, diff (examples/demo.sh)
#   make check      fast unit, golden and CLI tests
#   make test       everything: check + differential tests against Google's
#                   protobuf + the whole suite again under ASan+UBSan + the
#                   threaded paths under ThreadSanitizer
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the Debian packages the build and tests need
#
# Generated code (protoc-c, protoc) lives in build/ and is never committed.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(DATADIR)/man
COMPDIR ?= $(DATADIR)/bash-completion/completions

CC      ?= cc
CC      := $(if $(filter default,$(origin CC)),cc,$(CC))
PYTHON  ?= /usr/bin/python3
PROTOC  ?= protoc
PROTOC_C ?= protoc-c
LDCONFIG ?= ldconfig
WKT_DIR ?= /usr/include

SOVERSION := 0
VERSION   := $(shell sed -n 's/^\#define EVREC_VERSION_STRING "\(.*\)"/\1/p' include/evrec.h)

B      ?= build
GEN    := $(B)/gen
OBJ    := $(B)/obj

# -O3, as zstd builds: 3-4% fewer instructions on every bench path (JSON <->
# pbd, .evr -> NDJSON, the GDELT import) than -O2, measured on 2026-12-07
# (bench/README.md). `make OPT=-O2` builds as before.
OPT      ?= -O3
WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wundef -Wcast-align -Wvla
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc -I$(GEN)
BASEFLAGS := -std=c11 $(OPT) -g -fPIC $(SANITIZE)
CFLAGS   ?=
ALL_CFLAGS := $(BASEFLAGS) $(WARN) -fvisibility=hidden $(CFLAGS)
# protoc-c output is not ours to lint; it is compiled with default visibility
# so that the descriptors (evrec__v1__record__descriptor ...) are exported.
GEN_CFLAGS := $(BASEFLAGS) -Wall -Werror $(CFLAGS)
# The .evr container's deflate: libdeflate (whole-block, as htslib's bgzip),
# or `make DEFLATE=zlib` for systems without it (same format, other bytes;
# src/container_deflate.c). Objects and links follow a change of DEFLATE
# ($(B)/deflate.cfg); `make test` also tests the zlib build (test-zlib).
DEFLATE  ?= libdeflate
ifeq ($(DEFLATE),zlib)
DEFLATE_LIBS := -lz
DEFLATE_PC   := zlib
CPPFLAGS     += -DEVREC_DEFLATE_ZLIB
else ifeq ($(DEFLATE),libdeflate)
DEFLATE_LIBS := -ldeflate
DEFLATE_PC   := libdeflate
else
$(error DEFLATE must be libdeflate or zlib, not '$(DEFLATE)')
endif
LDLIBS   := -lprotobuf-c $(DEFLATE_LIBS) -lpthread -lm
LDFLAGS  ?=

WKT_PROTOS := timestamp duration wrappers struct any field_mask empty
WKT_SRC    := $(WKT_PROTOS:%=$(GEN)/google/protobuf/%.pb-c.c)
EVREC_PROTO := proto/evrec/v1/evrec.proto
EVREC_GEN   := $(GEN)/evrec/v1/evrec.pb-c.c
GEN_SRC     := $(WKT_SRC) $(EVREC_GEN)
GEN_HDR     := $(GEN_SRC:.c=.h)

LIB_SRC := $(wildcard src/*.c)
LIB_OBJ := $(LIB_SRC:src/%.c=$(OBJ)/src/%.o) \
           $(GEN_SRC:$(GEN)/%.c=$(OBJ)/gen/%.o) $(OBJ)/gen/builtin_types.o \
           $(OBJ)/gen/schema_data.o $(OBJ)/gen/vocab_data.o
CLI_SRC := $(wildcard tools/*.c)
CLI_OBJ := $(CLI_SRC:tools/%.c=$(OBJ)/tools/%.o)

STATIC := $(B)/libevrec.a
SHARED := $(B)/libevrec.so.$(SOVERSION)
CLI    := $(B)/evrec

DEB_PACKAGES := gcc make pkg-config protobuf-c-compiler libprotobuf-c-dev \
                protobuf-compiler libprotobuf-dev zlib1g-dev libdeflate-dev libcmocka-dev \
                python3 python3-protobuf locales iso-codes \
                groff-base groff man-db python3-jsonschema \
                python3-dev python3-pytest python3-pandas python3-dask python3-distributed \
                python3-jsonpatch
# What `make test` needs beyond the build (installed by it, as root): the
# other protoc generators the schema is tested with (tests/plugins/run.sh).
# Kept apart so that `make` and `make demo` do not pull in a JDK.
DEB_TEST_PACKAGES := g++ golang-goprotobuf-dev default-jdk-headless libprotobuf-java

.PHONY: all lib cli deps demo check test test-asan test-diff test-install install uninstall \
        clean header-test
.DEFAULT_GOAL := all

# `make` and `make test` first make sure the Debian packages are there.
all: deps
	@$(MAKE) --no-print-directory lib cli

lib: $(STATIC) $(SHARED) $(B)/libevrec.so $(B)/evrec.pc
cli: $(CLI)

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "evrec: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "evrec: missing Debian packages; run: sudo apt-get install -y$$missing"; \
	  fi; \
	fi

# ---------------------------------------------------------------- codegen

$(GEN)/google/protobuf/%.pb-c.c $(GEN)/google/protobuf/%.pb-c.h: $(WKT_DIR)/google/protobuf/%.proto
	@mkdir -p $(GEN)
	$(PROTOC_C) -I$(WKT_DIR) --c_out=$(GEN) google/protobuf/$*.proto

$(GEN)/evrec/v1/evrec.pb-c.c $(GEN)/evrec/v1/evrec.pb-c.h: $(EVREC_PROTO)
	@mkdir -p $(GEN)
	$(PROTOC_C) -Iproto -I$(WKT_DIR) --c_out=$(GEN) evrec/v1/evrec.proto

# The Any type registry: every message descriptor the library links, listed
# from the generated headers so it follows the schema without hand edits.
$(GEN)/builtin_types.c: $(GEN_HDR) Makefile
	@mkdir -p $(GEN)
	@{ echo '/* generated by make from the protoc-c headers; do not edit */'; \
	  for h in $(GEN_HDR); do echo "#include \"$${h#$(GEN)/}\""; done; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const ProtobufCMessageDescriptor *const evrec__builtin_types[];'; \
	  echo 'extern const size_t evrec__n_builtin_types;'; \
	  echo 'const ProtobufCMessageDescriptor *const evrec__builtin_types[] = {'; \
	  cat $(GEN_HDR) | sed -n 's/^extern const ProtobufCMessageDescriptor \([a-z0-9_]*\);/  \&\1,/p'; \
	  echo '};'; \
	  echo 'const size_t evrec__n_builtin_types = sizeof evrec__builtin_types / sizeof evrec__builtin_types[0];'; \
	} > $@.tmp && mv $@.tmp $@

# The schema built into the library: the FileDescriptorSet (with imports) that
# every .evr header embeds, and the .proto text `evrec schema` prints.
$(GEN)/evrec.desc: $(EVREC_PROTO)
	@mkdir -p $(GEN)
	$(PROTOC) -Iproto -I$(WKT_DIR) --include_imports --descriptor_set_out=$@ evrec/v1/evrec.proto

# bytes -> "0x0a,0x1f,..." lines (od is in coreutils, everywhere).
BYTES_TO_C = od -An -v -tx1 $(1) | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'

$(GEN)/schema_data.c: $(GEN)/evrec.desc $(EVREC_PROTO)
	@{ echo '/* generated by make: the evrec.v1 schema; do not edit */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const unsigned char evrec__schema_desc[];'; \
	  echo 'extern const size_t evrec__schema_desc_len;'; \
	  echo 'extern const char evrec__schema_proto[];'; \
	  echo 'extern const size_t evrec__schema_proto_len;'; \
	  echo 'const unsigned char evrec__schema_desc[] = {'; \
	  $(call BYTES_TO_C,$(GEN)/evrec.desc); \
	  echo '};'; \
	  echo 'const size_t evrec__schema_desc_len = sizeof evrec__schema_desc;'; \
	  echo 'const char evrec__schema_proto[] = {'; \
	  $(call BYTES_TO_C,$(EVREC_PROTO)); \
	  echo '0};'; \
	  echo 'const size_t evrec__schema_proto_len = sizeof evrec__schema_proto - 1;'; \
	} > $@.tmp && mv $@.tmp $@

# The vocabularies (vocab/README.md) that `evrec validate` checks codes
# against and `evrec import` maps codes to: CAMEO, PLOVER and FIPS 10-4 from
# vocab/, ISO 3166-1 and ISO 639 from Debian's iso-codes, as sorted C tables
# for src/vocab.c's binary searches (one generator, one set of tables).
ISO_CODES_DIR ?= /usr/share/iso-codes/json
VOCAB_FILES := vocab/cameo-eventcodes.tsv vocab/plover-2.0.tsv vocab/plover-2.0-contexts.txt \
               vocab/fips10-4-iso3166.tsv
$(GEN)/vocab_data.c: vocab/gen_vocab.py $(VOCAB_FILES) $(ISO_CODES_DIR)/iso_3166-1.json
	@mkdir -p $(GEN)
	$(PYTHON) vocab/gen_vocab.py vocab $(ISO_CODES_DIR) $@

# The powers of ten of the shortest-double printer (src/dtoa.c), computed
# exactly by a host program (src/tables/pow10_gen.c).
$(B)/pow10_gen: src/tables/pow10_gen.c
	@mkdir -p $(@D)
	$(CC) -O2 $< -o $@

$(GEN)/pow10_table.h: $(B)/pow10_gen
	@mkdir -p $(GEN)
	$(B)/pow10_gen > $@.tmp && mv $@.tmp $@

$(OBJ)/src/dtoa.o: $(GEN)/pow10_table.h

# ---------------------------------------------------------------- compile

$(OBJ)/src/%.o: src/%.c $(GEN_HDR) include/evrec.h src/internal.h $(B)/cflags.cfg
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/tools/%.o: tools/%.c $(GEN_HDR) include/evrec.h $(B)/cflags.cfg
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itools $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/gen/%.o: $(GEN)/%.c $(GEN_HDR) $(B)/cflags.cfg
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(GEN_CFLAGS) -c $< -o $@

# The deflate backend the objects and links of $(B) were made with: written
# when make reads this file and DEFLATE differs from it (no rule, so `make
# -q` stays quiet), so switching rebuilds what depends on it.
$(shell mkdir -p $(B) && { echo '$(DEFLATE)' | cmp -s - $(B)/deflate.cfg || \
          echo '$(DEFLATE)' > $(B)/deflate.cfg; })

$(OBJ)/src/container_deflate.o: $(B)/deflate.cfg

# The compiler and flags the objects of $(B) were made with, the same way:
# `make OPT=-O2` after a `make` rebuilds them instead of mixing the two.
$(shell mkdir -p $(B) && { echo '$(CC) $(CPPFLAGS) $(ALL_CFLAGS)' | cmp -s - $(B)/cflags.cfg || \
          echo '$(CC) $(CPPFLAGS) $(ALL_CFLAGS)' > $(B)/cflags.cfg; })

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJ) $(B)/deflate.cfg
	$(CC) -shared -Wl,-soname,libevrec.so.$(SOVERSION) $(SANITIZE) $(LDFLAGS) -o $@ $(LIB_OBJ) $(LDLIBS)

$(B)/libevrec.so: $(SHARED)
	ln -sf libevrec.so.$(SOVERSION) $@

$(CLI): $(CLI_OBJ) $(STATIC) $(B)/deflate.cfg
	$(CC) $(SANITIZE) $(LDFLAGS) -o $@ $(CLI_OBJ) $(STATIC) $(LDLIBS)

# evrec.pc for the PREFIX given to this make run; `install` writes its own
# copy so `make && make install PREFIX=/usr` gets /usr paths.
PC_SED := sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
              -e 's|@INCDIR@|$(INCDIR)|' -e 's|@VERSION@|$(VERSION)|' \
              -e 's|@DEFLATE_PC@|$(DEFLATE_PC)|' -e 's|@DEFLATE_LIBS@|$(DEFLATE_LIBS)|'
$(B)/evrec.pc: evrec.pc.in include/evrec.h Makefile $(B)/deflate.cfg
	$(PC_SED) $< > $@

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# ---------------------------------------------------------------- demo

# A tour of the product in a few steps, one line each (examples/demo.sh:
# at most ~40 lines; tests/demo.sh checks it). Builds quietly first.
demo: deps
	@$(MAKE) --no-print-directory -s lib cli $(GENCORPUS)
	@bash examples/demo.sh $(CLI) $(GENCORPUS) $(B)/demo

# ---------------------------------------------------------------- tests

include tests/tests.mk
-include bench/bench.mk
-include python/python.mk

# ---------------------------------------------------------------- install

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	  $(DESTDIR)$(INCDIR)/evrec/evrec/v1 $(DESTDIR)$(INCDIR)/evrec/google/protobuf \
	  $(DESTDIR)$(DATADIR)/evrec/proto/evrec/v1
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/evrec
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libevrec.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/libevrec.so.$(SOVERSION)
	ln -sf libevrec.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libevrec.so
	install -m 644 include/evrec.h $(DESTDIR)$(INCDIR)/evrec.h
	install -m 644 $(GEN)/evrec/v1/evrec.pb-c.h $(DESTDIR)$(INCDIR)/evrec/evrec/v1/
	install -m 644 $(WKT_SRC:.c=.h) $(DESTDIR)$(INCDIR)/evrec/google/protobuf/
	install -m 644 $(EVREC_PROTO) $(DESTDIR)$(DATADIR)/evrec/proto/evrec/v1/
	$(PC_SED) evrec.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/evrec.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/evrec.pc
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPDIR)
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 share/bash-completion/completions/evrec $(DESTDIR)$(COMPDIR)/evrec
	@# Installed for real by root (no DESTDIR: not a staged package): update
	@# the loader's cache, so that programs find libevrec.so.0 in a system
	@# prefix such as /usr/local/lib. Other prefixes: README, "Install".
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  echo "$(LDCONFIG)"; $(LDCONFIG) || echo "evrec: $(LDCONFIG) failed: run it before using libevrec"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/evrec $(DESTDIR)$(LIBDIR)/libevrec.a \
	  $(DESTDIR)$(LIBDIR)/libevrec.so $(DESTDIR)$(LIBDIR)/libevrec.so.$(SOVERSION) \
	  $(DESTDIR)$(INCDIR)/evrec.h $(DESTDIR)$(LIBDIR)/pkgconfig/evrec.pc
	rm -rf $(DESTDIR)$(INCDIR)/evrec $(DESTDIR)$(DATADIR)/evrec
	rm -f $(patsubst man/%,$(DESTDIR)$(MANDIR)/man1/%,$(wildcard man/*.1)) \
	  $(DESTDIR)$(COMPDIR)/evrec

clean:
	rm -rf $(B)
