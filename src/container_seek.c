/*
 * container_seek.c -- random access in an .evr file: records by number and
 * by id, many lookups at once, block ranges.
 *
 * Random access reads the EOF member at the end of the file, walks
 * sections backwards through section_back, loads an index lazily and
 * inflates exactly the block needed -- none when it is the current block.
 * Many lookups at once (evr__reader_get_many) are served in the file order
 * of their blocks, each inflated once.
 *
 * Sections are found from the end: the EOF member's section_back leads to
 * the section's start, which is where the previous section's EOF member
 * ends, and so on back to byte 0 (concatenated files). Indexes are loaded
 * lazily, one per section, and their total is bounded by max_index_size,
 * checked from the EOF member's positions before anything is read.
 *
 * A lookup by id binary-searches the hash in the newest section first and
 * tries the candidate blocks newest first, so that with duplicate ids the
 * last record in file order wins; the id is confirmed in the block by a
 * scan of the wire bytes (no decoding), so a hash collision costs a block,
 * never a wrong record. Opening a block that is already current inflates
 * nothing. evr__reader_get_many() plans every lookup from the indexes
 * first, then opens the blocks in file order, each once, and serves each
 * lookup from its block; an id whose hash matched in a block that does not
 * hold it (a collision) moves to its next candidate for a later round.
 * Failures of one lookup (not found, a damaged block or index) go to the
 * caller's callback; only I/O and memory errors end the call.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "container_int.h"

/* ====================================================================== */
/* Reader: random access                                                  */
/* ====================================================================== */

/* Seeks to `off` and loads the member there, which must be of `kind`. */
static int load_at(evr__reader *c, uint64_t off, int kind, evrec_error *err) {
  c->loaded = false;
  c->rleft = 0;
  int rc = c->io.seek(c->io.ctx, off, err);
  if (rc) return rc;
  rc = evr__load_member(c, &c->cur, err);
  if (rc == EVREC_OK && c->cur.kind == kind) {
    c->loaded = true;
    return EVREC_OK;
  }
  if (rc == EVREC_E_NOMEM || rc == EVREC_E_IO || rc == EVREC_E_LIMIT) return rc;
  if (rc == EVREC_OK)
    return evr__fail_at(err, EVREC_E_CORRUPT, off, "random access: unexpected member kind %u",
                   c->cur.kind);
  if (rc == EVREC_DONE || rc == EVREC_E_TRUNCATED)
    return evr__fail_at(err, EVREC_E_CORRUPT, off,
                        "random access: member runs past the end of the file");
  return evr__fail_at(err, EVREC_E_CORRUPT, off, "random access: %s", c->cur.why);
}

/* Reads the EOF member ending at `end` into a section. */
static int read_section(evr__reader *c, uint64_t end, section *s, evrec_error *err) {
  if (end < EVR__EOF_SIZE)
    return evr__fail_at(err, EVREC_E_CORRUPT, end,
                        "random access: no room for an EOF member before here");
  int rc = load_at(c, end - EVR__EOF_SIZE, EVR__EOF, err);
  if (rc) return rc;
  const uint8_t *p;
  size_t avail;
  if ((rc = c->io.peek(c->io.ctx, EVR__EOF_SIZE, &p, &avail, err)) != EVREC_OK) return rc;
  c->loaded = false;
  uint64_t ib = le64(p + c->cur.blob_at), sb = le64(p + c->cur.blob_at + 8);
  memset(s, 0, sizeof *s);
  s->eof_off = end - EVR__EOF_SIZE;
  s->records = le64(p + c->cur.blob_at + 16);
  if (ib > s->eof_off || sb > s->eof_off || (ib && ib > sb))
    return evr__fail_at(err, EVREC_E_CORRUPT, s->eof_off,
                        "random access: EOF member with bad positions");
  s->start = s->eof_off - sb;
  s->index_off = ib ? s->eof_off - ib : UINT64_MAX;
  return EVREC_OK;
}

/* Walks the sections back from the end of the file (once). */
static int load_sections(evr__reader *c, evrec_error *err) {
  if (c->secs) return EVREC_OK;
  uint64_t end;
  int rc = c->io.size(c->io.ctx, &end, err);
  size_t n = 0, cap = 0;
  section *v = NULL;
  while (rc == EVREC_OK && end > 0) {
    if (!evr__grow((void **)&v, &cap, n, sizeof *v))
      rc = evrec__err(err, EVREC_E_NOMEM, "out of memory");
    else if ((rc = read_section(c, end, &v[n], err)) == EVREC_OK) end = v[n++].start;
  }
  if (rc) {
    free(v);
    return rc;
  }
  uint64_t first = 0;
  for (size_t i = 0; i < n / 2; i++) { /* found last first */
    section t = v[i];
    v[i] = v[n - 1 - i];
    v[n - 1 - i] = t;
  }
  for (size_t i = 0; i < n; i++) v[i].first = first, first += v[i].records;
  c->secs = v ? v : calloc(1, sizeof *v);
  c->nsecs = n;
  return c->secs ? EVREC_OK : evrec__err(err, EVREC_E_NOMEM, "out of memory");
}

/* Loads a section's index members (once). */
static int load_index(evr__reader *c, section *s, evrec_error *err) {
  if (s->loaded) return EVREC_OK;
  if (s->index_off == UINT64_MAX)
    return evr__fail_at(err, EVREC_E_CORRUPT, s->eof_off,
                        "random access: the section of this EOF member has no index");
  uint64_t size = s->eof_off - s->index_off; /* checked before anything is read */
  char before[64] = "";
  if (c->index_bytes)
    snprintf(before, sizeof before, ", with the %" PRIu64 " loaded before,", c->index_bytes);
  if (size > c->max_index - c->index_bytes)
    return evr__fail_at(err, EVREC_E_LIMIT, s->index_off, "random access: index of %" PRIu64
                   " bytes%s exceeds the limit of %" PRIu64 " bytes (max_index_size)",
                   size, before, c->max_index);
  evrec__buf blob;
  evrec__buf_init(&blob);
  int rc = EVREC_OK;
  for (uint64_t off = s->index_off; rc == EVREC_OK && off < s->eof_off; off += c->cur.bsize) {
    rc = load_at(c, off, EVR__INDEX, err);
    const uint8_t *p;
    size_t avail;
    if (rc == EVREC_OK) rc = c->io.peek(c->io.ctx, c->cur.bsize, &p, &avail, err);
    if (rc == EVREC_OK && !evrec__buf_append(&blob, p + c->cur.blob_at, c->cur.blob_len))
      rc = evrec__err(err, EVREC_E_NOMEM, "out of memory");
    c->st.index_members += rc == EVREC_OK;
  }
  c->loaded = false;
  char why[WHY_MAX];
  if (rc == EVREC_OK && (rc = evr__index_parse(&s->ix, (const uint8_t *)blob.data, blob.len,
                                               s->index_off, s->records, why)))
    evr__fail_at(err, rc, s->index_off, "random access: index: %s", why);
  evrec__buf_free(&blob);
  s->loaded = rc == EVREC_OK;
  if (s->loaded) c->index_bytes += size;
  return rc;
}

/* Inflates block b of a section and makes it the current block. */
static int open_block(evr__reader *c, const section *s, size_t b, evrec_error *err) {
  if (c->have_block && c->block_off == s->ix.blocks[b].off) { /* inflated already */
    c->loaded = false;
    c->rpos = 0;
    c->rleft = c->cur.nrec;
    c->block_no = b;
    return EVREC_OK;
  }
  c->block_no = b; /* for a limit's message */
  int rc = load_at(c, s->ix.blocks[b].off, EVR__DATA, err);
  if (rc == EVREC_OK && c->cur.nrec != s->ix.blocks[b].nrec)
    return evr__fail_at(err, EVREC_E_CORRUPT, c->cur.off,
                        "random access: block disagrees with the index");
  if (rc) return rc;
  c->hacc.len = 0;
  c->resync = false;
  c->block_no = b;
  return evr__accept_member(c, false, err);
}

/* Skips k records of the current block. */
static void skip_records(evr__reader *c, uint32_t k) {
  for (; k > 0; k--) {
    uint64_t len;
    int h = evrec__varint_get(c->payload.data + c->rpos, c->payload.len - c->rpos, &len);
    c->rpos += (size_t)h + (size_t)len;
    c->rleft--;
  }
}

/* Finds the section, block and record within it of an ordinal, from the
 * sections' indexes (loaded here). */
static int locate_ordinal(evr__reader *c, uint64_t ordinal, size_t *sec, size_t *block,
                          uint32_t *k, evrec_error *err) {
  size_t i = 0;
  while (i < c->nsecs && ordinal >= c->secs[i].first + c->secs[i].records) i++;
  if (i == c->nsecs) {
    uint64_t all = c->nsecs ? c->secs[c->nsecs - 1].first + c->secs[c->nsecs - 1].records : 0;
    return evrec__err(err, EVREC_E_NOT_FOUND,
                      "record %" PRIu64 " does not exist (the file holds %" PRIu64 ")",
                      ordinal + 1, all);
  }
  section *s = &c->secs[i];
  int rc = load_index(c, s, err);
  if (rc) return rc;
  uint64_t want = ordinal - s->first;
  size_t lo = 0, hi = s->ix.nblocks; /* last block whose first <= want */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->ix.blocks[mid].first <= want) lo = mid;
    else hi = mid;
  }
  if (!s->ix.nblocks || want - s->ix.blocks[lo].first >= s->ix.blocks[lo].nrec)
    return evr__fail_at(err, EVREC_E_CORRUPT, s->index_off,
                        "random access: the index does not cover record %" PRIu64, ordinal + 1);
  *sec = i;
  *block = lo;
  *k = (uint32_t)(want - s->ix.blocks[lo].first);
  return EVREC_OK;
}

int evr__reader_seek(evr__reader *c, uint64_t ordinal, evrec_error *err) {
  size_t sec, block;
  uint32_t k;
  int rc = load_sections(c, err);
  if (rc == EVREC_OK) rc = locate_ordinal(c, ordinal, &sec, &block, &k, err);
  if (rc == EVREC_OK) rc = open_block(c, &c->secs[sec], block, err);
  if (rc == EVREC_OK) skip_records(c, k);
  return rc;
}

bool evr__wire_string(const uint8_t *p, size_t n, uint32_t num, const uint8_t **s, size_t *slen) {
  bool found = false;
  size_t at = 0;
  while (at < n) {
    uint64_t tag, v;
    int h = evrec__varint_get(p + at, n - at, &tag);
    if (h <= 0) return false;
    at += (size_t)h;
    switch (tag & 7) {
    case 0:
      h = evrec__varint_get(p + at, n - at, &v);
      if (h <= 0) return false;
      at += (size_t)h;
      break;
    case 1: if (n - at < 8) return false; at += 8; break;
    case 5: if (n - at < 4) return false; at += 4; break;
    case 2:
      h = evrec__varint_get(p + at, n - at, &v);
      if (h <= 0 || v > n - at - (size_t)h) return false;
      at += (size_t)h;
      if (tag >> 3 == num) *s = p + at, *slen = (size_t)v, found = true;
      at += (size_t)v;
      break;
    default: return false;
    }
  }
  return found;
}

/* In the current block, the index of the last record with this id, or -1. */
static long last_with_id(evr__reader *c, const char *id, size_t idlen) {
  long hit = -1;
  size_t at = 0;
  for (uint32_t i = 0; i < c->cur.nrec; i++) {
    uint64_t len;
    int h = evrec__varint_get(c->payload.data + at, c->payload.len - at, &len);
    const uint8_t *s = NULL;
    size_t sl = 0;
    const uint8_t *rec = (const uint8_t *)c->payload.data + at + h;
    if (evr__wire_string(rec, (size_t)len, c->id_field->id, &s, &sl) &&
        sl == idlen && memcmp(s, id, idlen) == 0)
      hit = (long)i;
    at += (size_t)h + (size_t)len;
  }
  return hit;
}

/* ====================================================================== */
/* Reader: many lookups, each block inflated once                         */
/* ====================================================================== */

/* A lookup of evr__reader_get_many() still to serve: its candidate block. */
typedef struct want {
  size_t i;         /* index in the caller's array */
  uint64_t hash;    /* ids: evr__id_hash() of the id */
  size_t sec;       /* the section of the candidate block */
  size_t pos;       /* ids: the candidate's entry in that section's id table */
  bool entered;     /* ids: sec's index is loaded and pos set */
  bool missed;      /* ids: not in the candidate block (a hash collision) */
  size_t block;     /* the candidate block in its section */
  uint64_t off;     /* its file offset: blocks are read in this order */
  uint32_t k;       /* ordinals: the record within the block */
} want;

static int want_cmp(const void *a, const void *b) {
  const want *x = a, *y = b;
  if (x->off != y->off) return x->off < y->off ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* Moves an id lookup to its next candidate block: the next older block
 * with its hash in the current section, else in the sections before it
 * (the order evr__reader_get_id() tries them in). @return EVREC_OK,
 * EVREC_E_NOT_FOUND, or the error of loading an index. */
static int want_next_id(evr__reader *c, want *w, evrec_error *err) {
  for (;;) {
    section *s = &c->secs[w->sec];
    if (!w->entered) {
      int rc = load_index(c, s, err);
      if (rc) return rc;
      idh key = {w->hash, UINT32_MAX};
      size_t lo = 0, hi = s->ix.nids; /* first entry > (hash, max) */
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (evr__idh_cmp(&s->ix.ids[mid], &key) <= 0) lo = mid + 1;
        else hi = mid;
      }
      w->pos = lo;
      w->entered = true;
    }
    while (w->pos > 0 && s->ix.ids[w->pos - 1].hash == w->hash) {
      size_t e = --w->pos;
      uint32_t b = s->ix.ids[e].block;
      if (e + 1 < s->ix.nids && s->ix.ids[e + 1].hash == w->hash && s->ix.ids[e + 1].block == b)
        continue; /* the same block twice: tried */
      w->block = b;
      w->off = s->ix.blocks[b].off;
      return EVREC_OK;
    }
    if (w->sec == 0) return EVREC_E_NOT_FOUND;
    w->sec--;
    w->entered = false;
  }
}

/* Failures that end all lookups, not only one. */
static bool fatal(int rc) { return rc == EVREC_E_IO || rc == EVREC_E_NOMEM; }

/* Ends all lookups with the failure in *e. */
static int fail_all(evr__get_many *g, const evrec_error *e, int rc) {
  if (g->err) *g->err = *e;
  return rc;
}

/* Hands one lookup's result to the caller's callback. */
static int serve(evr__get_many *g, size_t i, const ProtobufCMessage *msg, const evrec_error *e) {
  return g->fn(i, msg, msg ? NULL : e, g->payload) ? EVREC_STOPPED : EVREC_OK;
}

/* Serves record k of the current block (block b of section sec). */
static int serve_record(evr__reader *c, evr__get_many *g, const want *w, uint32_t k) {
  const ProtobufCMessage *msg = NULL;
  evrec_error e;
  c->rpos = 0;
  c->rleft = c->cur.nrec;
  skip_records(c, k);
  int rc = evr__next_record(c, g->arena, &msg, &e);
  if (fatal(rc)) return fail_all(g, &e, rc);
  if (rc == EVREC_OK) {
    const section *s = &c->secs[w->sec];
    g->last = s->first + s->ix.blocks[w->block].first + k;
  }
  return serve(g, w->i, rc == EVREC_OK ? msg : NULL, &e);
}

/* A lookup's first candidate block; its own failure is served here. */
static int plan(evr__reader *c, evr__get_many *g, want *w, bool *pending) {
  const evrec_lookup *q = &g->q[w->i];
  evrec_error e;
  int rc;
  *pending = false;
  if (q->id) {
    if (!c->id_field) {
      rc = evrec__err(&e, EVREC_E_UNSUPPORTED, "%s has no string field \"id\" to look up",
                      c->type->name);
    } else if (!c->nsecs) {
      rc = EVREC_E_NOT_FOUND;
    } else {
      w->hash = evr__id_hash(q->id, strlen(q->id));
      w->sec = c->nsecs - 1;
      rc = want_next_id(c, w, &e);
    }
    if (rc == EVREC_E_NOT_FOUND) evrec__err(&e, rc, "no record with id \"%.100s\"", q->id);
  } else {
    rc = locate_ordinal(c, q->ordinal, &w->sec, &w->block, &w->k, &e);
    if (rc == EVREC_OK) w->off = c->secs[w->sec].ix.blocks[w->block].off;
  }
  if (fatal(rc)) return fail_all(g, &e, rc);
  if (rc) return serve(g, w->i, NULL, &e);
  *pending = true;
  return EVREC_OK;
}

/* Serves the lookups whose candidate is the current block, v[0..n); those
 * of ids not in it (hash collisions) are kept for the next round at
 * keep[*kept], which never overtakes v. */
static int serve_block(evr__reader *c, evr__get_many *g, want *v, size_t n, int block_rc,
                       const evrec_error *block_err, want *keep, size_t *kept) {
  for (size_t t = 0; t < n; t++) {
    want *w = &v[t];
    const evrec_lookup *q = &g->q[w->i];
    int rc;
    if (block_rc) {
      rc = serve(g, w->i, NULL, block_err);
    } else if (!q->id) {
      rc = serve_record(c, g, w, w->k);
    } else {
      long k = last_with_id(c, q->id, strlen(q->id));
      if (k >= 0) {
        rc = serve_record(c, g, w, (uint32_t)k);
      } else { /* a hash collision: the next candidate, next round */
        w->missed = true;
        keep[(*kept)++] = *w;
        rc = EVREC_OK;
      }
    }
    if (rc) return rc;
  }
  return EVREC_OK;
}

int evr__reader_get_many(evr__reader *c, evr__get_many *g) {
  evrec_error se; /* why the sections could not be read: every lookup fails so */
  g->last = EVREC_UNKNOWN;
  if (g->n > SIZE_MAX / sizeof(want)) return evrec__err(g->err, EVREC_E_NOMEM, "out of memory");
  int src = load_sections(c, &se);
  if (fatal(src)) return fail_all(g, &se, src);
  want *v = malloc((g->n ? g->n : 1) * sizeof *v);
  if (!v) return evrec__err(g->err, EVREC_E_NOMEM, "out of memory");
  size_t np = 0;
  int rc = EVREC_OK;
  for (size_t i = 0; rc == EVREC_OK && i < g->n; i++) {
    bool pending = false;
    memset(&v[np], 0, sizeof v[np]);
    v[np].i = i;
    rc = src ? serve(g, i, NULL, &se) : plan(c, g, &v[np], &pending);
    np += pending;
  }
  /* Rounds: the candidate blocks in file order, each inflated once (or
   * not at all when it is the current block); only ids whose hash matched
   * in a block that does not hold them need another round. */
  while (rc == EVREC_OK && np) {
    size_t kept = 0, end;
    for (size_t t = 0; rc == EVREC_OK && t < np; t++) {
      if (!v[t].missed) {
        v[kept++] = v[t];
        continue;
      }
      evrec_error e; /* a collision: its next candidate (may load an index) */
      v[t].missed = false;
      rc = want_next_id(c, &v[t], &e);
      if (rc == EVREC_E_NOT_FOUND)
        evrec__err(&e, rc, "no record with id \"%.100s\"", g->q[v[t].i].id);
      if (fatal(rc)) rc = fail_all(g, &e, rc);
      else if (rc) rc = serve(g, v[t].i, NULL, &e);
      else v[kept++] = v[t];
    }
    np = kept;
    kept = 0;
    qsort(v, np, sizeof *v, want_cmp);
    for (size_t j = 0; rc == EVREC_OK && j < np; j = end) {
      for (end = j + 1; end < np && v[end].off == v[j].off; end++) continue;
      evrec_error be;
      int brc = open_block(c, &c->secs[v[j].sec], v[j].block, &be);
      if (fatal(brc)) rc = fail_all(g, &be, brc);
      else rc = serve_block(c, g, v + j, end - j, brc, &be, v, &kept);
    }
    np = kept;
  }
  free(v);
  return rc;
}

/* One lookup through evr__reader_get_many(): its result. */
typedef struct one_result {
  const ProtobufCMessage *msg;
  int rc;
  evrec_error *err;
} one_result;

static int one_fn(size_t i, const ProtobufCMessage *msg, const evrec_error *e, void *payload) {
  one_result *o = payload;
  (void)i;
  o->msg = msg;
  if (!msg) {
    o->rc = e->code;
    if (o->err) *o->err = *e;
  }
  return 0;
}

int evr__reader_get_id(evr__reader *c, const char *id, evrec_arena *arena,
                       const ProtobufCMessage **msg, uint64_t *ordinal, evrec_error *err) {
  if (!c->id_field) /* before anything is read, as always */
    return evrec__err(err, EVREC_E_UNSUPPORTED, "%s has no string field \"id\" to look up",
                      c->type->name);
  evrec_lookup q = {id, 0};
  one_result o = {NULL, EVREC_OK, err};
  evr__get_many g = {&q, 1, arena, one_fn, &o, EVREC_UNKNOWN, err};
  int rc = evr__reader_get_many(c, &g);
  if (rc == EVREC_OK) rc = o.rc;
  if (rc == EVREC_OK) *msg = o.msg, *ordinal = g.last;
  return rc;
}

/* ====================================================================== */
/* Reader: block ranges (evrec_reader_blocks, evrec_reader_seek_block)    */
/* ====================================================================== */

int evr__reader_blocks(evr__reader *c, evrec_block **out, size_t *n, evrec_error *err) {
  int rc = load_sections(c, err);
  size_t total = 0;
  for (size_t i = 0; rc == EVREC_OK && i < c->nsecs; i++) {
    rc = load_index(c, &c->secs[i], err);
    if (rc == EVREC_OK) total += c->secs[i].ix.nblocks;
  }
  if (rc || total == 0) return rc;
  evrec_block *v = malloc(total * sizeof *v);
  if (!v) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < c->nsecs; i++) {
    const section *s = &c->secs[i];
    for (size_t b = 0; b < s->ix.nblocks; b++, k++) {
      const blk *x = &s->ix.blocks[b];
      v[k] = (evrec_block){x->off, x->bsize, s->first + x->first, x->nrec};
    }
  }
  *out = v;
  *n = total;
  return EVREC_OK;
}

int evr__reader_seek_block(evr__reader *c, const evrec_block *block, uint64_t end,
                           evrec_error *err) {
  uint64_t size;
  int rc = c->io.size(c->io.ctx, &size, err);
  if (rc) return rc;
  if (block->offset >= size)
    return evr__fail_at(err, EVREC_E_CORRUPT, block->offset,
                   "block lies past the end of the file (%" PRIu64 " bytes)", size);
  if ((rc = load_at(c, block->offset, EVR__DATA, err)) != EVREC_OK) return rc;
  if (c->cur.nrec != block->records || c->cur.bsize != block->size) {
    c->loaded = false;
    return evr__fail_at(err, EVREC_E_CORRUPT, block->offset, "block holds %" PRIu32
                   " records in %" PRIu32 " bytes, not the %" PRIu32 " in %" PRIu64 " expected",
                   c->cur.nrec, c->cur.bsize, block->records, block->size);
  }
  c->hacc.len = 0;
  c->resync = false;
  c->ahead_end = end;
  return evr__accept_member(c, true, err);
}
