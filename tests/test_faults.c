/*
 * test_faults.c -- allocation failure injection (issue 5): every allocation
 * the public API makes may fail, and each failure must end in a clean error
 * (EVREC_E_NOMEM with a message), with nothing leaked, no crash and no
 * deadlock.
 *
 * How: this binary is linked with -Wl,--wrap=SYM (FAULT_WRAP in
 * tests/tests.mk), so every call libevrec.a makes to SYM lands in
 * __wrap_SYM below. Two kinds of sites are counted:
 *
 *   system  malloc calloc realloc strdup strndup realpath; the deflate
 *           library's own allocations (libdeflate is given an allocator
 *           over __wrap_malloc at start; with `make DEFLATE=zlib`,
 *           deflateInit2_ and inflateInit2_ are wrapped to give zlib one,
 *           so its state, window and buffers count too); pthread_create (a
 *           thread that cannot start)
 *   arena   evrec__arena_alloc and evrec__arena_strndup called from outside
 *           arena.c: every bump allocation of the codecs, not only those
 *           that need a new block from malloc
 *
 * A scenario is a sequence of public API calls that cleans up after itself.
 * It first runs unarmed, counting the K calls it makes to one kind of site;
 * then it runs again for N = 1, 2, ... with exactly the Nth call failing,
 * until a run no longer reaches an Nth call. Every such run must return
 * EVREC_E_NOMEM with err->code and err->message set (functions without an
 * evrec_error, the arena's, must return NULL) or -- only in scenarios
 * flagged MAY_SUCCEED, where an allocation is optional (the .evr reader's
 * read-ahead), or THREADS_OPTIONAL when the failing call was pthread_create
 * (the .evr writer then compresses on fewer threads) -- succeed with
 * exactly the result of the unarmed run. Every
 * N is run, no stride: the whole file takes about a second. Writers must
 * also leave no temporary file and the destination untouched (an appended
 * file truncated back); after a failed seek, seeking again must work (one
 * failure must not be remembered).
 *
 * Leaks: free is wrapped too, and a table holds every pointer the wrappers
 * handed out and not yet got back; after each run it must hold what it held
 * before. That catches leaks in the plain build; `make test-asan` adds
 * ASan and LSan. Memory allocated inside libc (qsort's buffer) or inside
 * protobuf-c is outside the wrappers (DEVELOPERS.md, "Fault injection").
 *
 * Threads: an .evr writer with two compression threads and the .evr reader's
 * read-ahead thread may meet the failure on a helper thread; the counter is
 * atomic, and an alarm() watchdog turns a deadlock into a failure. The Nth
 * call may then be a different allocation from run to run; every outcome
 * is checked all the same.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef EVREC_DEFLATE_ZLIB
#include <zlib.h>
#else
#include <libdeflate.h>
#endif

#include <cmocka.h>

#include "alltypes.pb-c.h"
#include "evrec/v1/evrec.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "internal.h"
#include "util/mutate.h"
#include "util/randmsg.h"

#ifndef FAULTS_SEED_JSON
#define FAULTS_SEED_JSON "examples/seed.json"
#endif
#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define CREATED "2026-11-27T17:00:00Z"
#define WATCHDOG_SECONDS 300u /* per scenario and kind; generous for ASan */
#define BIG_BODY (300u * 1024u) /* > the reader's 256 KiB read chunk */

/* ====================================================================== */
/* Fault injection                                                        */
/* ====================================================================== */

enum { SITE_SYS = 1, SITE_ARENA = 2 };

static atomic_int fi_kind;          /* the kind of site armed; 0 = none */
static atomic_ulong fi_calls;       /* calls to armed sites so far */
static atomic_ulong fi_target;      /* the call that fails; 0 = none */
static atomic_bool fi_hit;          /* the target call happened */
static atomic_uintptr_t fi_site;    /* ... from this return address */

/* The wrappers' caller, for messages: an offset that `addr2line -f -e
 * test_faults` resolves (meaningless when the caller is zlib). */
extern const char __executable_start[];
#define CALLER() ((uintptr_t)__builtin_return_address(0) - (uintptr_t)__executable_start)

static bool fi_fail(int kind, uintptr_t site) {
  if (atomic_load(&fi_kind) != kind) return false;
  unsigned long n = atomic_fetch_add(&fi_calls, 1) + 1;
  if (n != atomic_load(&fi_target)) return false;
  atomic_store(&fi_site, site);
  atomic_store(&fi_hit, true);
  return true;
}

static void fi_arm(int kind, unsigned long target) {
  atomic_store(&fi_calls, 0);
  atomic_store(&fi_target, target);
  atomic_store(&fi_hit, false);
  atomic_store(&fi_kind, kind);
}

/* @return the calls counted since fi_arm(). */
static unsigned long fi_disarm(void) {
  atomic_store(&fi_kind, 0);
  return atomic_load(&fi_calls);
}

/* ---------------------------------------------------------------- live pointers */

/* Open addressing with linear probing and backward-shift deletion (no
 * tombstones), in static memory: the table must not allocate. */
#define LIVE_CAP (1u << 16)
static uintptr_t live_tab[LIVE_CAP];
static size_t live_n;
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t live_home(uintptr_t p) {
  return (size_t)(((uint64_t)p * 0x9e3779b97f4a7c15u) >> 48) & (LIVE_CAP - 1);
}

static void live_add_locked(void *p) {
  size_t i = live_home((uintptr_t)p);
  while (live_tab[i]) i = (i + 1) & (LIVE_CAP - 1);
  live_tab[i] = (uintptr_t)p;
  if (++live_n > LIVE_CAP / 2) abort(); /* far beyond what any scenario holds */
}

/* @return false when p was not handed out by a wrapper (libc's own). */
static bool live_del_locked(void *p) {
  size_t i = live_home((uintptr_t)p);
  while (live_tab[i] && live_tab[i] != (uintptr_t)p) i = (i + 1) & (LIVE_CAP - 1);
  if (!live_tab[i]) return false;
  for (size_t j = (i + 1) & (LIVE_CAP - 1); live_tab[j]; j = (j + 1) & (LIVE_CAP - 1)) {
    size_t h = live_home(live_tab[j]);
    bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
    if (!stays) live_tab[i] = live_tab[j], i = j;
  }
  live_tab[i] = 0;
  live_n--;
  return true;
}

static void live_add(void *p) {
  if (!p) return;
  pthread_mutex_lock(&live_mu);
  live_add_locked(p);
  pthread_mutex_unlock(&live_mu);
}

static size_t live_count(void) {
  pthread_mutex_lock(&live_mu);
  size_t n = live_n;
  pthread_mutex_unlock(&live_mu);
  return n;
}

/* ---------------------------------------------------------------- wrappers */

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
char *__real_realpath(const char *path, char *resolved);
#ifdef EVREC_DEFLATE_ZLIB
int __real_deflateInit2_(z_streamp z, int level, int method, int bits, int mem, int strategy,
                         const char *version, int size);
int __real_inflateInit2_(z_streamp z, int bits, const char *version, int size);
#endif
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
void *__real_evrec__arena_alloc(evrec_arena *a, size_t n);
char *__real_evrec__arena_strndup(evrec_arena *a, const char *s, size_t n);

static void *fault_malloc(size_t n, uintptr_t site) {
  if (fi_fail(SITE_SYS, site)) return errno = ENOMEM, NULL;
  void *p = __real_malloc(n);
  live_add(p);
  return p;
}

static char *fault_strndup(const char *s, size_t n, uintptr_t site) {
  size_t len = strnlen(s, n);
  char *p = fault_malloc(len + 1, site);
  if (p) memcpy(p, s, len), p[len] = '\0';
  return p;
}

void *__wrap_malloc(size_t n) { return fault_malloc(n, CALLER()); }

void *__wrap_calloc(size_t k, size_t n) {
  if (fi_fail(SITE_SYS, CALLER())) return errno = ENOMEM, NULL;
  void *p = __real_calloc(k, n);
  live_add(p);
  return p;
}

/* Under the lock, so that no other thread gets p's old address from malloc
 * before the table forgets it. */
void *__wrap_realloc(void *p, size_t n) {
  if (fi_fail(SITE_SYS, CALLER())) return errno = ENOMEM, NULL;
  pthread_mutex_lock(&live_mu);
  void *q = __real_realloc(p, n);
  if (q && p) live_del_locked(p);
  if (q) live_add_locked(q);
  pthread_mutex_unlock(&live_mu);
  return q;
}

void __wrap_free(void *p) {
  if (!p) return;
  pthread_mutex_lock(&live_mu);
  live_del_locked(p);
  pthread_mutex_unlock(&live_mu);
  __real_free(p);
}

char *__wrap_strndup(const char *s, size_t n) { return fault_strndup(s, n, CALLER()); }

char *__wrap_strdup(const char *s) { return fault_strndup(s, SIZE_MAX, CALLER()); }

/* realpath(path, NULL) mallocs inside libc: give it our buffer instead. */
char *__wrap_realpath(const char *path, char *resolved) {
  if (resolved) return __real_realpath(path, resolved);
  char *buf = fault_malloc(PATH_MAX, CALLER());
  if (!buf) return NULL;
  char *r = __real_realpath(path, buf);
  if (!r) __wrap_free(buf);
  return r;
}

#ifdef EVREC_DEFLATE_ZLIB
static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  return fault_malloc((size_t)items * size, CALLER());
}

static void z_free(voidpf opaque, voidpf p) {
  (void)opaque;
  __wrap_free(p);
}

static void z_route(z_streamp z) {
  if (!z->zalloc && !z->zfree) z->zalloc = z_alloc, z->zfree = z_free, z->opaque = Z_NULL;
}

int __wrap_deflateInit2_(z_streamp z, int level, int method, int bits, int mem, int strategy,
                         const char *version, int size) {
  z_route(z);
  return __real_deflateInit2_(z, level, method, bits, mem, strategy, version, size);
}

int __wrap_inflateInit2_(z_streamp z, int bits, const char *version, int size) {
  z_route(z);
  return __real_inflateInit2_(z, bits, version, size);
}
#else
/* libdeflate's allocator is process-wide: set once, before any scenario. */
static void *lde_malloc(size_t n) { return fault_malloc(n, CALLER()); }

static void deflate_route(void) { libdeflate_set_memory_allocator(lde_malloc, __wrap_free); }
#endif

/* Set when the failing call was a thread's creation (THREADS_OPTIONAL). */
static atomic_bool thread_refused;

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg) {
  if (fi_fail(SITE_SYS, CALLER())) {
    atomic_store(&thread_refused, true);
    return EAGAIN;
  }
  return __real_pthread_create(t, a, fn, arg);
}

void *__wrap_evrec__arena_alloc(evrec_arena *a, size_t n) {
  return fi_fail(SITE_ARENA, CALLER()) ? NULL : __real_evrec__arena_alloc(a, n);
}

char *__wrap_evrec__arena_strndup(evrec_arena *a, const char *s, size_t n) {
  return fi_fail(SITE_ARENA, CALLER()) ? NULL : __real_evrec__arena_strndup(a, s, n);
}

/* ====================================================================== */
/* Test data (built unarmed by the group setup)                           */
/* ====================================================================== */

typedef struct blob {
  void *p;
  size_t n;
} blob;

#define NREC 4
static const char *const meta[] = {"source=faults", "alpha=1"};
static const ProtobufCMessageDescriptor *const any_types[] = {
    &evrec__test__nested__descriptor, &evrec__test__all_types__descriptor};

static struct {
  char dir[64];
  evrec_arena *arena; /* owns every message below */
  const ProtobufCMessage *recs[NREC]; /* seed, "second", "small", big body */
  const ProtobufCMessage *alltypes, *value, *any;
  const ProtobufCMessage *sparse; /* a NULL map value and a large Any */
  blob seed_json, alltypes_json, seed_pb, alltypes_pb;
  blob ndjson, array, pbd, pb, evr; /* recs in every format, in memory */
  char p_ndjson[96], p_evr[96], p_concat[96], p_base[96]; /* the same on disk */
  /* Containers of small records, for injection at every arena site of the
   * reader (decoding a big record makes thousands): in memory, and two
   * sections on disk. An empty file, read as .evr. */
  const ProtobufCMessage *small[NREC];
  blob small_evr;
  char p_small_concat[96], p_empty[96];
  blob damaged; /* recs in .evr with a byte of a data block flipped */
  blob validate_in; /* recs as NDJSON, then records with violations */
} g;

/* B of the diff scenarios (made once, unarmed): the seed record edited by
 * mutate_message() (entities, lists, values), "second" gone, "small"
 * edited, a new record; and the same B as a file. */
static struct {
  const ProtobufCMessage *a, *b; /* seed and its edited copy */
  blob pbd;                      /* B's set as pbd, in memory */
  char path[96];                 /* ... and as NDJSON on disk */
  evrec_difference *ops;         /* diff(a, b), parsed back from delta lines */
  size_t n_ops;
} dg;

static const char value_json[] =
    "{\"a\":[1,\"two\",true,null,{\"b\":{\"c\":[]}}],\"d\":-2.5,\"e\":\"\\u00e9x\","
    "\"f\":{\"g\":{\"h\":[[],{}]}}}";
static const char any_record_json[] =
    "{\"@type\":\"type.googleapis.com/evrec.v1.Record\",\"id\":\"any-1\",\"revision\":7,"
    "\"updatedAt\":\"2026-11-27T17:00:00Z\",\"article\":{\"headline\":\"h\",\"body\":\"b\"},"
    "\"extensions\":{\"k\":\"v\",\"l\":\"w\"}}";
static const char any_struct_json[] =
    "{\"@type\":\"type.googleapis.com/google.protobuf.Struct\","
    "\"value\":{\"k\":[1,2,{\"x\":\"y\"}],\"t\":{\"u\":null}}}";

static const char *in_dir(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", g.dir, name);
  return buf;
}

static blob slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) fail_msg("cannot open %s", path);
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  blob b = {malloc((size_t)n + 1), (size_t)n};
  assert_non_null(b.p);
  assert_int_equal(fread(b.p, 1, b.n, fp), b.n);
  fclose(fp);
  return b;
}

static void spit(const char *path, const void *p, size_t n) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(p, 1, n, fp), n);
  assert_int_equal(fclose(fp), 0);
}

static ProtobufCMessage *decode_or_die(const ProtobufCMessageDescriptor *d, const char *json,
                                       size_t len) {
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  o.any_types = any_types;
  o.n_any_types = 2;
  ProtobufCMessage *m = NULL;
  evrec_error err;
  if (evrec_json_decode(&m, d, json, len, g.arena, &o, &err))
    fail_msg("decode %s: %s at %u:%u", d->name, err.message, err.line, err.column);
  return m;
}

static blob pack_or_die(const ProtobufCMessage *m) {
  blob b = {NULL, protobuf_c_message_get_packed_size(m)};
  b.p = malloc(b.n + 1);
  assert_non_null(b.p);
  assert_int_equal(protobuf_c_message_pack(m, b.p), b.n);
  return b;
}

static void make_records(void) {
  const char *json = g.seed_json.p;
  size_t len = g.seed_json.n;
  const ProtobufCMessageDescriptor *rd = &evrec__v1__record__descriptor;
  g.recs[0] = decode_or_die(rd, json, len);
  Evrec__V1__Record *r = (Evrec__V1__Record *)decode_or_die(rd, json, len);
  r->id = "second";
  g.recs[1] = &r->base;
  static const char small[] = "{\"id\":\"small\",\"revision\":3}";
  g.recs[2] = decode_or_die(rd, small, sizeof small - 1);
  r = (Evrec__V1__Record *)decode_or_die(rd, json, len);
  assert_non_null(r->article);
  ProtobufCAllocator *pa = evrec_arena_allocator(g.arena);
  char *body = pa->alloc(pa->allocator_data, BIG_BODY + 1);
  assert_non_null(body);
  for (size_t i = 0; i < BIG_BODY; i++) body[i] = "lorem ipsum dolor sit amet. "[i % 28];
  body[BIG_BODY] = '\0';
  r->id = "big";
  r->article->body = body;
  g.recs[3] = &r->base;
}

/* Writes recs[0..nrec) to dir/name, unarmed. */
static void write_recs(const ProtobufCMessage *const *recs, const char *name, evrec_format f,
                       unsigned json_flags, unsigned flags, size_t nrec, char *path, size_t size) {
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  o.format = f;
  o.json_flags = json_flags;
  o.flags = flags;
  o.threads = 1;
  o.block_size = 16384;
  o.created_at = CREATED;
  evrec_writer *w = NULL;
  evrec_error err;
  in_dir(path, size, name);
  assert_int_equal(evrec_writer_open_file(&w, path, &o, &err), EVREC_OK);
  for (size_t i = 0; i < nrec; i++)
    assert_int_equal(evrec_writer_write(w, recs[i], &err), EVREC_OK);
  assert_int_equal(evrec_writer_close(w, &err), EVREC_OK);
}

static void write_file(const char *name, evrec_format f, unsigned json_flags, unsigned flags,
                       size_t nrec, char *path, size_t size) {
  write_recs(g.recs, name, f, json_flags, flags, nrec, path, size);
}

/* The file twice over. */
static void concat(const blob *b, char *path, size_t size, const char *name) {
  in_dir(path, size, name);
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_int_equal(fwrite(b->p, 1, b->n, fp), b->n);
  assert_int_equal(fwrite(b->p, 1, b->n, fp), b->n);
  assert_int_equal(fclose(fp), 0);
}

/* An AllTypes whose encoding needs scratch memory: a map entry without a
 * value (printed as the default instance) and an Any packing the seed
 * record (unpacked into more than the scratch arena's first block). */
static const ProtobufCMessage *make_sparse(void) {
  static Evrec__Test__AllTypes m = EVREC__TEST__ALL_TYPES__INIT;
  static Evrec__Test__AllTypes__MStringNestedEntry e =
      EVREC__TEST__ALL_TYPES__MSTRING_NESTED_ENTRY__INIT;
  static Evrec__Test__AllTypes__MStringNestedEntry *entries[1] = {&e};
  static Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  e.key = "k";
  m.n_m_string_nested = 1;
  m.m_string_nested = entries;
  any.type_url = "type.googleapis.com/evrec.v1.Record";
  any.value.data = g.seed_pb.p;
  any.value.len = g.seed_pb.n;
  m.w_any = &any;
  return &m.base;
}

static int group_setup(void **state) {
  (void)state;
  strcpy(g.dir, "/tmp/evrec-test-faults.XXXXXX");
  assert_non_null(mkdtemp(g.dir));
  g.arena = evrec_arena_new(0);
  assert_non_null(g.arena);
  g.seed_json = slurp(FAULTS_SEED_JSON);
  make_records();
  g.seed_pb = pack_or_die(g.recs[0]);
  g.sparse = make_sparse();
  randmsg_options ro = RANDMSG_OPTIONS_INIT;
  ro.fill_percent = 90;
  ro.any_types = any_types;
  ro.n_any_types = 2;
  g.alltypes = randmsg_new(&evrec__test__all_types__descriptor, 7, g.arena, &ro);
  assert_non_null(g.alltypes);
  evrec_json_encode_options eo = EVREC_JSON_ENCODE_OPTIONS_INIT;
  eo.any_types = any_types;
  eo.n_any_types = 2;
  evrec_error err;
  char *j = NULL;
  assert_int_equal(evrec_json_encode_alloc(&j, &g.alltypes_json.n, g.alltypes, &eo, &err),
                   EVREC_OK);
  g.alltypes_json.p = j;
  g.alltypes_pb = pack_or_die(g.alltypes);
  g.value = decode_or_die(&google__protobuf__value__descriptor, value_json, sizeof value_json - 1);
  g.any = decode_or_die(&google__protobuf__any__descriptor, any_record_json,
                        sizeof any_record_json - 1);

  char path[96];
  write_file("recs.ndjson", EVREC_FORMAT_NDJSON, 0, 0, NREC, g.p_ndjson, sizeof g.p_ndjson);
  g.ndjson = slurp(g.p_ndjson);
  write_file("recs.json", EVREC_FORMAT_JSON, EVREC_JSON_PRETTY, EVREC_WRITE_ARRAY, NREC, path,
             sizeof path);
  g.array = slurp(path);
  write_file("recs.pbd", EVREC_FORMAT_PBD, 0, 0, NREC, path, sizeof path);
  g.pbd = slurp(path);
  write_file("rec.pb", EVREC_FORMAT_PB, 0, 0, 1, path, sizeof path);
  g.pb = slurp(path);
  write_file("recs.evr", EVREC_FORMAT_EVR, 0, 0, NREC, g.p_evr, sizeof g.p_evr);
  g.evr = slurp(g.p_evr);
  write_file("base.evr", EVREC_FORMAT_EVR, 0, 0, 2, g.p_base, sizeof g.p_base);
  concat(&g.evr, g.p_concat, sizeof g.p_concat, "concat.evr"); /* random access walks both */

  static const char tiny[] = "{\"id\":\"second\",\"revision\":4,\"article\":{\"headline\":\"x\"}}";
  g.small[0] = g.small[2] = decode_or_die(&evrec__v1__record__descriptor, tiny, sizeof tiny - 1);
  g.small[1] = g.small[3] = g.recs[2];
  write_recs(g.small, "small.evr", EVREC_FORMAT_EVR, 0, 0, NREC, path, sizeof path);
  g.small_evr = slurp(path);
  concat(&g.small_evr, g.p_small_concat, sizeof g.p_small_concat, "small-concat.evr");
  spit(in_dir(g.p_empty, sizeof g.p_empty, "empty.evr"), "", 0);
  g.damaged = slurp(g.p_evr);
  ((uint8_t *)g.damaged.p)[g.damaged.n / 2] ^= 0x55;
  static const char bad[] =
      "{\"id\":\"v1\",\"article\":{\"body\":\"H\u00e9llo w\u00f6rld \u201cquoted\u201d\"},"
      "\"actors\":[{\"id\":\"a1\",\"mentions\":[{\"start\":0,\"end\":5},{\"start\":3,"
      "\"end\":99}]}],\"claims\":[{\"id\":\"c1\",\"claimantId\":\"zz\",\"quote\":{\"text\":"
      "\"w\u00f6rld\",\"span\":{\"start\":6,\"end\":12}}}]}\n"
      "{\"id\":\"v2\",\"x\":1}\n{\"id\":\"v1\"}\n{\"id\":\"v1\"}\n";
  g.validate_in.n = g.ndjson.n + sizeof bad - 1;
  g.validate_in.p = malloc(g.validate_in.n);
  assert_non_null(g.validate_in.p);
  memcpy(g.validate_in.p, g.ndjson.p, g.ndjson.n);
  memcpy((char *)g.validate_in.p + g.ndjson.n, bad, sizeof bad - 1);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  fi_disarm();
  DIR *d = opendir(g.dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
      if (e->d_name[0] != '.') unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(g.dir);
  }
  blob *bs[] = {&g.seed_json, &g.alltypes_json, &g.seed_pb, &g.alltypes_pb, &g.ndjson,
                &g.array, &g.pbd, &g.pb, &g.evr, &g.small_evr, &g.damaged, &g.validate_in};
  for (size_t i = 0; i < sizeof bs / sizeof bs[0]; i++) free(bs[i]->p);
  free(dg.pbd.p);
  free(dg.ops);
  evrec_arena_free(g.arena);
  return 0;
}

/* ====================================================================== */
/* Scenarios                                                              */
/* ====================================================================== */

#define MAY_SUCCEED 0x1u /* an optional allocation may fail without an error */
#define ARENA_TOO 0x2u   /* also inject at arena sites */
/* a thread that cannot start leaves its work to the others (or to the
 * caller's thread): success with the unarmed result, for that call only */
#define THREADS_OPTIONAL 0x4u

typedef struct scenario scenario;
struct scenario {
  const char *name;
  void (*prep)(const scenario *s);                /* unarmed, before each run */
  int (*run)(const scenario *s, evrec_error *err); /* armed; cleans up itself */
  void (*check)(const scenario *s, int rc);        /* unarmed, after each run */
  unsigned flags;
  int expect; /* the status of the unarmed run */
  /* parameters, by scenario kind */
  const ProtobufCMessageDescriptor *desc;
  const blob *in;                    /* decoders and memory readers */
  const char *text;                  /* decoders: a literal instead of `in` */
  const ProtobufCMessage *const *msg; /* encoders */
  const char *path;                  /* file readers; writers: file name in dir */
  evrec_format format;
  unsigned json_flags, write_flags, threads;
  size_t first, nrec;                /* writers: records written */
  bool via_link;                     /* writers: open dir/link.ndjson -> path */
};

/* What a run produced, for the check against the unarmed run. */
static struct {
  uint64_t digest, count, damage;
  char why[160]; /* a broken promise seen during the run (checked unarmed) */
} res, ref;

static uint8_t pack_buf[1u << 20];

static void res_reset(void) { memset(&res, 0, sizeof res); }

static void res_bytes(const void *p, size_t n) {
  const uint8_t *b = p;
  uint64_t h = res.digest ^ 0xcbf29ce484222325u;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3u;
  res.digest = h ^ n;
  res.count++;
}

static void res_msg(const ProtobufCMessage *m) {
  size_t n = protobuf_c_message_get_packed_size(m);
  if (n > sizeof pack_buf) abort();
  res_bytes(pack_buf, protobuf_c_message_pack(m, pack_buf));
}

static void broken(const char *fmt, ...) EVREC__PRINTF(1, 2);
static void broken(const char *fmt, ...) {
  if (res.why[0]) return; /* keep the first */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res.why, sizeof res.why, fmt, ap);
  va_end(ap);
}

/* For functions without an evrec_error (the arena's): their NULL. */
static int null_result(evrec_error *err, const char *what) {
  evrec_error_clear(err);
  err->code = EVREC_E_NOMEM;
  snprintf(err->message, sizeof err->message, "%s returned NULL", what);
  return EVREC_E_NOMEM;
}

/* ---------------------------------------------------------------- arena */

static int run_arena(const scenario *s, evrec_error *err) {
  (void)s;
  evrec_arena *a = evrec_arena_new(64);
  if (!a) return null_result(err, "evrec_arena_new");
  ProtobufCAllocator *pa = evrec_arena_allocator(a);
  size_t fresh = evrec_arena_size(a), kept = 0;
  int rc = EVREC_OK;
  for (int round = 0; round < 3 && rc == EVREC_OK; round++) {
    for (size_t n = 1; n <= 200000 && rc == EVREC_OK; n = n * 3 + 1) {
      char *p = pa->alloc(pa->allocator_data, n);
      if (p) memset(p, round, n), res_bytes(p, 1);
      else rc = null_result(err, "the arena's allocator");
    }
    evrec_arena_reset(a);
    /* one block kept, at most EVREC_ARENA_KEEP_MAX (+ its header), and
     * the same one once the rounds allocate the same */
    size_t held = evrec_arena_size(a);
    if (held < fresh || held > EVREC_ARENA_KEEP_MAX + 64)
      broken("reset arena holds %zu bytes", held);
    if (rc == EVREC_OK && round == 2 && held != kept)
      broken("reset arena holds %zu bytes, the round before %zu", held, kept);
    if (rc == EVREC_OK) kept = held;
  }
  evrec_arena_free(a);
  return rc;
}

/* ---------------------------------------------------------------- types */

/* A registry of AllTypes (and what it is made of), used to decode and
 * encode an Any of a type only the registry knows. */
static int run_types(const scenario *s, evrec_error *err) {
  (void)s;
  static const char json[] =
      "{\"wAny\":{\"@type\":\"type.googleapis.com/evrec.test.Nested\",\"a\":7,\"b\":\"x\"}}";
  const ProtobufCMessageDescriptor *one[] = {&evrec__test__all_types__descriptor};
  evrec_types *t;
  int rc = evrec_types_new(&t, one, 1, err);
  if (rc) return rc;
  evrec_arena *a = evrec_arena_new(0);
  if (!a) {
    evrec_types_free(t);
    return null_result(err, "evrec_arena_new");
  }
  evrec_json_decode_options d = EVREC_JSON_DECODE_OPTIONS_INIT;
  evrec_json_encode_options e = EVREC_JSON_ENCODE_OPTIONS_INIT;
  d.types = e.types = t;
  ProtobufCMessage *m;
  char *out = NULL;
  rc = evrec_json_decode(&m, &evrec__test__all_types__descriptor, json, strlen(json), a, &d, err);
  if (rc == EVREC_OK) rc = evrec_json_encode_alloc(&out, NULL, m, &e, err);
  if (rc == EVREC_OK) res_bytes(out, strlen(out));
  free(out);
  evrec_arena_free(a);
  evrec_types_free(t);
  return rc;
}

/* ---------------------------------------------------------------- codec */

static const void *in_ptr(const scenario *s) { return s->text ? (const void *)s->text : s->in->p; }
static size_t in_len(const scenario *s) { return s->text ? strlen(s->text) : s->in->n; }

static int run_json_decode(const scenario *s, evrec_error *err) {
  evrec_arena *a = evrec_arena_new(256); /* small: decoding grows it */
  if (!a) return null_result(err, "evrec_arena_new");
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  o.any_types = any_types;
  o.n_any_types = 2;
  ProtobufCMessage *m = (ProtobufCMessage *)&m; /* must become NULL on error */
  int rc = evrec_json_decode(&m, s->desc, in_ptr(s), in_len(s), a, &o, err);
  if (rc == EVREC_OK) res_msg(m);
  else if (m) broken("evrec_json_decode left *out set on error");
  evrec_arena_free(a);
  return rc;
}

static int run_pb_decode(const scenario *s, evrec_error *err) {
  evrec_arena *a = evrec_arena_new(256);
  if (!a) return null_result(err, "evrec_arena_new");
  ProtobufCMessage *m = (ProtobufCMessage *)&m;
  int rc = evrec_pb_decode(&m, s->desc, s->in->p, s->in->n, a, err);
  if (rc == EVREC_OK) res_msg(m);
  else if (m) broken("evrec_pb_decode left *out set on error");
  evrec_arena_free(a);
  return rc;
}

static char enc_buf[1u << 20];

/* evrec_json_encode() and then evrec_json_encode_alloc(), same result. */
static int run_json_encode(const scenario *s, evrec_error *err) {
  evrec_json_encode_options o = EVREC_JSON_ENCODE_OPTIONS_INIT;
  o.flags = s->json_flags;
  o.any_types = any_types;
  o.n_any_types = 2;
  size_t n = 1;
  enc_buf[0] = 'x';
  int rc = evrec_json_encode(enc_buf, sizeof enc_buf, &n, *s->msg, &o, err);
  if (rc) {
    if (n != 0 || enc_buf[0])
      broken("evrec_json_encode: on error buf is not \"\" or *out_len not 0");
    return rc;
  }
  if (n >= sizeof enc_buf) abort();
  res_bytes(enc_buf, n);
  char *p = (char *)&p;
  size_t n2 = 1;
  rc = evrec_json_encode_alloc(&p, &n2, *s->msg, &o, err);
  if (rc) {
    if (p || n2) broken("evrec_json_encode_alloc: on error *out is not NULL or *out_len not 0");
    return rc;
  }
  if (n2 != n || memcmp(p, enc_buf, n) != 0 || p[n] != '\0')
    broken("evrec_json_encode_alloc differs from evrec_json_encode");
  free(p);
  return EVREC_OK;
}

/* ---------------------------------------------------------------- readers */

static int run_reader(const scenario *s, evrec_error *err) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.format = s->format;
  evrec_reader *r = (evrec_reader *)&r;
  int rc = s->path ? evrec_reader_open_file(&r, s->path, &o, err)
                   : evrec_reader_open_memory(&r, s->in->p, s->in->n, &o, err);
  if (rc) {
    if (r) broken("open left *out set on error");
    return rc;
  }
  const ProtobufCMessage *m;
  while ((rc = evrec_reader_next(r, &m, err)) == EVREC_OK) res_msg(m);
  if (rc < 0 && m) broken("evrec_reader_next left *msg set on error");
  if (rc < 0 && evrec_reader_next(r, &m, err) != rc) broken("a reader error is not sticky");
  evrec_reader_close(r);
  return rc == EVREC_DONE ? EVREC_OK : rc;
}

/* Validation of a stream: every violation (rule, path, message, record)
 * joins the result. The input has bad records between good ones, spans in
 * a non-ASCII body, many ids (the duplicate table grows). */
static int digest_violation(const evrec_violation *v, void *payload) {
  (void)payload;
  res_bytes(v->rule, strlen(v->rule));
  res_bytes(v->path, strlen(v->path));
  res_bytes(v->message, strlen(v->message));
  res_bytes(&v->record, sizeof v->record);
  return 0;
}

static int run_validate(const scenario *s, evrec_error *err) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.flags = EVREC_READ_SKIP_INVALID;
  evrec_reader *r = NULL;
  int rc = evrec_reader_open_memory(&r, s->in->p, s->in->n, &o, err);
  if (rc) return rc;
  evrec_validate_options vo = EVREC_VALIDATE_OPTIONS_INIT;
  const char *skip[] = {"uri-*"};
  vo.skip_rules = skip;
  vo.n_skip_rules = 1;
  evrec_validate_stats st;
  rc = evrec_validate_reader(r, &vo, &st, digest_violation, NULL, err);
  if (rc == EVREC_OK && (st.errors == 0 || st.records < 3)) broken("validation found nothing");
  evrec_reader_close(r);
  return rc;
}

/* The same through the caller's FILE (fread, not read). */
static int run_reader_FILE(const scenario *s, evrec_error *err) {
  FILE *fp = fopen(s->path, "rb");
  if (!fp) abort();
  evrec_reader *r = (evrec_reader *)&r;
  int rc = evrec_reader_open_FILE(&r, fp, NULL, err);
  if (rc && r) broken("open left *out set on error");
  const ProtobufCMessage *m;
  while (rc == EVREC_OK && (rc = evrec_reader_next(r, &m, err)) == EVREC_OK) res_msg(m);
  if (r) evrec_reader_close(r);
  fclose(fp);
  return rc == EVREC_DONE ? EVREC_OK : rc;
}

/* Damaged input with EVREC_READ_SKIP_DAMAGE: the damage is reported and
 * reading goes on; where it was reported joins the result. */
static int run_reader_damaged(const scenario *s, evrec_error *err) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.flags = EVREC_READ_SKIP_DAMAGE;
  evrec_reader *r = NULL;
  int rc = evrec_reader_open_memory(&r, s->in->p, s->in->n, &o, err);
  if (rc) return rc;
  const ProtobufCMessage *m;
  while ((rc = evrec_reader_next(r, &m, err)) == EVREC_OK || rc == EVREC_E_CORRUPT) {
    if (rc == EVREC_OK) res_msg(m);
    else res_bytes(&err->offset, sizeof err->offset), res.damage++;
  }
  evrec_reader_close(r);
  return rc == EVREC_DONE ? EVREC_OK : rc;
}

static void check_damaged(const scenario *s, int rc) {
  (void)s;
  if (rc == EVREC_OK && res.damage == 0) fail_msg("the damage went unnoticed");
}

/* Seeks to `ord` and reads the record there. */
static int seek_next(evrec_reader *r, uint64_t ord, evrec_error *err) {
  const ProtobufCMessage *m = NULL;
  int rc = evrec_reader_seek_ordinal(r, ord, err);
  if (rc == EVREC_OK) rc = evrec_reader_next(r, &m, err);
  if (rc == EVREC_OK) res_msg(m);
  if (rc == EVREC_OK && evrec_reader_count(r) != ord + 1) broken("count after seek and next");
  return rc;
}

/* evrec_lookup_fn of run_random: found records join the result; a lookup
 * that fails here is a bug (memory failures end the call instead). */
static int random_many_fn(size_t i, const ProtobufCMessage *msg, const evrec_error *e,
                          void *payload) {
  (void)payload;
  if (!msg) broken("lookup %zu failed: %s", i, e->message);
  else res_msg(msg), res_bytes(&i, sizeof i);
  return 0;
}

/* Random access on two concatenated sections of NREC records: by
 * ordinal, by id, again, then many at once; counts join the result. A seek that failed is
 * tried once more: positioning starts reading afresh, so a failed
 * allocation must not be remembered (only one call fails). */
static int run_random(const scenario *s, evrec_error *err) {
  evrec_reader *r = NULL;
  int rc = evrec_reader_open_file(&r, s->path, NULL, err);
  if (rc) return rc;
  const ProtobufCMessage *m = NULL;
  static const uint64_t ords[] = {NREC + 2, 1, 2 * NREC - 1};
  for (size_t i = 0; rc == EVREC_OK && i < sizeof ords / sizeof ords[0]; i++) {
    rc = seek_next(r, ords[i], err);
    evrec_error again;
    int rc2 = rc == EVREC_E_NOMEM ? seek_next(r, ords[i], &again) : EVREC_OK;
    if (rc2) broken("seeking again after out of memory gives %d: %s", rc2, again.message);
  }
  static const char *const ids[] = {"second", "small"};
  for (size_t i = 0; rc == EVREC_OK && i < sizeof ids / sizeof ids[0]; i++) {
    rc = evrec_reader_get_id(r, ids[i], &m, err);
    uint64_t count = evrec_reader_count(r);
    if (rc == EVREC_OK) res_msg(m), res_bytes(&count, sizeof count);
  }
  static const evrec_lookup many[] = {{"small", 0}, {NULL, 1}, {"second", 0}, {NULL, NREC + 1}};
  if (rc == EVREC_OK) rc = evrec_reader_get_many(r, many, 4, random_many_fn, NULL, err);
  evrec_reader_close(r);
  return rc;
}

/* Random access in an empty file read as .evr: no sections, no record. */
static int run_seek_empty(const scenario *s, evrec_error *err) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.format = EVREC_FORMAT_EVR;
  evrec_reader *r = NULL;
  int rc = evrec_reader_open_file(&r, s->path, &o, err);
  if (rc) return rc;
  rc = evrec_reader_seek_ordinal(r, 0, err);
  evrec_reader_close(r);
  return rc;
}

/* Block ranges on two concatenated sections: list the blocks, read a run
 * of two through a second reader positioned by offset (as a worker in
 * another process does), then the last block to the end. */
static int run_blocks(const scenario *s, evrec_error *err) {
  evrec_reader *r = NULL, *w = NULL;
  evrec_block *v = NULL;
  size_t n = 0;
  int rc = evrec_reader_open_file(&r, s->path, NULL, err);
  if (rc == EVREC_OK) rc = evrec_reader_blocks(r, &v, &n, err);
  if (rc == EVREC_OK && n < 3) broken("%zu blocks listed", n);
  if (rc == EVREC_OK) res_bytes(v, n * sizeof *v);
  if (rc == EVREC_OK) rc = evrec_reader_open_file(&w, s->path, NULL, err);
  for (size_t b = n - 3; rc == EVREC_OK && b < n; b += 2) {
    const ProtobufCMessage *m = NULL;
    uint64_t want = v[b].records + (b + 1 < n ? v[b + 1].records : 0);
    rc = evrec_reader_seek_block(w, &v[b], 0, err);
    for (uint64_t k = 0; rc == EVREC_OK && k < want; k++)
      if ((rc = evrec_reader_next(w, &m, err)) == EVREC_OK) res_msg(m);
  }
  free(v);
  evrec_reader_close(w);
  evrec_reader_close(r);
  return rc;
}

/* ---------------------------------------------------------------- writers */

static char out_path[96], link_path[96];
static blob ref_out;  /* the unarmed run's output */
static blob pristine; /* what a failed run must leave at out_path */

static void prep_writer(const scenario *s) {
  in_dir(out_path, sizeof out_path, s->path);
  unlink(out_path);
  pristine.n = 0;
}

/* Appending: a fresh copy of a two-record container each time. */
static void prep_append(const scenario *s) {
  prep_writer(s);
  free(pristine.p);
  pristine = slurp(g.p_base);
  spit(out_path, pristine.p, pristine.n);
}

/* Writing through a symlink replaces its target (realpath). */
static void prep_symlink(const scenario *s) {
  prep_writer(s);
  in_dir(link_path, sizeof link_path, "link.ndjson");
  unlink(link_path);
  assert_int_equal(symlink(s->path, link_path), 0);
  free(pristine.p);
  pristine.p = strdup("old\n");
  pristine.n = 4;
  spit(out_path, pristine.p, pristine.n);
}

static int run_writer(const scenario *s, evrec_error *err) {
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  o.format = s->format;
  o.json_flags = s->json_flags;
  o.flags = s->write_flags;
  o.threads = s->threads;
  o.level = 1;
  o.block_size = 16384;
  o.meta = meta;
  o.n_meta = 2;
  o.created_at = CREATED;
  evrec_writer *w = (evrec_writer *)&w;
  int rc = evrec_writer_open_file(&w, s->via_link ? link_path : out_path, &o, err);
  if (rc) {
    if (w) broken("evrec_writer_open_file left *out set on error");
    return rc;
  }
  for (size_t i = s->first; i < s->first + s->nrec && rc == EVREC_OK; i++)
    rc = evrec_writer_write(w, g.recs[i], err);
  evrec_error e2;
  int rc2 = evrec_writer_close(w, rc ? &e2 : err);
  if (rc && rc2 != rc) broken("close after a failed write returned %d, not the sticky %d", rc2, rc);
  return rc ? rc : rc2;
}

static bool has_tmp_files(void) {
  DIR *d = opendir(g.dir);
  assert_non_null(d);
  struct dirent *e;
  bool found = false;
  while ((e = readdir(d)) != NULL) found = found || strstr(e->d_name, ".tmp.") != NULL;
  closedir(d);
  return found;
}

static void check_writer(const scenario *s, int rc) {
  (void)s;
  if (has_tmp_files()) fail_msg("a temporary file is left behind (rc %d)", rc);
  struct stat st;
  if (rc == EVREC_OK) {
    blob out = slurp(out_path);
    res_bytes(out.p, out.n);
    if (!ref_out.p) ref_out = out; /* the unarmed run */
    else if (out.n != ref_out.n || memcmp(out.p, ref_out.p, out.n) != 0)
      fail_msg("the output differs from the unarmed run's");
    else free(out.p);
  } else if (pristine.n) {
    blob out = slurp(out_path);
    bool same = out.n == pristine.n && memcmp(out.p, pristine.p, out.n) == 0;
    free(out.p);
    if (!same) fail_msg("a failed run changed the existing file (rc %d)", rc);
  } else if (stat(out_path, &st) == 0) {
    fail_msg("a failed run left %s (rc %d)", out_path, rc);
  }
}

/* ---------------------------------------------------------------- diff and patch */

static int collect_op(const evrec_difference *d, void *payload) {
  (void)payload;
  char *line;
  size_t len;
  evrec_difference *v = realloc(dg.ops, (dg.n_ops + 1) * sizeof *v);
  assert_non_null(v);
  dg.ops = v;
  assert_int_equal(evrec_difference_format(&line, &len, d, NULL), EVREC_OK);
  assert_int_equal(evrec_difference_parse(&dg.ops[dg.n_ops++], line, len, g.arena, NULL),
                   EVREC_OK);
  free(line);
  return 0;
}

static void prep_diff(const scenario *s) {
  (void)s;
  if (dg.a) return;
  dg.a = g.recs[0];
  for (uint64_t seed = 1; !dg.b || dg.n_ops < 8; seed++) { /* a B with some changes */
    dg.n_ops = 0;
    dg.b = mutate_message(dg.a, seed, 12, true, g.arena);
    assert_non_null(dg.b);
    assert_int_equal(evrec_record_diff(dg.a, dg.b, NULL, collect_op, NULL, NULL), EVREC_OK);
  }
  const ProtobufCMessage *small = mutate_message(g.recs[2], 7, 3, true, g.arena);
  Evrec__V1__Record *added = (Evrec__V1__Record *)mutate_message(g.recs[2], 8, 2, true, g.arena);
  assert_non_null(small);
  assert_non_null(added);
  added->id = "added";
  const ProtobufCMessage *bset[] = {&added->base, small, g.recs[3], dg.b};
  char path[96];
  write_recs(bset, "diff-b.pbd", EVREC_FORMAT_PBD, 0, 0, 4, path, sizeof path);
  dg.pbd = slurp(path);
  write_recs(bset, "diff-b.ndjson", EVREC_FORMAT_NDJSON, 0, 0, 4, dg.path, sizeof dg.path);
}

/* Digests every difference reported. */
static int digest_op(const evrec_difference *d, void *payload) {
  (void)payload;
  res_bytes(d->path, strlen(d->path));
  res_bytes(d->field, strlen(d->field));
  if (d->old_value) res_bytes(d->old_value, d->old_len);
  if (d->new_value) res_bytes(d->new_value, d->new_len);
  if (d->entity_id) res_bytes(d->entity_id, strlen(d->entity_id));
  return 0;
}

static int run_record_diff(const scenario *s, evrec_error *err) {
  static const char *const globs[] = {"events[id=e3]", "*.mentions"};
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  o.flags = s->json_flags; /* here: diff flags */
  o.ignore = globs;
  o.n_ignore = 2;
  o.float_tolerance = 1e-9;
  return evrec_record_diff(dg.a, dg.b, &o, digest_op, NULL, err);
}

static int run_record_patch(const scenario *s, evrec_error *err) {
  (void)s;
  evrec_arena *a = evrec_arena_new(0);
  if (!a) return null_result(err, "evrec_arena_new");
  ProtobufCMessage *out;
  int rc = evrec_record_patch(&out, dg.a, dg.ops, dg.n_ops, a, err);
  if (rc == EVREC_OK) res_msg(out);
  evrec_arena_free(a);
  return rc;
}

/* evrec_diff of recs (A) against the edited set (B), from memory or files. */
static int run_diff(const scenario *s, evrec_error *err) {
  evrec_reader *r[2] = {NULL, NULL};
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  int rc = s->path ? evrec_reader_open_file(&r[0], s->path, &o, err)
                   : evrec_reader_open_memory(&r[0], g.ndjson.p, g.ndjson.n, &o, err);
  o.format = s->path ? EVREC_FORMAT_AUTO : EVREC_FORMAT_PBD;
  if (rc == EVREC_OK)
    rc = s->path ? evrec_reader_open_file(&r[1], dg.path, &o, err)
                 : evrec_reader_open_memory(&r[1], dg.pbd.p, dg.pbd.n, &o, err);
  evrec_diff_options d = EVREC_DIFF_OPTIONS_INIT;
  d.threads = s->threads;
  d.flags = s->json_flags;
  evrec_diff_stats st;
  if (rc == EVREC_OK) rc = evrec_diff(&st, r[0], r[1], &d, digest_op, NULL, err);
  if (rc == EVREC_OK) res_bytes(&st.changed, sizeof st.changed);
  evrec_reader_close(r[0]);
  evrec_reader_close(r[1]);
  return rc;
}

/* ---------------------------------------------------------------- the table */

#define SEED_REC ((const ProtobufCMessage *const *)&g.recs[0])

static scenario scenarios[] = {
    {.name = "arena", .run = run_arena},
    {.name = "types registry, decode and encode an Any", .run = run_types, .flags = ARENA_TOO},
    /* JSON decode */
    {.name = "json_decode Record (seed.json)", .run = run_json_decode, .flags = ARENA_TOO,
     .desc = &evrec__v1__record__descriptor, .in = &g.seed_json},
    {.name = "json_decode AllTypes (Any, Struct ...)", .run = run_json_decode, .flags = ARENA_TOO,
     .desc = &evrec__test__all_types__descriptor, .in = &g.alltypes_json},
    {.name = "json_decode Value", .run = run_json_decode, .flags = ARENA_TOO,
     .desc = &google__protobuf__value__descriptor, .text = value_json},
    {.name = "json_decode Struct", .run = run_json_decode, .flags = ARENA_TOO,
     .desc = &google__protobuf__struct__descriptor, .text = value_json},
    {.name = "json_decode Any (Record)", .run = run_json_decode, .flags = ARENA_TOO,
     .desc = &google__protobuf__any__descriptor, .text = any_record_json},
    {.name = "json_decode Any (Struct)", .run = run_json_decode, .flags = ARENA_TOO,
     .desc = &google__protobuf__any__descriptor, .text = any_struct_json},
    /* JSON encode */
    {.name = "json_encode Record", .run = run_json_encode, .msg = SEED_REC},
    {.name = "json_encode Record pretty+defaults", .run = run_json_encode, .msg = SEED_REC,
     .json_flags = EVREC_JSON_PRETTY | EVREC_JSON_EMIT_DEFAULTS},
    {.name = "json_encode AllTypes", .run = run_json_encode, .msg = &g.alltypes},
    {.name = "json_encode AllTypes all flags", .run = run_json_encode, .msg = &g.alltypes,
     .json_flags = EVREC_JSON_PRETTY | EVREC_JSON_EMIT_DEFAULTS | EVREC_JSON_PROTO_NAMES},
    {.name = "json_encode Value", .run = run_json_encode, .msg = &g.value},
    {.name = "json_encode Any", .run = run_json_encode, .msg = &g.any,
     .json_flags = EVREC_JSON_EMIT_DEFAULTS},
    {.name = "json_encode null map value, large Any", .run = run_json_encode, .flags = ARENA_TOO,
     .msg = &g.sparse},
    /* binary */
    {.name = "pb_decode Record", .run = run_pb_decode, .flags = ARENA_TOO,
     .desc = &evrec__v1__record__descriptor, .in = &g.seed_pb},
    {.name = "pb_decode AllTypes", .run = run_pb_decode, .flags = ARENA_TOO,
     .desc = &evrec__test__all_types__descriptor, .in = &g.alltypes_pb},
    /* readers */
    {.name = "reader memory ndjson", .run = run_reader, .in = &g.ndjson},
    {.name = "reader memory json array", .run = run_reader, .in = &g.array},
    {.name = "reader memory pbd", .run = run_reader, .in = &g.pbd, .format = EVREC_FORMAT_PBD},
    {.name = "reader memory pb", .run = run_reader, .in = &g.pb, .format = EVREC_FORMAT_PB},
    {.name = "reader memory evr", .run = run_reader, .flags = MAY_SUCCEED, .in = &g.evr},
    {.name = "reader file ndjson", .run = run_reader, .path = g.p_ndjson},
    {.name = "reader file evr", .run = run_reader, .flags = MAY_SUCCEED, .path = g.p_evr},
    {.name = "reader FILE* evr", .run = run_reader_FILE, .flags = MAY_SUCCEED, .path = g.p_evr},
    {.name = "reader memory evr damaged, skip damage", .run = run_reader_damaged,
     .check = check_damaged, .flags = MAY_SUCCEED, .in = &g.damaged},
    {.name = "reader file evr random access", .run = run_random, .flags = MAY_SUCCEED,
     .path = g.p_concat},
    {.name = "reader memory evr small records", .run = run_reader,
     .flags = MAY_SUCCEED | ARENA_TOO, .in = &g.small_evr},
    {.name = "reader file evr small records random access", .run = run_random,
     .flags = MAY_SUCCEED | ARENA_TOO, .path = g.p_small_concat},
    {.name = "reader evr empty file: not a container", .run = run_seek_empty, .expect = EVREC_E_FORMAT,
     .path = g.p_empty},
    {.name = "reader file evr block ranges", .run = run_blocks, .flags = MAY_SUCCEED,
     .path = g.p_concat},
    /* validation */
    {.name = "validate ndjson stream", .run = run_validate, .flags = ARENA_TOO,
     .in = &g.validate_in},
    /* writers */
    {.name = "writer ndjson", .prep = prep_writer, .run = run_writer, .check = check_writer,
     .path = "out.ndjson", .nrec = NREC},
    {.name = "writer json array pretty", .prep = prep_writer, .run = run_writer,
     .check = check_writer, .path = "out.json", .format = EVREC_FORMAT_JSON,
     .json_flags = EVREC_JSON_PRETTY, .write_flags = EVREC_WRITE_ARRAY, .nrec = NREC},
    {.name = "writer pbd", .prep = prep_writer, .run = run_writer, .check = check_writer,
     .path = "out.pbd", .nrec = NREC},
    {.name = "writer pb", .prep = prep_writer, .run = run_writer, .check = check_writer,
     .path = "out.pb", .nrec = 1},
    {.name = "writer evr 1 thread", .prep = prep_writer, .run = run_writer, .check = check_writer,
     .path = "out.evr", .threads = 1, .nrec = NREC},
    {.name = "writer evr 2 threads", .prep = prep_writer, .run = run_writer,
     .check = check_writer, .flags = THREADS_OPTIONAL, .path = "out.evr", .threads = 2,
     .nrec = NREC},
    {.name = "writer evr append", .prep = prep_append, .run = run_writer, .check = check_writer,
     .flags = ARENA_TOO, .path = "app.evr", .write_flags = EVREC_WRITE_APPEND, .threads = 1,
     .first = 2, .nrec = 2},
    {.name = "writer ndjson through a symlink", .prep = prep_symlink, .run = run_writer,
     .check = check_writer, .path = "target.ndjson", .nrec = 2, .via_link = true},
    /* diff and patch (.json_flags: the diff flags) */
    {.name = "record_diff", .prep = prep_diff, .run = run_record_diff, .flags = ARENA_TOO},
    {.name = "record_diff json-patch, ignore order", .prep = prep_diff, .run = run_record_diff,
     .json_flags = EVREC_DIFF_JSON_PATCH | EVREC_DIFF_IGNORE_ORDER},
    {.name = "record_patch", .prep = prep_diff, .run = run_record_patch, .flags = ARENA_TOO},
    {.name = "diff memory ndjson / pbd, 1 thread", .prep = prep_diff, .run = run_diff,
     .flags = ARENA_TOO, .threads = 1},
    {.name = "diff files, 2 threads", .prep = prep_diff, .run = run_diff,
     .flags = MAY_SUCCEED, .path = g.p_ndjson},
};

/* ====================================================================== */
/* The driver                                                             */
/* ====================================================================== */

static const char *volatile current = "";

static void watchdog(int sig) {
  (void)sig;
  static const char msg[] = "test_faults: watchdog: a scenario hangs (deadlock?): ";
  ssize_t k = write(2, msg, sizeof msg - 1);
  k = write(2, current, strlen(current));
  k = write(2, "\n", 1);
  (void)k;
  _exit(1);
}

/* Where the failing call was made, for messages. */
static unsigned long site(void) { return (unsigned long)atomic_load(&fi_site); }

/* One run with the Nth call to `kind` failing (0: none). *hit tells
 * whether the run reached that call. */
static int run_once(const scenario *s, int kind, unsigned long n, evrec_error *err, bool *hit,
                    unsigned long *calls) {
  if (s->prep) s->prep(s);
  res_reset();
  memset(err, 0x5a, sizeof *err); /* the library must overwrite it */
  size_t live = live_count();
  atomic_store(&thread_refused, false);
  fi_arm(kind, n);
  int rc = s->run(s, err);
  *calls = fi_disarm();
  *hit = atomic_load(&fi_hit);
  size_t now = live_count();
  if (now != live)
    fail_msg("%s: failing call %lu (at +0x%lx) leaks %zd allocation(s) (rc %d)", s->name, n,
             site(), (ssize_t)(now - live), rc);
  if (res.why[0]) fail_msg("%s: failing call %lu (at +0x%lx): %s", s->name, n, site(), res.why);
  if (s->check) s->check(s, rc);
  return rc;
}

static void drive(const scenario *s, int kind) {
  evrec_error err;
  bool hit;
  unsigned long k, calls;
  current = s->name;
  signal(SIGALRM, watchdog);
  alarm(WATCHDOG_SECONDS);
  free(ref_out.p);
  ref_out = (blob){NULL, 0};
  int rc = run_once(s, kind, 0, &err, &hit, &k);
  if (rc != s->expect) fail_msg("%s: the unarmed run returns %d: %s", s->name, rc, err.message);
  ref = res;
  unsigned long n, errors = 0, silent = 0;
  for (n = 1;; n++) {
    if (n > 4 * k + 64) fail_msg("%s: runs keep reaching call %lu (unarmed: %lu)", s->name, n, k);
    rc = run_once(s, kind, n, &err, &hit, &calls);
    if (!hit) break;
    if (rc == s->expect) {
      bool optional = (s->flags & MAY_SUCCEED) ||
                      ((s->flags & THREADS_OPTIONAL) && atomic_load(&thread_refused));
      if (!optional)
        fail_msg("%s: failing call %lu of %lu (at +0x%lx) is not reported", s->name, n, k, site());
      if (getenv("FAULTS_VERBOSE"))
        print_message("%s: failing call %lu (at +0x%lx) ignored\n", s->name, n, site());
      if (res.digest != ref.digest || res.count != ref.count)
        fail_msg("%s: failing call %lu of %lu gives a wrong result", s->name, n, k);
      silent++;
      continue;
    }
    if (rc != EVREC_E_NOMEM)
      fail_msg("%s: failing call %lu of %lu (at +0x%lx): status %d (%s), not EVREC_E_NOMEM: %s",
               s->name, n, k, site(), rc, evrec_status_str(rc), err.message);
    if (err.code != rc || !err.message[0] || !memchr(err.message, '\0', sizeof err.message))
      fail_msg("%s: failing call %lu: err not filled (code %d)", s->name, n, err.code);
    errors++;
  }
  if (rc != s->expect || res.digest != ref.digest)
    fail_msg("%s: a run past the last call (%lu) is not the unarmed run", s->name, n);
  alarm(0);
  free(pristine.p);
  pristine = (blob){NULL, 0};
  free(ref_out.p);
  ref_out = (blob){NULL, 0};
  print_message("%-40s %-5s K=%-5lu NOMEM %-5lu ignored %lu\n", s->name,
                kind == SITE_SYS ? "sys" : "arena", k, errors, silent);
}

static void test_sys(void **state) { drive(*state, SITE_SYS); }
static void test_arena(void **state) { drive(*state, SITE_ARENA); }

int main(void) {
  enum { NS = sizeof scenarios / sizeof scenarios[0] };
  static struct CMUnitTest tests[2 * NS];
  static char names[2 * NS][64];
  size_t n = 0;
#ifndef EVREC_DEFLATE_ZLIB
  deflate_route();
#endif
  for (size_t i = 0; i < NS; i++) {
    for (int arena = 0; arena < 2; arena++) {
      if (arena && !(scenarios[i].flags & ARENA_TOO)) continue;
      snprintf(names[n], sizeof names[n], "%s: %s", arena ? "arena" : "sys", scenarios[i].name);
      struct CMUnitTest t = {names[n], arena ? test_arena : test_sys, NULL, NULL, &scenarios[i]};
      tests[n++] = t;
    }
  }
  return _cmocka_run_group_tests("test_faults", tests, n, group_setup, group_teardown);
}
