/*
 * container_read.c -- the .evr reader: members in file order, records out
 * of the current block, damage, resynchronisation and truncation.
 *
 * Reader: one validated member at a time ("loaded": header parsed, payload
 * inflated and checked, not yet consumed), then "accepted" (consumed; its
 * records are handed out from the inflated payload). Opening reads the
 * header members and only the head of the member after them.
 *
 * Damage: a damaged member is reported with its offset (err->offset) and
 * block number; with EVREC_READ_SKIP_DAMAGE the reader then searches from
 * the damaged member's first byte + 1 (its size field may be the damaged
 * part) for the next member that validates in full, so no intact member is
 * ever skipped.
 *
 * Limits (evrec_reader_options): inflating stops at max_block_size bytes of
 * output, whatever ISIZE claims, so a zip bomb costs no more than an honest
 * block; a block over max_block_records, or an index over max_index_size
 * (checked from the EOF member's positions, before it is read), is
 * EVREC_E_LIMIT -- not damage: the reader does not skip it.
 *
 * The reader's bytes come through evr__io (reader.c's buffer); members
 * after the current block may be inflated and decoded ahead by workers
 * (container_readahead.c), random access is container_seek.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "container_int.h"

#define RESYNC_WINDOW (64u * 1024u)

/* ====================================================================== */
/* Reader: state                                                          */
/* ====================================================================== */

int evr__reader_new(evr__reader **out, const evr__io *io, const ProtobufCMessageDescriptor *type,
                    const evr__limits *lim, unsigned flags, evrec_error *err) {
  evr__reader *c = calloc(1, sizeof *c);
  *out = c;
  if (!c) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  c->io = *io;
  c->type = type;
  c->id_field = evr__id_field(type);
  c->max_record = lim->max_record;
  c->max_string = lim->max_string;
  c->max_block_records = lim->max_block_records;
  c->max_index = lim->max_index;
  /* By default every block a writer can make: 64 MiB of records, or one
   * record of up to max_record with its length prefix. */
  uint64_t fits = (c->max_record > EVR__MAX_BLOCK_SIZE ? c->max_record : EVR__MAX_BLOCK_SIZE) + 16;
  c->plimit = lim->max_block ? lim->max_block : fits;
  if (c->plimit > UINT32_MAX - 1) c->plimit = UINT32_MAX - 1; /* ISIZE is 32 bits */
  /* Member sizes are checked against what a writer can make, not against a
   * lowered max_block_size: a big member is no damage, and the limit is
   * met (and reported as one) while inflating. */
  uint64_t fmt = c->plimit > fits ? c->plimit : fits;
  c->blimit = fmt + fmt / 128 + 2 * 65536;
  c->flags = flags;
  c->last_kind = -1;
  c->harena = evrec_arena_new(0);
  c->scratch = evrec_arena_new(0);
  c->z = evr__inflater_new();
  if (!c->harena || !c->scratch || !c->z) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  return EVREC_OK;
}

void evr__reader_free(evr__reader *c) {
  if (!c) return;
  evr__ahead_stop(&c->ra);
  evr__inflater_free(c->z);
  evrec_arena_free(c->dec_arena);
  free(c->dec_msgs);
  evrec__buf_free(&c->payload);
  evrec__buf_free(&c->hacc);
  evrec_arena_free(c->harena);
  evrec_arena_free(c->scratch);
  for (size_t i = 0; i < c->nsecs; i++) evr__index_free(&c->secs[i].ix);
  free(c->secs);
  free(c);
}

const evrec_container_header *evr__reader_header(const evr__reader *c) {
  return c && c->have_header ? &c->header : NULL;
}

void evr__reader_stats(const evr__reader *c, evrec_reader_stats *out) { *out = c->st; }

/* ====================================================================== */
/* Reader: loading one member                                             */
/* ====================================================================== */

/* Buffers the whole member at the read position and parses its header;
 * *p points at its first byte. Same results as evr__load_member(), which ends
 * with checking the body. */
static int member_bytes(evr__reader *c, member *m, const uint8_t **pp, evrec_error *err) {
  memset(m, 0, sizeof *m);
  m->off = c->io.tell(c->io.ctx);
  const uint8_t *p;
  size_t avail, want = EVR__FIXED, need = 0;
  for (;;) {
    int rc = c->io.peek(c->io.ctx, want, &p, &avail, err);
    if (rc) return rc;
    if (avail == 0) return EVREC_DONE;
    m->end = m->off + avail;
    head_rc hr = evr__head_parse(m, p, avail, c->blimit, &need);
    if (hr == HEAD_BAD) return EVREC_E_CORRUPT;
    if (hr == HEAD_OK) need = m->bsize;
    if (avail >= need) break;
    if (avail < want) return EVREC_E_TRUNCATED; /* the input ended */
    want = need;
  }
  *pp = p;
  return EVREC_OK;
}

/* Validates the member at the read position without consuming it.
 * @return EVREC_OK, EVREC_DONE (no bytes left), EVREC_E_CORRUPT (m->why),
 *         EVREC_E_TRUNCATED (m->end), EVREC_E_LIMIT (err filled: a data
 *         block over max_block_size or max_block_records), or an I/O or
 *         memory error. */
int evr__load_member(evr__reader *c, member *m, evrec_error *err) {
  const uint8_t *p = NULL;
  int rc;
  c->have_block = false; /* the payload is about to be replaced */
  if (!evr__ahead_take(c, m, &rc, err)) {
    rc = member_bytes(c, m, &p, err);
    if (rc == EVREC_OK) rc = evr__member_check(m, c->z, p, c->plimit, &c->payload);
  }
  if (rc == EVREC_OK && m->kind == EVR__DATA && m->nrec > c->max_block_records)
    rc = evr__member_fail(m, EVREC_E_LIMIT, "%" PRIu32 " records exceed the limit of %zu per block "
                     "(max_block_records)", m->nrec, c->max_block_records);
  if (rc == EVREC_E_LIMIT) { /* not damage: the member is left unconsumed */
    evrec__err(err, rc, "block %" PRIu64 ": %s", c->block_no, m->why);
    if (err) err->offset = m->off;
  }
  return rc == EVREC_E_NOMEM ? evrec__err(err, rc, "out of memory") : rc;
}

/* Consumes the loaded member and makes its content current. `go_on`: a
 * data block starts the read-ahead of the members after it -- when reading
 * goes on from it (sequential reading, a run of blocks), not after a
 * lookup, which would only wait for blocks nobody reads. */
int evr__accept_member(evr__reader *c, bool go_on, evrec_error *err) {
  member *m = &c->cur;
  c->loaded = false;
  if (m->kind == EVR__DATA) {
    c->rpos = 0;
    c->rleft = m->nrec;
    c->block_off = m->off;
    c->have_block = true;
    c->block_no++;
    c->st.blocks++;
    c->st.bytes_out += m->isize;
  } else if (m->kind == EVR__HEADER) {
    const uint8_t *p;
    size_t avail;
    int rc = c->io.peek(c->io.ctx, m->bsize, &p, &avail, err); /* buffered already */
    if (rc) return rc;
    if (!c->hacc.len) c->hacc_off = m->off;
    if (!evrec__buf_append(&c->hacc, p + m->blob_at, m->blob_len))
      return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  } else if (m->kind == EVR__EOF) {
    c->st.eof_member = 1;
  }
  c->last_kind = m->kind;
  c->st.bytes_in += m->bsize;
  c->io.consume(c->io.ctx, m->bsize);
  if (m->kind == EVR__DATA && go_on) evr__ahead_start(c);
  return EVREC_OK;
}

int evr__fail_at(evrec_error *err, int code, uint64_t off, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  evrec__verr(err, code, fmt, ap);
  va_end(ap);
  if (err) err->offset = off;
  return code;
}

/* Parses the accumulated header blob: the first becomes the file's header,
 * later ones (concatenated files) must name the same record type. */
static int header_finish(evr__reader *c, evrec_error *err) {
  evrec_container_header h;
  char why[WHY_MAX];
  evrec_arena *a = c->have_header ? c->scratch : c->harena;
  evrec_arena_reset(c->scratch);
  int rc = evr__header_parse(&h, (const uint8_t *)c->hacc.data, c->hacc.len, a, why);
  c->hacc.len = 0;
  if (rc == EVREC_E_NOMEM) return evrec__err(err, rc, "out of memory");
  if (rc) {
    c->st.damaged_blocks++;
    return evr__fail_at(err, EVREC_E_CORRUPT, c->hacc_off, "header: %s; records lost: 0", why);
  }
  if (strcmp(h.record_type, c->type->name) != 0)
    return evr__fail_at(err, EVREC_E_FORMAT, c->hacc_off,
                        "the container holds %.80s records, not %.80s",
                   h.record_type, c->type->name);
  if (!c->have_header) c->header = h, c->have_header = true;
  return EVREC_OK;
}

/* ====================================================================== */
/* Reader: damage, resynchronisation, truncation                          */
/* ====================================================================== */

/* Offset of the first full member signature in p[0..n), or of a possible
 * partial one at the end, or n. */
static size_t find_signature(const uint8_t *p, size_t n) {
  static const uint8_t sig[4] = {0x1f, 0x8b, 8, 4};
  for (size_t i = 0; i < n; i++) {
    const uint8_t *q = memchr(p + i, 0x1f, n - i);
    if (!q) return n;
    i = (size_t)(q - p);
    if (n - i < 14) return i;
    if (memcmp(q, sig, 4) == 0 && q[12] == 'E' && q[13] == 'V') return i;
  }
  return n;
}

/* Searches from the read position for the next member that validates in
 * full and leaves it loaded; at the end of input leaves nothing loaded. */
static int resync(evr__reader *c, evrec_error *err) {
  for (;;) {
    const uint8_t *p;
    size_t avail;
    int rc = c->io.peek(c->io.ctx, RESYNC_WINDOW, &p, &avail, err);
    if (rc) return rc;
    size_t i = find_signature(p, avail);
    bool at_end = avail < RESYNC_WINDOW;
    if (i + 14 > avail && !(at_end && i < avail)) { /* nothing here (or a partial head: refill) */
      c->io.consume(c->io.ctx, at_end ? avail : i);
      if (at_end) break;
      continue;
    }
    c->io.consume(c->io.ctx, i);
    rc = evr__load_member(c, &c->cur, err);
    if (rc == EVREC_OK) {
      c->loaded = true;
      break;
    }
    if (rc != EVREC_E_CORRUPT && rc != EVREC_E_TRUNCATED && rc != EVREC_DONE) return rc;
    c->io.consume(c->io.ctx, rc == EVREC_DONE ? 0 : 1);
    if (rc == EVREC_DONE) break;
  }
  c->resync = false;
  return EVREC_OK;
}

/* Reports a damaged member; the next call resynchronises from off + 1. */
static int damaged(evr__reader *c, const member *m, evrec_error *err) {
  /* Whatever may have been a data member counts as a block, so that the
   * numbers of later blocks stay right. */
  bool data = !m->ev_ok || m->kind == EVR__DATA || m->kind > EVR__EOF || m->nrec > 0;
  uint64_t b = c->block_no;
  c->block_no += data;
  c->st.damaged_blocks++;
  c->hacc.len = 0; /* a header split by damage cannot be parsed */
  if (!m->ev_ok)
    return evr__fail_at(err, EVREC_E_CORRUPT, m->off,
                        "block %" PRIu64 ": %s; records lost: unknown",
                   b, m->why);
  c->st.records_lost += m->nrec;
  return evr__fail_at(err, EVREC_E_CORRUPT, m->off, "block %" PRIu64 ": %s; %" PRIu32 " %s lost",
                 b, m->why, m->nrec, evrec__plural(m->nrec, "record", "records"));
}

static int truncated(evr__reader *c, uint64_t end, evrec_error *err) {
  c->st.truncated = 1;
  return evr__fail_at(err, EVREC_E_TRUNCATED, end, "truncated (no EOF member)");
}

/* A member that runs past the end of input: truly truncated, or (with
 * EVREC_READ_SKIP_DAMAGE) a damaged size field with intact members after. */
static int member_cut(evr__reader *c, evrec_error *err) {
  member bad = c->cur;
  if (c->flags & EVREC_READ_SKIP_DAMAGE) {
    c->io.consume(c->io.ctx, 1);
    int rc = resync(c, err);
    if (rc) return rc;
    if (c->loaded) {
      snprintf(bad.why, sizeof bad.why, "member runs past the end of the input");
      return damaged(c, &bad, err);
    }
  }
  return truncated(c, bad.end, err);
}

/* End of input: clean only right after an EOF member. */
static int input_end(evr__reader *c, evrec_error *err) {
  int rc = c->hacc.len ? header_finish(c, err) : EVREC_OK;
  if (rc) return rc;
  return c->last_kind == EVR__EOF ? EVREC_DONE : truncated(c, c->io.tell(c->io.ctx), err);
}

/* ====================================================================== */
/* Reader: sequential records                                             */
/* ====================================================================== */

/* Loads and accepts one member. EVREC_OK means "go on". */
static int step(evr__reader *c, evrec_error *err) {
  int rc = c->resync ? resync(c, err) : EVREC_OK;
  if (rc == EVREC_OK && !c->loaded) {
    rc = evr__load_member(c, &c->cur, err);
    if (rc == EVREC_DONE) return input_end(c, err);
    if (rc == EVREC_E_CORRUPT) {
      c->io.consume(c->io.ctx, 1);
      c->resync = true;
      return damaged(c, &c->cur, err);
    }
    if (rc == EVREC_E_TRUNCATED) return member_cut(c, err);
    c->loaded = rc == EVREC_OK;
  }
  if (rc == EVREC_OK && c->cur.kind != EVR__HEADER && c->hacc.len) rc = header_finish(c, err);
  return rc ? rc : evr__accept_member(c, true, err);
}

int evr__next_record(evr__reader *c, evrec_arena *arena, const ProtobufCMessage **msg,
                       evrec_error *err) {
  const uint8_t *p = (const uint8_t *)c->payload.data + c->rpos;
  uint64_t len;
  uint32_t i = c->cur.nrec - c->rleft;
  int h = evrec__varint_get(p, c->payload.len - c->rpos, &len); /* checked at load */
  c->rpos += (size_t)h + (size_t)len;
  c->rleft--;
  if (i < c->ndec) { /* decoded by the read-ahead */
    *msg = c->dec_msgs[i];
    return EVREC_OK;
  }
  if (len > c->max_record) {
    c->record_failed = true; /* rpos already stands after it */
    return evr__fail_at(err, EVREC_E_LIMIT, c->block_off,
                        "record of %" PRIu64 " bytes exceeds the limit of %zu bytes "
                   "(max_record_size)", len, c->max_record);
  }
  ProtobufCMessage *m = NULL;
  evrec_arena_reset(arena);
  int rc = evrec__pb_decode_ex(&m, c->type, p + h, (size_t)len, arena, c->max_string, err);
  if (rc) {
    if (err) err->offset = c->block_off; /* offsets inside a block mean nothing in the file */
    c->record_failed = true;
    return rc;
  }
  *msg = m;
  return EVREC_OK;
}

bool evr__reader_record_failed(const evr__reader *c) { return c->record_failed; }

int evr__reader_next(evr__reader *c, evrec_arena *arena, const ProtobufCMessage **msg,
                     evrec_error *err) {
  c->record_failed = false;
  if (c->pending) {
    int rc = c->pending;
    c->pending = 0;
    if (err) *err = c->pending_err;
    return rc;
  }
  while (!c->rleft) {
    int rc = step(c, err);
    if (rc) return rc;
  }
  return evr__next_record(c, arena, msg, err);
}

/* Whether the member at the read position has a well-formed head that
 * says it is not a header member: then opening ends without inflating it
 * (random access never reads it; a damaged body is left for next() to
 * report, as in every later block). Anything else is loaded in full. */
static bool next_is_body(evr__reader *c) {
  member m;
  const uint8_t *p;
  size_t avail, want = EVR__FIXED, need = 0;
  evrec_error e;
  memset(&m, 0, sizeof m);
  for (;;) {
    if (c->io.peek(c->io.ctx, want, &p, &avail, &e) != EVREC_OK) return false;
    head_rc hr = evr__head_parse(&m, p, avail, c->blimit, &need);
    if (hr != HEAD_MORE) return hr == HEAD_OK && m.kind != EVR__HEADER;
    if (avail < want) return false; /* the input ends */
    want = need;
  }
}

int evr__reader_open(evr__reader *c, evrec_error *err) {
  int rc = EVREC_OK;
  bool body = false; /* the member after the headers is there (not loaded) */
  while (rc == EVREC_OK) {
    if (!c->loaded && (body = next_is_body(c))) break;
    if (!c->loaded) rc = evr__load_member(c, &c->cur, err);
    c->loaded = rc == EVREC_OK;
    if (!c->loaded || c->cur.kind != EVR__HEADER) break;
    rc = evr__accept_member(c, false, err); /* a header member */
  }
  if (rc == EVREC_E_CORRUPT && !(c->flags & EVREC_READ_SKIP_DAMAGE)) {
    c->io.consume(c->io.ctx, 1);
    return damaged(c, &c->cur, err);
  }
  if (rc != EVREC_OK && rc != EVREC_E_CORRUPT && rc != EVREC_E_TRUNCATED && rc != EVREC_DONE &&
      rc != EVREC_E_LIMIT)
    return rc;
  /* Damage, truncation and a block over a limit are reported by next();
   * so is a header whose members end at a cut (its rest may be what is
   * missing). */
  if (!c->hacc.len || (!c->loaded && !body && rc != EVREC_DONE)) return EVREC_OK;
  if (!(c->flags & EVREC_READ_SKIP_DAMAGE)) return header_finish(c, err);
  rc = header_finish(c, &c->pending_err);
  if (rc == EVREC_E_CORRUPT) { /* told by next() */
    c->pending = rc;
    return EVREC_OK;
  }
  if (rc && err) *err = c->pending_err;
  return rc;
}

