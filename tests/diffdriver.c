/*
 * diffdriver.c -- the C side of the differential test against Google's
 * protobuf (tests/diff/run.sh, tests/diff/oracle.py).
 *
 * A small tool over the public API only, so the differential test exercises
 * exactly what a user links:
 *
 *   diffdriver json2pb TYPE < json > pb     evrec_json_decode + protobuf-c pack
 *   diffdriver pb2json TYPE < pb > json     evrec_pb_decode + evrec_json_encode_alloc
 *   diffdriver json2pb-batch TYPE INDIR OUTDIR
 *   diffdriver pb2json-batch TYPE INDIR OUTDIR
 *   diffdriver random TYPE SEED N OUTDIR    N random messages as OUTDIR/NNNN.pb
 *   diffdriver merge TYPE SEED N OUTDIR     N merge-heavy encodings, OUTDIR/NNNN.pb
 *   diffdriver doubles SEED N > out          N doubles as "<hex bits> <JSON>" lines
 *
 * TYPE is `record` (evrec.v1.Record) or `alltypes` (evrec.test.AllTypes, whose
 * Any fields may also carry evrec.test.AllTypes and evrec.test.Nested).
 *
 * Batch modes exist so the test does not spawn thousands of processes: every
 * INDIR/NAME.json (resp. NAME.pb) becomes OUTDIR/NAME.pb (resp. NAME.json) on
 * success or OUTDIR/NAME.err on failure. A failure is one line
 *
 *   ERROR <code> <line>:<col> <path>: <message>
 *
 * with the numeric evrec_status, the 1-based JSON position (0:0 for binary
 * input) and the JSON field path (possibly empty). Single modes print the
 * same line on stderr and exit 1. Exit 2 means usage or I/O trouble.
 *
 * Ownership: each input is read into one malloc'd buffer; decoded messages
 * live in one arena that is reset per input; encoded output is malloc'd and
 * freed right after it is written. Nothing survives an iteration.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alltypes.pb-c.h"
#include "evrec.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "util/randmsg.h"
#include "util/wiremix.h"

#define EXIT_USAGE 2

/* ======================================================================
 * Message types
 * ====================================================================== */

/* Types a google.protobuf.Any inside AllTypes may name, besides the
 * built-in ones (evrec.v1 and the well-known types). */
static const ProtobufCMessageDescriptor *const alltypes_any[] = {
    &evrec__test__all_types__descriptor,
    &evrec__test__nested__descriptor,
};

typedef struct msgtype {
  const ProtobufCMessageDescriptor *desc;
  const ProtobufCMessageDescriptor *const *any_types;
  size_t n_any_types;
} msgtype;

static bool msgtype_by_name(msgtype *t, const char *name) {
  memset(t, 0, sizeof *t);
  if (strcmp(name, "record") == 0) {
    t->desc = evrec_record_descriptor();
  } else if (strcmp(name, "alltypes") == 0) {
    t->desc = &evrec__test__all_types__descriptor;
    t->any_types = alltypes_any;
    t->n_any_types = sizeof alltypes_any / sizeof alltypes_any[0];
  }
  return t->desc != NULL;
}

/* ======================================================================
 * Byte buffers and files
 * ====================================================================== */

typedef struct bytes {
  char *data;
  size_t len;
} bytes;

/* Reads a whole stream; the buffer gets one spare NUL byte so that a
 * decoder bug reading one past the end shows up under ASan, not as luck. */
static bool read_stream(FILE *fp, bytes *out) {
  size_t cap = 1 << 16;
  out->len = 0;
  out->data = malloc(cap);
  while (out->data) {
    out->len += fread(out->data + out->len, 1, cap - out->len - 1, fp);
    if (out->len < cap - 1) break;
    char *bigger = realloc(out->data, cap *= 2);
    if (!bigger) free(out->data);
    out->data = bigger;
  }
  if (!out->data || ferror(fp)) {
    free(out->data);
    out->data = NULL;
    return false;
  }
  out->data[out->len] = '\0';
  return true;
}

static bool read_path(const char *path, bytes *out) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return false;
  bool ok = read_stream(fp, out);
  fclose(fp);
  return ok;
}

static bool write_path(const char *path, const void *data, size_t len) {
  FILE *fp = fopen(path, "wb");
  if (!fp) return false;
  bool ok = fwrite(data, 1, len, fp) == len;
  return (fclose(fp) == 0) && ok;
}

/* The failure line shared by every mode (see the file-top comment). */
static void format_error(char *buf, size_t size, const evrec_error *err) {
  snprintf(buf, size, "ERROR %d %" PRIu32 ":%" PRIu32 " %s: %s\n", err->code,
           err->line, err->column, err->path, err->message);
}

/* ======================================================================
 * Conversions (one input each)
 * ====================================================================== */

/* JSON -> binary. On success *out holds malloc'd wire bytes. */
static int json2pb(const msgtype *t, evrec_arena *arena, const bytes *in,
                   bytes *out, evrec_error *err) {
  evrec_json_decode_options o = EVREC_JSON_DECODE_OPTIONS_INIT;
  ProtobufCMessage *msg = NULL;
  o.any_types = t->any_types;
  o.n_any_types = t->n_any_types;
  evrec_arena_reset(arena);
  int rc = evrec_json_decode(&msg, t->desc, in->data, in->len, arena, &o, err);
  if (rc != EVREC_OK) return rc;
  out->len = protobuf_c_message_get_packed_size(msg);
  out->data = malloc(out->len ? out->len : 1);
  if (!out->data) {
    evrec_error_clear(err);
    err->code = EVREC_E_NOMEM;
    snprintf(err->message, sizeof err->message, "out of memory");
    return EVREC_E_NOMEM;
  }
  protobuf_c_message_pack(msg, (uint8_t *)out->data);
  return EVREC_OK;
}

/* Binary -> JSON. On success *out holds malloc'd text (no newline). */
static int pb2json(const msgtype *t, evrec_arena *arena, const bytes *in,
                   bytes *out, evrec_error *err) {
  evrec_json_encode_options o = EVREC_JSON_ENCODE_OPTIONS_INIT;
  ProtobufCMessage *msg = NULL;
  o.any_types = t->any_types;
  o.n_any_types = t->n_any_types;
  evrec_arena_reset(arena);
  int rc = evrec_pb_decode(&msg, t->desc, in->data, in->len, arena, err);
  if (rc != EVREC_OK) return rc;
  return evrec_json_encode_alloc(&out->data, &out->len, msg, &o, err);
}

typedef int (*convert_fn)(const msgtype *t, evrec_arena *arena,
                          const bytes *in, bytes *out, evrec_error *err);

/* ======================================================================
 * Single mode: stdin -> stdout
 * ====================================================================== */

static int run_single(convert_fn fn, const msgtype *t) {
  bytes in = {0}, out = {0};
  evrec_error err;
  evrec_arena *arena = evrec_arena_new(0);
  if (!arena || !read_stream(stdin, &in)) {
    evrec_arena_free(arena);
    fprintf(stderr, "diffdriver: cannot read stdin\n");
    return EXIT_USAGE;
  }
  int rc = fn(t, arena, &in, &out, &err);
  int status = 0;
  if (rc != EVREC_OK) {
    char line[EVREC_ERROR_MESSAGE_MAX + EVREC_ERROR_PATH_MAX + 64];
    format_error(line, sizeof line, &err);
    fputs(line, stderr);
    status = 1;
  } else if (fwrite(out.data, 1, out.len, stdout) != out.len) {
    status = EXIT_USAGE;
  }
  free(in.data);
  free(out.data);
  evrec_arena_free(arena);
  return status;
}

/* ======================================================================
 * Batch mode: INDIR/NAME.<from> -> OUTDIR/NAME.<to> | OUTDIR/NAME.err
 * ====================================================================== */

typedef struct batch {
  const msgtype *type;
  convert_fn fn;
  const char *indir, *outdir;
  const char *from, *to; /* file suffixes including the dot */
  evrec_arena *arena;
  char path[4096];
} batch;

/* @return the length of NAME when `file` is NAME<suffix>, else 0. */
static size_t stem_len(const char *file, const char *suffix) {
  size_t n = strlen(file), s = strlen(suffix);
  return (n > s && strcmp(file + n - s, suffix) == 0) ? n - s : 0;
}

static const char *out_path(batch *b, const char *file, size_t stem,
                            const char *suffix) {
  snprintf(b->path, sizeof b->path, "%s/%.*s%s", b->outdir, (int)stem, file,
           suffix);
  return b->path;
}

/* Converts one file; @return false on I/O trouble (not on a decode error,
 * which is a result like any other). */
static bool batch_one(batch *b, const char *file, size_t stem) {
  bytes in = {0}, out = {0};
  evrec_error err;
  snprintf(b->path, sizeof b->path, "%s/%s", b->indir, file);
  if (!read_path(b->path, &in)) return false;
  int rc = b->fn(b->type, b->arena, &in, &out, &err);
  bool ok;
  if (rc == EVREC_OK) {
    ok = write_path(out_path(b, file, stem, b->to), out.data, out.len);
  } else {
    char line[EVREC_ERROR_MESSAGE_MAX + EVREC_ERROR_PATH_MAX + 64];
    format_error(line, sizeof line, &err);
    ok = write_path(out_path(b, file, stem, ".err"), line, strlen(line));
  }
  free(in.data);
  free(out.data);
  return ok;
}

static int run_batch(batch *b) {
  DIR *dir = opendir(b->indir);
  b->arena = evrec_arena_new(0);
  if (!dir || !b->arena) {
    fprintf(stderr, "diffdriver: %s: %s\n", b->indir, strerror(errno));
    if (dir) closedir(dir);
    evrec_arena_free(b->arena);
    return EXIT_USAGE;
  }
  int status = 0;
  const struct dirent *de;
  while (status == 0 && (de = readdir(dir)) != NULL) {
    size_t stem = stem_len(de->d_name, b->from);
    if (stem && !batch_one(b, de->d_name, stem)) {
      fprintf(stderr, "diffdriver: %s: %s\n", b->path, strerror(errno));
      status = EXIT_USAGE;
    }
  }
  closedir(dir);
  evrec_arena_free(b->arena);
  return status;
}

/* ======================================================================
 * Random messages (tests/util/randmsg.h)
 * ====================================================================== */

static int run_random(const msgtype *t, uint64_t seed, uint64_t n,
                      const char *outdir) {
  evrec_arena *arena = evrec_arena_new(0);
  randmsg_options o = RANDMSG_OPTIONS_INIT;
  char path[4096];
  int status = arena ? 0 : EXIT_USAGE;
  o.any_types = t->any_types;
  o.n_any_types = t->n_any_types;
  for (uint64_t i = 0; status == 0 && i < n; i++) {
    evrec_arena_reset(arena);
    /* Every other message dense, so fields meet each other more often. */
    o.fill_percent = (i % 2) ? 90 : 0;
    ProtobufCMessage *msg = randmsg_new(t->desc, seed + i, arena, &o);
    size_t len = msg ? protobuf_c_message_get_packed_size(msg) : 0;
    uint8_t *buf = msg ? malloc(len ? len : 1) : NULL;
    snprintf(path, sizeof path, "%s/%04" PRIu64 ".pb", outdir, i);
    if (!buf || !write_path(path, buf, protobuf_c_message_pack(msg, buf))) {
      fprintf(stderr, "diffdriver: %s: cannot generate or write\n", path);
      status = EXIT_USAGE;
    }
    free(buf);
  }
  evrec_arena_free(arena);
  return status;
}

/* ======================================================================
 * Merge-heavy encodings (tests/util/wiremix.h)
 * ====================================================================== */

/* A message that merges into another one without making a message JSON
 * cannot carry: its singular Duration and Any fields (on the path of
 * singular fields that merge) are cleared, since a Duration's seconds and
 * nanos from different messages may differ in sign, and an Any's type from
 * one and value from the other make no payload. */
static void clear_merge_conflicts(ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED) continue;
    uint32_t *oneof_case = (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
                               ? (uint32_t *)(void *)((char *)m + f->quantifier_offset)
                               : NULL;
    ProtobufCMessage **sub = (ProtobufCMessage **)(void *)((char *)m + f->offset);
    if ((oneof_case && *oneof_case != f->id) || !*sub) continue;
    const char *name = ((const ProtobufCMessageDescriptor *)f->descriptor)->name;
    if (strcmp(name, "google.protobuf.Duration") == 0 || strcmp(name, "google.protobuf.Any") == 0) {
      *sub = NULL;
      if (oneof_case) *oneof_case = 0;
    } else {
      clear_merge_conflicts(*sub);
    }
  }
}

/* Appends wiremix(pack(random message `seed`)) to *buf; `partner`: it
 * follows another encoding, with which it merges. */
static bool append_mixed(const msgtype *t, uint64_t seed, evrec_arena *arena,
                         const randmsg_options *o, bool partner, uint8_t **buf, size_t *len) {
  ProtobufCMessage *msg = randmsg_new(t->desc, seed, arena, o);
  if (msg && partner) clear_merge_conflicts(msg);
  size_t n = msg ? protobuf_c_message_get_packed_size(msg) : 0, mlen = 0;
  uint8_t *packed = msg ? malloc(n ? n : 1) : NULL;
  uint8_t *mixed = packed ? wiremix(t->desc, packed, protobuf_c_message_pack(msg, packed),
                                    seed * 31 + 7, 40, &mlen)
                          : NULL;
  uint8_t *grown = mixed ? realloc(*buf, *len + mlen + 1) : NULL;
  if (grown) {
    memcpy(grown + *len, mixed, mlen);
    *buf = grown;
    *len += mlen;
  }
  free(packed);
  free(mixed);
  return grown != NULL;
}

/* Message i: the mixed encoding of random message seed + i, and for two
 * thirds of them one or two more mixed encodings of other random messages
 * after it -- concatenated encodings decode as the merge of the messages,
 * which only Google's parser tells us. */
static int run_merge(const msgtype *t, uint64_t seed, uint64_t n, const char *outdir) {
  evrec_arena *arena = evrec_arena_new(0);
  randmsg_options o = RANDMSG_OPTIONS_INIT;
  char path[4096];
  int status = arena ? 0 : EXIT_USAGE;
  o.any_types = t->any_types;
  o.n_any_types = t->n_any_types;
  for (uint64_t i = 0; status == 0 && i < n; i++) {
    uint8_t *buf = NULL;
    size_t len = 0;
    bool ok = true;
    for (uint64_t k = 0; ok && k <= i % 3; k++) {
      evrec_arena_reset(arena);
      o.fill_percent = ((i + k) % 2) ? 90 : 0;
      ok = append_mixed(t, seed + i + k * 1000003u, arena, &o, k > 0, &buf, &len);
    }
    snprintf(path, sizeof path, "%s/%04" PRIu64 ".pb", outdir, i);
    if (!ok || !write_path(path, buf, len)) {
      fprintf(stderr, "diffdriver: %s: cannot generate or write\n", path);
      status = EXIT_USAGE;
    }
    free(buf);
  }
  evrec_arena_free(arena);
  return status;
}

/* ======================================================================
 * Doubles (tests/diff/doubles.py compares them with Python's repr())
 * ====================================================================== */

static uint64_t splitmix(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* Double number i of a run: mostly random bit patterns, and a share of the
 * kinds the encoder meets (few decimal digits, subnormals, neighbours of
 * powers of two and ten, integers past 2^53). */
static double some_double(uint64_t *state, uint64_t i) {
  uint64_t r = splitmix(state), bits;
  double v;
  switch (i % 8) {
  case 0: /* d.ddd x 10^e with few digits */
    v = (double)(r % 1000000 + 1) * pow(10, (double)((int)(r >> 32) % 60 - 30));
    return (r >> 63) ? -v : v;
  case 1: /* subnormal */
    bits = r & ((UINT64_C(1) << 52) - 1);
    break;
  case 2: /* a power of two or its neighbour */
    v = ldexp(1, (int)(r % 2098) - 1074);
    return (r >> 20) % 3 == 0 ? v : nextafter(v, (r >> 21) % 2 ? INFINITY : 0);
  case 3: /* integers around 2^53 .. 2^70 */
    return ldexp((double)(r >> 11), (int)(r % 18));
  default:
    bits = r;
  }
  memcpy(&v, &bits, 8);
  return v;
}

static int run_doubles(uint64_t seed, uint64_t n) {
  Google__Protobuf__DoubleValue w = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
  evrec_error err;
  char buf[64];
  for (uint64_t i = 0; i < n; i++) {
    w.value = some_double(&seed, i);
    if (w.value == 0 || !isfinite(w.value)) w.value = 1; /* printed without digits */
    size_t len;
    if (evrec_json_encode(buf, sizeof buf, &len, &w.base, NULL, &err) != EVREC_OK) {
      fprintf(stderr, "diffdriver: %s\n", err.message);
      return EXIT_USAGE;
    }
    uint64_t bits;
    memcpy(&bits, &w.value, 8);
    printf("%016" PRIx64 " %s\n", bits, buf);
  }
  return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

/* ======================================================================
 * Command line
 * ====================================================================== */

static int usage(void) {
  fputs("usage: diffdriver json2pb|pb2json TYPE  (stdin -> stdout)\n"
        "       diffdriver json2pb-batch|pb2json-batch TYPE INDIR OUTDIR\n"
        "       diffdriver random|merge TYPE SEED N OUTDIR\n"
        "       diffdriver doubles SEED N\n"
        "TYPE: record | alltypes\n",
        stderr);
  return EXIT_USAGE;
}

/* Strict decimal: digits only, no sign, no overflow. */
static bool parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  *out = strtoull(s, &end, 10);
  return *s >= '0' && *s <= '9' && *end == '\0' && errno == 0;
}

static int run_batch_cmd(const msgtype *t, bool to_pb, char **argv) {
  batch b = {.type = t, .indir = argv[0], .outdir = argv[1]};
  b.fn = to_pb ? json2pb : pb2json;
  b.from = to_pb ? ".json" : ".pb";
  b.to = to_pb ? ".pb" : ".json";
  return run_batch(&b);
}

int main(int argc, char **argv) {
  msgtype t;
  uint64_t seed, n;
  if (argc == 4 && strcmp(argv[1], "doubles") == 0 && parse_u64(argv[2], &seed) &&
      parse_u64(argv[3], &n))
    return run_doubles(seed, n);
  if (argc < 3 || !msgtype_by_name(&t, argv[2])) return usage();
  const char *cmd = argv[1];
  if (argc == 3 && strcmp(cmd, "json2pb") == 0) return run_single(json2pb, &t);
  if (argc == 3 && strcmp(cmd, "pb2json") == 0) return run_single(pb2json, &t);
  if (argc == 5 && strcmp(cmd, "json2pb-batch") == 0)
    return run_batch_cmd(&t, true, argv + 3);
  if (argc == 5 && strcmp(cmd, "pb2json-batch") == 0)
    return run_batch_cmd(&t, false, argv + 3);
  if (argc == 6 && strcmp(cmd, "random") == 0 && parse_u64(argv[3], &seed) &&
      parse_u64(argv[4], &n))
    return run_random(&t, seed, n, argv[5]);
  if (argc == 6 && strcmp(cmd, "merge") == 0 && parse_u64(argv[3], &seed) &&
      parse_u64(argv[4], &n))
    return run_merge(&t, seed, n, argv[5]);
  return usage();
}
