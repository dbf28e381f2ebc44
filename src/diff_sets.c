/*
 * diff_sets.c -- evrec_diff(): the differences between two streams of
 * records, matched by their "id" field, in memory that grows with the
 * number of records but not with their size.
 *
 * Three passes:
 *
 *   1. scan     Each side is read to the end once (A on a helper thread
 *               while the caller's thread reads B, when there are two
 *               cores). Per record it keeps: the SipHash-1-3 of its id
 *               (64 bits), of its binary encoding by evrec__pack (128
 *               bits), and its position (evrec_reader_tell()):
 *
 *                 keys[]  {id hash, record number}   16 bytes, sorted later
 *                 ch[]    content hash               16 bytes
 *                 pos[]   position                    8 bytes (+8 spilled)
 *
 *               A side that cannot seek (a pipe; an .evr file without a
 *               usable index) is "spilled": each packed record is appended
 *               to an unlinked temporary file and the position is its
 *               offset there.
 *   2. match    keys[] of both sides are sorted by id hash and merged. A
 *               run of equal id hashes on one side is a duplicate id (an
 *               error) or, once in 2^64, two ids that collide: those runs
 *               are resolved by reading the records again and comparing the
 *               ids themselves. Equal content hashes: the same record.
 *               States per record: a_state[]/a_partner[] for A, b_state[]
 *               for B (6 bytes per record pair).
 *   3. report   A in its order: removed records and changed ones (both
 *               sides decoded again, compared field by field by diff.c);
 *               then B in its order: the added ones. Re-reading goes
 *               through evrec_reader_seek() (inside the reader's buffer it
 *               costs nothing; .evr inflates one block) or pread() of the
 *               spill file. A record read again must hash as it did the
 *               first time, else the input changed under us (EVREC_E_IO).
 *               The pass goes one record at a time (evrec__diff_step(),
 *               for callers that hand differences out lazily); evrec_diff()
 *               steps to the end.
 *
 * Hash keys are random per call (getrandom(2)), so no input can be built
 * to collide. Equal hashes are the only shortcut: a changed record passes
 * for unchanged only when its two versions collide, 2^-128 per record;
 * records whose hashes differ are always compared in full, and ids whose
 * hashes collide are told apart by reading the ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "diff.h"

/* Records of one side are numbered with 32 bits. */
#define MAX_RECORDS UINT32_MAX
/* .evr: a record this close after the current one is reached by reading
 * on rather than by a seek, which inflates its block again. */
#define EVR_READ_ON 64

/* ====================================================================== */
/* SipHash-1-3 (Aumasson & Bernstein; 1 compression, 3 finalization rounds) */
/* ====================================================================== */

typedef struct sip {
  uint64_t v0, v1, v2, v3;
} sip;

static inline uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static inline void sip_round(sip *s) {
  s->v0 += s->v1, s->v1 = rotl(s->v1, 13), s->v1 ^= s->v0, s->v0 = rotl(s->v0, 32);
  s->v2 += s->v3, s->v3 = rotl(s->v3, 16), s->v3 ^= s->v2;
  s->v0 += s->v3, s->v3 = rotl(s->v3, 21), s->v3 ^= s->v0;
  s->v2 += s->v1, s->v1 = rotl(s->v1, 17), s->v1 ^= s->v2, s->v2 = rotl(s->v2, 32);
}

/* Words are read in host order: hashes are compared within one call only. */
static sip sip_absorb(const evrec__sipkey *k, const unsigned char *p, size_t n, bool wide) {
  sip s = {k->k0 ^ UINT64_C(0x736f6d6570736575), k->k1 ^ UINT64_C(0x646f72616e646f6d),
           k->k0 ^ UINT64_C(0x6c7967656e657261), k->k1 ^ UINT64_C(0x7465646279746573)};
  if (wide) s.v1 ^= 0xee;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t m;
    memcpy(&m, p + i, 8);
    s.v3 ^= m;
    sip_round(&s);
    s.v0 ^= m;
  }
  uint64_t b = (uint64_t)n << 56;
  for (size_t j = 0; i + j < n; j++) b |= (uint64_t)p[i + j] << (8 * j);
  s.v3 ^= b;
  sip_round(&s);
  s.v0 ^= b;
  return s;
}

static uint64_t sip_final(sip *s, uint64_t mark) {
  s->v2 ^= mark;
  sip_round(s);
  sip_round(s);
  sip_round(s);
  return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

uint64_t evrec__sip64(const evrec__sipkey *k, const void *p, size_t n) {
  sip s = sip_absorb(k, p, n, false);
  return sip_final(&s, 0xff);
}

void evrec__sip128(const evrec__sipkey *k, const void *p, size_t n, uint64_t out[2]) {
  sip s = sip_absorb(k, p, n, true);
  out[0] = sip_final(&s, 0xee);
  s.v1 ^= 0xdd;
  out[1] = sip_final(&s, 0);
}

/* Random keys; without getrandom(2), /dev/urandom; without either, the
 * clock and addresses (a collision then stays unlikely, only no longer
 * guaranteed against crafted input). */
static void random_keys(evrec__sipkey *k, size_t n) {
  size_t want = n * sizeof *k, got = 0;
  unsigned char *p = (unsigned char *)k;
  while (got < want) {
    ssize_t r = getrandom(p + got, want - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  if (got < want) {
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t r = fd >= 0 ? read(fd, p, want) : -1;
    if (fd >= 0) close(fd);
    if (r == (ssize_t)want) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    for (size_t i = 0; i < n; i++) {
      k[i].k0 ^= (uint64_t)ts.tv_nsec * UINT64_C(0x9E3779B97F4A7C15) + i;
      k[i].k1 ^= (uint64_t)(uintptr_t)k * UINT64_C(0xBF58476D1CE4E5B9) + (uint64_t)ts.tv_sec;
    }
  }
}

/* ====================================================================== */
/* Sides                                                                  */
/* ====================================================================== */

typedef struct dkey {
  uint64_t idh;
  uint32_t idx;
} dkey;

typedef struct side {
  int which; /* 1 = A, 2 = B */
  evrec_reader *r;
  const evrec__sipkey *kid, *kch;
  atomic_int *stop;
  const char *temp_dir;

  dkey *keys;
  uint64_t (*ch)[2];
  uint64_t *pos;  /* evrec_reader_tell() before the record */
  uint64_t *spos; /* spilled: offset in the spill file */
  size_t n, cap;
  const ProtobufCMessageDescriptor *type;

  FILE *spill;       /* NULL when the reader can seek */
  uint64_t spill_off;
  evrec_arena *arena; /* records read back from the spill file */
  evrec__buf pk;      /* packed record */
  evrec__buf raw;     /* spilled record read back */

  int rc;
  evrec_error err;
} side;

static int side_fail(side *s, int code, const char *fmt, ...) EVREC__PRINTF(3, 4);

static int side_fail(side *s, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  evrec__verr(&s->err, code, fmt, ap);
  va_end(ap);
  return code;
}

static void side_free(side *s) {
  free(s->keys);
  free(s->ch);
  free(s->pos);
  free(s->spos);
  if (s->spill) fclose(s->spill);
  evrec_arena_free(s->arena);
  evrec__buf_free(&s->pk);
  evrec__buf_free(&s->raw);
}

/* Creates the unlinked temporary file of a side that cannot seek. */
static int spill_open(side *s) {
  const char *dir = s->temp_dir ? s->temp_dir : getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  size_t n = strlen(dir) + 32;
  char *path = malloc(n);
  if (!path) return side_fail(s, EVREC_E_NOMEM, "out of memory");
  snprintf(path, n, "%s/evrec-diff-XXXXXX", dir);
  int fd = mkstemp(path);
  int e = errno;
  if (fd >= 0) unlink(path);
  s->spill = fd >= 0 ? fdopen(fd, "w+b") : NULL;
  if (fd >= 0 && !s->spill) e = errno, close(fd);
  int rc = s->spill ? EVREC_OK
                    : side_fail(s, EVREC_E_IO, "cannot create a temporary file in %s: %s", dir,
                                strerror(e));
  free(path);
  s->arena = rc ? NULL : evrec_arena_new(0);
  return rc || s->arena ? rc : side_fail(s, EVREC_E_NOMEM, "out of memory");
}

/* Decides how the side's records will be read again: by seeking the
 * reader (a no-op seek to where it stands tells whether it can), else
 * from a spill file. */
static int side_prepare(side *s) {
  evrec_error e;
  int rc = evrec_reader_seek(s->r, evrec_reader_tell(s->r), &e);
  if (rc == EVREC_OK || rc == EVREC_E_NOT_FOUND) return EVREC_OK; /* NOT_FOUND: .evr at its end */
  if (rc == EVREC_E_UNSUPPORTED || rc == EVREC_E_CORRUPT || rc == EVREC_E_LIMIT)
    return spill_open(s);
  s->err = e;
  return rc;
}

static int side_grow(side *s) {
  if (s->n < s->cap) return EVREC_OK;
  if (s->n >= MAX_RECORDS)
    return side_fail(s, EVREC_E_LIMIT, "more than %" PRIu32 " records", (uint32_t)MAX_RECORDS);
  size_t cap = s->cap ? s->cap + s->cap / 2 : 1024;
  if (cap > MAX_RECORDS) cap = MAX_RECORDS;
  dkey *k = realloc(s->keys, cap * sizeof *k);
  if (k) s->keys = k;
  uint64_t(*ch)[2] = k ? realloc(s->ch, cap * sizeof *ch) : NULL;
  if (ch) s->ch = ch;
  uint64_t *pos = ch ? realloc(s->pos, cap * sizeof *pos) : NULL;
  if (pos) s->pos = pos;
  uint64_t *spos = pos && s->spill ? realloc(s->spos, cap * sizeof *spos) : NULL;
  if (spos) s->spos = spos;
  if (!pos || (s->spill && !spos)) return side_fail(s, EVREC_E_NOMEM, "out of memory");
  s->cap = cap;
  return EVREC_OK;
}

/* Appends the packed record (varint length + bytes) to the spill file. */
static int spill_write(side *s, size_t len) {
  unsigned char h[EVREC__VARINT_MAX];
  size_t hl = evrec__varint_put(len, h);
  if (fwrite(h, 1, hl, s->spill) != hl || fwrite(s->pk.data, 1, len, s->spill) != len)
    return side_fail(s, EVREC_E_IO, "cannot write the temporary file: %s", strerror(errno));
  s->spos[s->n] = s->spill_off;
  s->spill_off += hl + len;
  return EVREC_OK;
}

/* Checks that the record's type fits (the first one fixes it). */
static int side_type(side *s, const ProtobufCMessage *m) {
  if (s->type == m->descriptor) return EVREC_OK;
  if (s->type)
    return side_fail(s, EVREC_E_INVALID_ARG, "records of types %s and %s in one input",
                     s->type->name, m->descriptor->name);
  if (!evrec__id_field(m->descriptor))
    return side_fail(s, EVREC_E_UNSUPPORTED, "%s has no string field \"id\" to match records by",
                     m->descriptor->name);
  s->type = m->descriptor;
  return EVREC_OK;
}

static int scan_record(side *s, const ProtobufCMessage *m, uint64_t pos) {
  int rc = side_type(s, m);
  if (rc == EVREC_OK) rc = side_grow(s);
  if (rc) return rc;
  s->pk.len = 0;
  size_t len = evrec__pack(&s->pk, m);
  if (len == SIZE_MAX) return side_fail(s, EVREC_E_NOMEM, "out of memory");
  if (s->spill && (rc = spill_write(s, len)) != EVREC_OK) return rc;
  const char *id = evrec__record_id(m);
  s->keys[s->n].idh = evrec__sip64(s->kid, id, strlen(id));
  s->keys[s->n].idx = (uint32_t)s->n;
  evrec__sip128(s->kch, s->pk.data, len, s->ch[s->n]);
  s->pos[s->n] = pos;
  s->n++;
  return EVREC_OK;
}

/* Pass 1 for one side; stops early when the other side failed. */
static int scan(side *s) {
  int rc = side_prepare(s);
  while (rc == EVREC_OK && !atomic_load(s->stop)) {
    const ProtobufCMessage *m;
    uint64_t pos = evrec_reader_tell(s->r);
    rc = evrec_reader_next(s->r, &m, &s->err);
    if (rc == EVREC_DONE) {
      rc = EVREC_OK;
      break;
    }
    if (rc == EVREC_OK) rc = scan_record(s, m, pos);
  }
  if (rc == EVREC_OK && s->spill && fflush(s->spill) != 0)
    rc = side_fail(s, EVREC_E_IO, "cannot write the temporary file: %s", strerror(errno));
  if (rc) atomic_store(s->stop, 1);
  return s->rc = rc;
}

static void *scan_thread(void *arg) {
  scan(arg);
  return NULL;
}

/* ====================================================================== */
/* Reading a record again                                                 */
/* ====================================================================== */

static int spill_read(side *s, uint32_t idx, const ProtobufCMessage **m) {
  unsigned char h[EVREC__VARINT_MAX];
  uint64_t off = s->spos[idx], len;
  int fd = fileno(s->spill);
  ssize_t got = pread(fd, h, sizeof h, (off_t)off);
  int hl = got > 0 ? evrec__varint_get(h, (size_t)got, &len) : 0;
  if (hl <= 0 || !evrec__buf_reserve(&s->raw, (size_t)len))
    return side_fail(s, hl <= 0 ? EVREC_E_IO : EVREC_E_NOMEM, "cannot read the temporary file");
  for (size_t done = 0; done < len;) {
    ssize_t r = pread(fd, s->raw.data + done, (size_t)len - done, (off_t)(off + (uint64_t)hl + done));
    if (r <= 0)
      return side_fail(s, EVREC_E_IO, "cannot read the temporary file: %s",
                       r < 0 ? strerror(errno) : "it is shorter than written");
    done += (size_t)r;
  }
  ProtobufCMessage *msg;
  evrec_arena_reset(s->arena);
  int rc = evrec_pb_decode(&msg, s->type, s->raw.data, (size_t)len, s->arena, &s->err);
  *m = msg;
  return rc;
}

/* Seeks the reader to record idx (or reads on, for an .evr record just
 * ahead) and reads it. */
static int seek_read(side *s, uint32_t idx, const ProtobufCMessage **m) {
  uint64_t want = s->pos[idx], here = evrec_reader_tell(s->r);
  int rc = EVREC_OK;
  if (here != want) {
    bool read_on = evrec_reader_format(s->r) == EVREC_FORMAT_EVR && want > here &&
                   want - here <= EVR_READ_ON;
    for (; read_on && rc == EVREC_OK && here < want; here++) rc = evrec_reader_next(s->r, m, &s->err);
    if (!read_on) rc = evrec_reader_seek(s->r, want, &s->err);
  }
  if (rc == EVREC_OK) rc = evrec_reader_next(s->r, m, &s->err);
  if (rc == EVREC_DONE)
    rc = side_fail(s, EVREC_E_IO, "the input ended before this record (did it change?)");
  return rc;
}

/* The byte offset of a record in its input, when known. */
static uint64_t side_offset(const side *s, uint32_t idx) {
  return evrec_reader_pos_offset(s->r, s->pos[idx]);
}

/* Record idx of a side, decoded again and checked against its hash. */
static int side_get(side *s, uint32_t idx, const ProtobufCMessage **m) {
  int rc = s->spill ? spill_read(s, idx, m) : seek_read(s, idx, m);
  uint64_t h[2];
  if (rc == EVREC_OK) {
    s->pk.len = 0;
    size_t len = evrec__pack(&s->pk, *m);
    if (len == SIZE_MAX) return side_fail(s, EVREC_E_NOMEM, "out of memory");
    evrec__sip128(s->kch, s->pk.data, len, h);
    if (h[0] != s->ch[idx][0] || h[1] != s->ch[idx][1])
      rc = side_fail(s, EVREC_E_IO, "the input changed while it was compared: the record read "
                     "again differs from the first reading");
  }
  if (rc) {
    s->err.record = idx;
    s->err.line = s->err.column = 0;
    s->err.offset = side_offset(s, idx);
    s->rc = rc;
  }
  return rc;
}

/* ====================================================================== */
/* Matching                                                               */
/* ====================================================================== */

enum { ST_SAME = 0, ST_REMOVED, ST_CHANGED, ST_ADDED };

typedef struct evrec__diff {
  side s[2];
  unsigned char *a_state, *b_state;
  uint32_t *a_partner;
  evrec__dw *w;
  evrec_diff_stats st;
  evrec_error *err; /* &own: the caller's err gets a copy from each step */
  evrec_error own;
  evrec__sipkey keys[2]; /* random per run */
  atomic_int stop;
  unsigned threads;
  bool started;       /* passes 1 and 2 done (or failed) */
  uint32_t next_a, next_b; /* pass 3: the next record of A, then of B */
  int rc;             /* sticky result once not EVREC_OK */
} dctx;

static int dkey_cmp(const void *x, const void *y) {
  const dkey *a = x, *b = y;
  if (a->idh != b->idh) return a->idh < b->idh ? -1 : 1;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The id of record idx, copied (malloc). NULL with s->err set on error. */
static char *side_id(side *s, uint32_t idx, int *rc) {
  const ProtobufCMessage *m;
  *rc = side_get(s, idx, &m);
  char *id = *rc ? NULL : strdup(evrec__record_id(m));
  if (!*rc && !id) *rc = side_fail(s, EVREC_E_NOMEM, "out of memory");
  return id;
}

/* Records first..first+k of one side's sorted keys share an id hash: the
 * earliest pair with equal ids (equal contents prove it without reading)
 * whose second record comes before *second. */
static int run_duplicate(side *s, size_t first, size_t k, uint32_t *dup) {
  const dkey *v = s->keys + first;
  for (size_t i = 0; i < k; i++)
    for (size_t j = i + 1; j < k; j++) {
      if (v[j].idx >= dup[1]) break; /* sorted by idx within the run */
      bool same = memcmp(s->ch[v[i].idx], s->ch[v[j].idx], sizeof s->ch[0]) == 0;
      int rc = EVREC_OK;
      if (!same) {
        char *x = side_id(s, v[i].idx, &rc), *y = x ? side_id(s, v[j].idx, &rc) : NULL;
        same = y && strcmp(x, y) == 0;
        free(x);
        free(y);
        if (rc) return rc;
      }
      if (same) dup[0] = v[i].idx, dup[1] = v[j].idx;
    }
  return EVREC_OK;
}

/* A record id twice on one side is an error naming both records. */
static int find_duplicates(side *s) {
  uint32_t dup[2] = {0, UINT32_MAX};
  int rc = EVREC_OK;
  for (size_t i = 0, k; rc == EVREC_OK && i < s->n; i += k) {
    for (k = 1; i + k < s->n && s->keys[i + k].idh == s->keys[i].idh;) k++;
    if (k > 1) rc = run_duplicate(s, i, k, dup);
  }
  if (rc || dup[1] == UINT32_MAX) return rc;
  char *id = side_id(s, dup[0], &rc), where[64] = "";
  if (rc) return rc;
  uint64_t off = side_offset(s, dup[0]);
  if (off != EVREC_UNKNOWN) snprintf(where, sizeof where, " at byte %" PRIu64, off);
  side_fail(s, EVREC_E_CONFLICT, "duplicate record id \"%.100s\" (first as record %" PRIu64 "%s)",
            id, (uint64_t)dup[0] + 1, where);
  free(id);
  s->err.record = dup[1];
  s->err.offset = side_offset(s, dup[1]);
  return s->rc = EVREC_E_CONFLICT;
}

static void classify(dctx *c, const dkey *a, const dkey *b) {
  if (a && b && memcmp(c->s[0].ch[a->idx], c->s[1].ch[b->idx], sizeof c->s[0].ch[0]) == 0) {
    c->st.same++;
  } else if (a && b) {
    c->a_state[a->idx] = ST_CHANGED;
    c->a_partner[a->idx] = b->idx;
  } else if (a) {
    c->a_state[a->idx] = ST_REMOVED;
  } else {
    c->b_state[b->idx] = ST_ADDED;
  }
}

/* Id hashes that collide (different ids, no duplicates: checked before):
 * pair the records of the run by their ids. */
static int resolve_run(dctx *c, const dkey *a, size_t ka, const dkey *b, size_t kb) {
  char **ida = calloc(ka + 1, sizeof *ida), **idb = calloc(kb + 1, sizeof *idb);
  int rc = ida && idb ? EVREC_OK : evrec__err(c->err, EVREC_E_NOMEM, "out of memory");
  for (size_t i = 0; rc == EVREC_OK && i < ka; i++) ida[i] = side_id(&c->s[0], a[i].idx, &rc);
  for (size_t j = 0; rc == EVREC_OK && j < kb; j++) idb[j] = side_id(&c->s[1], b[j].idx, &rc);
  for (size_t i = 0; rc == EVREC_OK && i < ka; i++) {
    size_t j = 0;
    while (j < kb && strcmp(ida[i], idb[j]) != 0) j++;
    classify(c, &a[i], j < kb ? &b[j] : NULL);
  }
  for (size_t j = 0; rc == EVREC_OK && j < kb; j++) {
    size_t i = 0;
    while (i < ka && strcmp(ida[i], idb[j]) != 0) i++;
    if (i == ka) classify(c, NULL, &b[j]);
  }
  for (size_t i = 0; ida && i < ka; i++) free(ida[i]);
  for (size_t j = 0; idb && j < kb; j++) free(idb[j]);
  free(ida);
  free(idb);
  return rc;
}

/* Pass 2: merge the sorted keys of A and B. */
static int match(dctx *c) {
  const side *A = &c->s[0], *B = &c->s[1];
  size_t i = 0, j = 0;
  int rc = EVREC_OK;
  while (rc == EVREC_OK && (i < A->n || j < B->n)) {
    uint64_t h = i == A->n ? B->keys[j].idh
                 : j == B->n ? A->keys[i].idh
                             : (A->keys[i].idh < B->keys[j].idh ? A->keys[i].idh : B->keys[j].idh);
    size_t ka = 0, kb = 0;
    while (i + ka < A->n && A->keys[i + ka].idh == h) ka++;
    while (j + kb < B->n && B->keys[j + kb].idh == h) kb++;
    if (ka <= 1 && kb <= 1) classify(c, ka ? &A->keys[i] : NULL, kb ? &B->keys[j] : NULL);
    else rc = resolve_run(c, &A->keys[i], ka, &B->keys[j], kb);
    i += ka;
    j += kb;
  }
  return rc;
}

/* ====================================================================== */
/* Reporting                                                              */
/* ====================================================================== */

/* A changed record of A (idx) and B (partner): compared field by field. */
static int report_changed(dctx *c, uint32_t ia, uint32_t ib) {
  const ProtobufCMessage *a, *b;
  int rc = side_get(&c->s[0], ia, &a);
  if (rc == EVREC_OK) rc = side_get(&c->s[1], ib, &b);
  if (rc) return rc;
  c->st.decoded_again += 2;
  if (strcmp(evrec__record_id(a), evrec__record_id(b)) != 0) { /* id hashes collided */
    c->b_state[ib] = ST_ADDED;
    c->st.removed++;
    c->st.differences++;
    return evrec__dw_record_op(c->w, EVREC_DIFF_REMOVE, a, ia, EVREC_UNKNOWN);
  }
  size_t n = 0;
  rc = evrec__dw_records(c->w, a, b, ia, ib, &n);
  c->st.differences += n;
  if (n) c->st.changed++;
  else c->st.same++;
  return rc;
}

static int report_lone(dctx *c, int which, uint32_t idx) {
  const ProtobufCMessage *m;
  side *s = &c->s[which - 1];
  int rc = side_get(s, idx, &m);
  if (rc) return rc;
  c->st.decoded_again++;
  c->st.differences++;
  if (which == 1) {
    c->st.removed++;
    return evrec__dw_record_op(c->w, EVREC_DIFF_REMOVE, m, idx, EVREC_UNKNOWN);
  }
  c->st.added++;
  return evrec__dw_record_op(c->w, EVREC_DIFF_ADD, m, EVREC_UNKNOWN, idx);
}

/* Pass 3, one record at a time: A's order, then B's additions, up to the
 * next record that has differences. @return EVREC_OK (reported one),
 * EVREC_DONE (no more), or the failure. */
static int report_next(dctx *c) {
  uint64_t before = c->st.differences;
  int rc = EVREC_OK;
  while (rc == EVREC_OK && c->st.differences == before) {
    if (c->next_a < c->s[0].n) {
      uint32_t i = c->next_a++;
      if (c->a_state[i] == ST_REMOVED) rc = report_lone(c, 1, i);
      else if (c->a_state[i] == ST_CHANGED) rc = report_changed(c, i, c->a_partner[i]);
    } else if (c->next_b < c->s[1].n) {
      uint32_t j = c->next_b++;
      if (c->b_state[j] == ST_ADDED) rc = report_lone(c, 2, j);
    } else {
      return EVREC_DONE;
    }
  }
  return rc;
}

/* ====================================================================== */
/* Entry point                                                            */
/* ====================================================================== */

/* Pass 1 for both sides, on two threads when asked and possible. */
static void scan_both(dctx *c, unsigned threads) {
  pthread_t t;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  bool two = threads != 1 && cores >= 2 && pthread_create(&t, NULL, scan_thread, &c->s[0]) == 0;
  if (!two) scan(&c->s[0]);
  if (!c->s[0].rc || two) scan(&c->s[1]);
  if (two) pthread_join(t, NULL);
}

/* The error of a failing side becomes the call's (the one recorded in
 * c->err stands otherwise: options, memory, the callback, encoding). */
static int side_error(dctx *c, int rc) {
  for (int i = 0; i < 2; i++)
    if (c->s[i].rc) {
      c->st.error_side = i + 1;
      if (c->err) *c->err = c->s[i].err;
      return c->s[i].rc;
    }
  return rc;
}

/* Passes 1 and 2. */
static int diff_prepare(dctx *c, unsigned threads) {
  scan_both(c, threads);
  int rc = side_error(c, EVREC_OK);
  if (rc) return rc;
  c->st.a_records = c->s[0].n;
  c->st.b_records = c->s[1].n;
  if (c->s[0].type && c->s[1].type && c->s[0].type != c->s[1].type)
    return evrec__err(c->err, EVREC_E_INVALID_ARG, "A holds %s records and B %s records",
                      c->s[0].type->name, c->s[1].type->name);
  if (!c->s[0].type) c->s[0].type = c->s[1].type; /* an empty side reads nothing back */
  if (!c->s[1].type) c->s[1].type = c->s[0].type;
  for (int i = 0; i < 2; i++)
    if (c->s[i].n) qsort(c->s[i].keys, c->s[i].n, sizeof(dkey), dkey_cmp);
  for (int i = 0; i < 2 && rc == EVREC_OK; i++) rc = find_duplicates(&c->s[i]);
  c->a_state = rc ? NULL : calloc(c->s[0].n + 1, 1);
  c->b_state = rc ? NULL : calloc(c->s[1].n + 1, 1);
  c->a_partner = rc ? NULL : malloc((c->s[0].n + 1) * sizeof *c->a_partner);
  if (rc == EVREC_OK && (!c->a_state || !c->b_state || !c->a_partner))
    rc = evrec__err(c->err, EVREC_E_NOMEM, "out of memory");
  if (rc == EVREC_OK) rc = match(c);
  return rc;
}

static void side_init(side *s, int which, evrec_reader *r, const evrec__sipkey *keys,
                      atomic_int *stop, const char *temp_dir) {
  s->which = which;
  s->r = r;
  s->kid = &keys[0];
  s->kch = &keys[1];
  s->stop = stop;
  s->temp_dir = temp_dir;
  evrec_error_clear(&s->err);
}

int evrec__diff_new(evrec__diff **out, evrec_reader *a, evrec_reader *b,
                    const evrec_diff_options *opts, evrec_diff_cb cb, void *payload,
                    evrec_error *err) {
  static const evrec_diff_options defaults = EVREC_DIFF_OPTIONS_INIT;
  *out = NULL;
  if (!a || !b || a == b)
    return evrec__err(err, EVREC_E_INVALID_ARG, "diff: needs two distinct readers");
  if (!opts) opts = &defaults;
  dctx *c = calloc(1, sizeof *c);
  if (!c) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  evrec_error_clear(&c->own);
  c->err = &c->own;
  atomic_init(&c->stop, 0);
  int rc = evrec__dw_new(&c->w, opts, cb, payload, &c->own);
  if (rc) {
    if (err) *err = c->own;
    free(c);
    return rc;
  }
  random_keys(c->keys, 2);
  side_init(&c->s[0], 1, a, c->keys, &c->stop, opts->temp_dir);
  side_init(&c->s[1], 2, b, c->keys, &c->stop, opts->temp_dir);
  c->threads = opts->threads;
  *out = c;
  return EVREC_OK;
}

int evrec__diff_step(evrec__diff *c, evrec_error *err) {
  int rc = c->rc;
  if (rc == EVREC_OK && !c->started) {
    c->started = true;
    rc = diff_prepare(c, c->threads);
  }
  if (rc == EVREC_OK) rc = report_next(c);
  if (rc < 0 && !c->rc) rc = side_error(c, rc);
  c->rc = rc;
  if (rc < 0 && err) *err = c->own;
  return rc;
}

void evrec__diff_stats(const evrec__diff *c, evrec_diff_stats *out) { *out = c->st; }

void evrec__diff_free(evrec__diff *c) {
  if (!c) return;
  side_free(&c->s[0]);
  side_free(&c->s[1]);
  evrec__dw_free(c->w);
  free(c->a_state);
  free(c->b_state);
  free(c->a_partner);
  free(c);
}

int evrec_diff(evrec_diff_stats *out, evrec_reader *a, evrec_reader *b,
               const evrec_diff_options *opts, evrec_diff_cb cb, void *payload,
               evrec_error *err) {
  if (out) memset(out, 0, sizeof *out);
  evrec__diff *c;
  int rc = evrec__diff_new(&c, a, b, opts, cb, payload, err);
  if (rc) return rc;
  while ((rc = evrec__diff_step(c, err)) == EVREC_OK) {
  }
  if (rc == EVREC_DONE) rc = EVREC_OK;
  if (out) evrec__diff_stats(c, out);
  evrec__diff_free(c);
  return rc;
}
