/*
 * diffmut.c -- record sets for the diff/patch tests (tests/diff.sh).
 *
 *   diffmut random N SEED A.ndjson B.ndjson
 *       N random evrec.v1 records (randmsg: every field of the schema) with
 *       ids r0..r{N-1} into A; B holds them edited: 10% removed, 60%
 *       mutated (1-4 edits each: entity insertions, deletions, reorders,
 *       value changes, map and list edits), the rest unchanged, plus N/10
 *       new records, in a shuffled order.
 *   diffmut mutate SEED PCT IN OUT
 *       a realistic set (e.g. the bench corpus) edited the same way: PCT%
 *       of the records mutated, 1% removed and 1% added (copies of others
 *       with a new id and edits), the order kept.
 *   diffmut normalize IN OUT
 *       the records of IN with each entity list (unique non-empty ids)
 *       sorted by id, as canonical NDJSON, so that two sets equal as
 *       `evrec diff` sees them become equal as lines (after sort(1)).
 *
 * Deterministic in its arguments. Exits 2 on any error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evrec/v1/evrec.pb-c.h"
#include "internal.h"
#include "util/mutate.h"
#include "util/randmsg.h"

#define REC (&evrec__v1__record__descriptor)

static void die(const char *what, const evrec_error *e) {
  fprintf(stderr, "diffmut: %s%s%s\n", what, e ? ": " : "", e ? e->message : "");
  exit(2);
}

static uint64_t mix(uint64_t x) {
  x += UINT64_C(0x9E3779B97F4A7C15);
  x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
  return x ^ (x >> 31);
}

static evrec_writer *open_out(const char *path) {
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  evrec_writer *w;
  evrec_error err;
  if (evrec_writer_open_file(&w, path, &wo, &err)) die(path, &err);
  return w;
}

static void put(evrec_writer *w, const ProtobufCMessage *m) {
  evrec_error err;
  if (evrec_writer_write(w, m, &err)) die("write", &err);
}

static void close_out(evrec_writer *w) {
  evrec_error err;
  if (evrec_writer_close(w, &err)) die("close", &err);
}

static void set_id(ProtobufCMessage *m, const char *id, evrec_arena *a) {
  ((Evrec__V1__Record *)m)->id = evrec__arena_strndup(a, id, strlen(id));
}

/* ---------------------------------------------------------------- random */

static ProtobufCMessage *random_record(uint64_t seed, size_t i, evrec_arena *a) {
  randmsg_options o = RANDMSG_OPTIONS_INIT;
  o.max_depth = 3;
  o.max_repeated = 4;
  ProtobufCMessage *m = randmsg_new(REC, seed, a, &o);
  char id[32];
  if (!m) die("out of memory", NULL);
  snprintf(id, sizeof id, "r%zu", i);
  set_id(m, id, a);
  return m;
}

static int cmd_random(size_t n, uint64_t seed, const char *pa, const char *pb) {
  evrec_writer *wa = open_out(pa), *wb = open_out(pb);
  evrec_arena *a = evrec_arena_new(0);
  size_t total = n + n / 10, *order = malloc((total + 1) * sizeof *order);
  if (!a || !order) die("out of memory", NULL);
  for (size_t i = 0; i < total; i++) order[i] = i;
  for (size_t i = total; i > 1; i--) { /* B's order: shuffled */
    size_t j = (size_t)(mix(seed ^ i) % i), t = order[i - 1];
    order[i - 1] = order[j], order[j] = t;
  }
  for (size_t i = 0; i < n; i++) {
    put(wa, random_record(mix(seed + i), i, a));
    evrec_arena_reset(a);
  }
  for (size_t k = 0; k < total; k++) {
    size_t i = order[k];
    uint64_t r = mix(seed * 31 + i) % 100;
    ProtobufCMessage *m = random_record(mix(seed + i), i, a);
    if (i < n && r < 10) continue; /* removed */
    if (i >= n || r < 70) m = mutate_message(m, mix(r + i), 1 + (unsigned)(r % 4), true, a);
    if (!m) die("out of memory", NULL);
    put(wb, m);
    evrec_arena_reset(a);
  }
  close_out(wa);
  close_out(wb);
  evrec_arena_free(a);
  free(order);
  return 0;
}

/* ---------------------------------------------------------------- mutate */

static int cmd_mutate(uint64_t seed, unsigned pct, const char *in, const char *out) {
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *m;
  if (evrec_reader_open_file(&r, in, NULL, &err)) die(in, &err);
  evrec_writer *w = open_out(out);
  evrec_arena *a = evrec_arena_new(0);
  if (!a) die("out of memory", NULL);
  int rc;
  for (uint64_t i = 0; (rc = evrec_reader_next(r, &m, &err)) == EVREC_OK; i++) {
    uint64_t x = mix(seed + i) % 1000;
    evrec_arena_reset(a);
    if (x < 10) continue; /* 1% removed */
    ProtobufCMessage *b = x < 10 + pct * 10u ? mutate_message(m, mix(x + i), 1 + (unsigned)(x % 3), true, a)
                                             : (ProtobufCMessage *)m;
    if (!b) die("out of memory", NULL);
    put(w, b);
    if (x >= 990) { /* 1% added: a copy under a new id */
      char id[64];
      ProtobufCMessage *c = mutate_message(m, mix(x * 3 + i), 2, true, a);
      if (!c) die("out of memory", NULL);
      snprintf(id, sizeof id, "added:%llu:%llu", (unsigned long long)seed, (unsigned long long)i);
      set_id(c, id, a);
      put(w, c);
    }
  }
  if (rc < 0) die(in, &err);
  close_out(w);
  evrec_reader_close(r);
  evrec_arena_free(a);
  return 0;
}

/* ---------------------------------------------------------------- normalize */

static const char *entity_id(const ProtobufCMessage *m) {
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "id");
  const char *s = f ? *(char *const *)((const char *)m + f->offset) : NULL;
  return s ? s : "";
}

static int by_id(const void *x, const void *y) {
  return strcmp(entity_id(*(ProtobufCMessage *const *)x), entity_id(*(ProtobufCMessage *const *)y));
}

/* Sorts the entity lists of a record (a copy of their arrays). */
static void normalize(ProtobufCMessage *m, evrec_arena *a) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  for (unsigned i = 0; i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED ||
        evrec__field_is_map(f) || !protobuf_c_message_descriptor_get_field_by_name(f->descriptor, "id"))
      continue;
    size_t n = *(size_t *)evrec__quant_ptr(m, f);
    ProtobufCMessage **v = evrec__arena_alloc(a, (n + 1) * sizeof *v);
    if (!v) die("out of memory", NULL);
    if (n) memcpy(v, *(ProtobufCMessage ***)evrec__field_ptr(m, f), n * sizeof *v);
    if (n) qsort(v, n, sizeof *v, by_id);
    bool unique = true;
    for (size_t k = 0; k < n && unique; k++) unique = *entity_id(v[k]) && (!k || by_id(&v[k - 1], &v[k]));
    if (unique) *(ProtobufCMessage ***)evrec__field_ptr(m, f) = v;
  }
}

static int cmd_normalize(const char *in, const char *out) {
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *m;
  if (evrec_reader_open_file(&r, in, NULL, &err)) die(in, &err);
  evrec_writer *w = open_out(out);
  evrec_arena *a = evrec_arena_new(0);
  if (!a) die("out of memory", NULL);
  int rc;
  while ((rc = evrec_reader_next(r, &m, &err)) == EVREC_OK) {
    ProtobufCMessage *c = mutate_message(m, 0, 0, true, a); /* a copy */
    if (!c) die("out of memory", NULL);
    normalize(c, a);
    put(w, c);
    evrec_arena_reset(a);
  }
  if (rc < 0) die(in, &err);
  close_out(w);
  evrec_reader_close(r);
  evrec_arena_free(a);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 6 && !strcmp(argv[1], "random"))
    return cmd_random(strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10), argv[4], argv[5]);
  if (argc == 6 && !strcmp(argv[1], "mutate"))
    return cmd_mutate(strtoull(argv[2], NULL, 10), (unsigned)atoi(argv[3]), argv[4], argv[5]);
  if (argc == 4 && !strcmp(argv[1], "normalize")) return cmd_normalize(argv[2], argv[3]);
  fprintf(stderr, "usage: diffmut random N SEED A B | mutate SEED PCT IN OUT | normalize IN OUT\n");
  return 2;
}
