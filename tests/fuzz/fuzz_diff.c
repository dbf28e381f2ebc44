/*
 * fuzz_diff.c -- evrec_diff(), evrec_record_diff(), the delta form and
 * evrec_record_patch(), evrec.v1.Record.
 *
 * Input: an option byte, set A, a 0xFF byte, set B (JSON records in any
 * layout; 0xFF never occurs in UTF-8, so it cannot be part of a record).
 * Option bits: 0 EVREC_DIFF_IGNORE_ORDER, 1 EVREC_DIFF_JSON_PATCH, 2 a float
 * tolerance of 0.5, 3 ignore "*.confidence", 4 read both sides on two
 * threads.
 *
 * Properties, beyond "no crash, no leak, no UB":
 *   - evrec_diff() returns a documented status; on success its counts add
 *     up (A = same + changed + removed, B = same + changed + added);
 *   - a record compared with itself has no difference;
 *   - for the first records of A and the B record with the same id: every
 *     difference survives evrec_difference_format() -> _parse(), and with
 *     the default options patch(A, diff(A, B)) equals B as
 *     evrec_record_diff() sees it.
 */
#include <stdlib.h>
#include <string.h>

#include "evrec/v1/evrec.pb-c.h"
#include "fuzz/fuzz_util.h"
#include "internal.h"

#define MAX_PAIRS 8

typedef struct set {
  evrec_arena *arena;
  ProtobufCMessage *rec[MAX_PAIRS];
  size_t n;
} set;

/* Keeps copies of the first MAX_PAIRS records of a JSON stream. */
static void load(set *s, const uint8_t *p, size_t n) {
  evrec_reader_options o = EVREC_READER_OPTIONS_INIT;
  o.max_record_size = FUZZ_MAX_RECORD_SIZE;
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *m;
  if (evrec_reader_open_memory(&r, p, n, &o, &err)) {
    fuzz_check_error_text(&err, "reader_open_memory");
    return;
  }
  evrec__buf b;
  evrec__buf_init(&b);
  int rc = EVREC_OK;
  while (s->n < MAX_PAIRS && (rc = evrec_reader_next(r, &m, &err)) == EVREC_OK) {
    b.len = 0;
    size_t len = evrec__pack(&b, m);
    if (len == SIZE_MAX) break;
    if (evrec_pb_decode(&s->rec[s->n], m->descriptor, b.data ? b.data : "", len, s->arena, &err))
      fuzz_fail(&err, "a record the reader returned does not decode again");
    s->n++;
  }
  if (rc != EVREC_OK && rc != EVREC_DONE) fuzz_check_error_text(&err, "reader_next");
  evrec__buf_free(&b);
  evrec_reader_close(r);
}

typedef struct ops {
  evrec_difference *v;
  size_t n;
  evrec_arena *arena;
  int failed;
} ops;

/* Keeps each difference as format -> parse made it. */
static int keep_op(const evrec_difference *d, void *payload) {
  ops *o = payload;
  char *line;
  size_t len;
  evrec_error err;
  if (evrec_difference_format(&line, &len, d, &err)) fuzz_fail(&err, "format");
  evrec_difference *v = realloc(o->v, (o->n + 1) * sizeof *v);
  if (!v) abort();
  o->v = v;
  if (evrec_difference_parse(&o->v[o->n], line, len, o->arena, &err))
    fuzz_fail(&err, "parse of %s", line);
  if (strcmp(o->v[o->n].path, d->path) || strcmp(o->v[o->n].id, d->id))
    fuzz_fail(NULL, "format/parse changed the path or id of %s", line);
  o->n++;
  free(line);
  return 0;
}

static int count_cb(const evrec_difference *d, void *payload) {
  (void)d;
  ++*(size_t *)payload;
  return 0;
}

/* diff(A, B), applied to A, must give B. */
static void check_pair(const ProtobufCMessage *a, const ProtobufCMessage *b,
                       const evrec_diff_options *o, int plain) {
  ops k = {NULL, 0, evrec_arena_new(0), 0};
  evrec_error err;
  if (!k.arena) abort();
  int rc = evrec_record_diff(a, b, o, keep_op, &k, &err);
  fuzz_check_status(rc, &err, "record_diff");
  size_t left = 0;
  if (evrec_record_diff(a, a, o, count_cb, &left, &err) == EVREC_OK && left)
    fuzz_fail(NULL, "a record differs from itself (%zu differences)", left);
  if (rc == EVREC_OK && plain) {
    ProtobufCMessage *p;
    rc = evrec_record_patch(&p, a, k.v, k.n, k.arena, &err);
    if (rc) fuzz_fail(&err, "patch of %zu differences (at %s)", k.n, err.path);
    if (evrec_record_diff(p, b, NULL, count_cb, &left, &err) != EVREC_OK)
      fuzz_fail(&err, "record_diff of the patched record");
    if (left) fuzz_fail(NULL, "patch(A, diff(A, B)) differs from B in %zu places", left);
  }
  free(k.v);
  evrec_arena_free(k.arena);
}

static void check_sets(const uint8_t *pa, size_t na, const uint8_t *pb, size_t nb,
                       const evrec_diff_options *o) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  ro.max_record_size = FUZZ_MAX_RECORD_SIZE;
  evrec_reader *a = NULL, *b = NULL;
  evrec_error err;
  evrec_diff_stats st;
  if (evrec_reader_open_memory(&a, pa, na, &ro, &err) == EVREC_OK &&
      evrec_reader_open_memory(&b, pb, nb, &ro, &err) == EVREC_OK) {
    size_t n = 0;
    int rc = evrec_diff(&st, a, b, o, count_cb, &n, &err);
    if (rc != EVREC_E_CONFLICT) fuzz_check_status(rc, &err, "diff");
    else fuzz_check_error_text(&err, "diff");
    if (rc == EVREC_OK && (st.a_records != st.same + st.changed + st.removed ||
                           st.b_records != st.same + st.changed + st.added || n != st.differences))
      fuzz_fail(NULL, "diff counts do not add up");
  }
  evrec_reader_close(a);
  evrec_reader_close(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  const uint8_t *body = data + 1, *sep = memchr(body, 0xFF, size - 1);
  size_t na = sep ? (size_t)(sep - body) : size - 1;
  const uint8_t *pb = sep ? sep + 1 : body + na;
  size_t nb = size - 1 - na - (sep ? 1 : 0);
  static const char *const globs[] = {"*.confidence"};
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  if (data[0] & 1u) o.flags |= EVREC_DIFF_IGNORE_ORDER;
  if (data[0] & 2u) o.flags |= EVREC_DIFF_JSON_PATCH;
  if (data[0] & 4u) o.float_tolerance = 0.5;
  if (data[0] & 8u) o.ignore = globs, o.n_ignore = 1;
  o.threads = (data[0] & 16u) ? 0 : 1;
  int plain = !(data[0] & 15u);
  check_sets(body, na, pb, nb, &o);

  set A = {evrec_arena_new(0), {0}, 0}, B = {evrec_arena_new(0), {0}, 0};
  if (!A.arena || !B.arena) abort();
  load(&A, body, na);
  load(&B, pb, nb);
  for (size_t i = 0; i < A.n; i++) {
    const char *id = ((const Evrec__V1__Record *)A.rec[i])->id;
    for (size_t j = 0; j < B.n; j++)
      if (!strcmp(id, ((const Evrec__V1__Record *)B.rec[j])->id)) {
        check_pair(A.rec[i], B.rec[j], &o, plain);
        break;
      }
  }
  evrec_arena_free(A.arena);
  evrec_arena_free(B.arena);
  return 0;
}
