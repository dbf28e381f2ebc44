/*
 * container_member.c -- one .evr member: its head parsed and checked, its
 * body inflated and verified, members built (the byte layout of
 * container_int.h and docs/FORMAT.md, sections 2-3).
 *
 * Reading trusts nothing: the head is checked on as many bytes as there
 * are (so a resynchronising reader rejects garbage early), the subfields
 * must fill XLEN exactly, bsize must lie between the smallest member and
 * the reader's limit. A body is verified in full before any record of it
 * is handed out: deflate data, ISIZE, CRC-32 and, for data, that the
 * payload holds exactly nrec whole records.
 *
 * Zip bombs: inflating stops at max_block_size bytes of output, whatever
 * ISIZE claims -- the buffer is min(ISIZE, limit) + 1 bytes, never what
 * ISIZE alone says -- so a bomb costs no more than an honest block; and an
 * ISIZE beyond what deflate can expand its data to (1032:1) is damage found
 * without inflating at all. Output past the limit is EVREC_E_LIMIT, not
 * damage: the reader does not skip it.
 *
 * Header and index blobs live in the extra field, which gzip's CRC does
 * not cover, so they carry a CRC-32 of their own (blob seal): without it a
 * flipped bit in an index entry would send random access to the wrong
 * record silently.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "container_int.h"

/* Deflate's best case: a 258-byte match coded in 2 bits, so no deflate data
 * inflates to more than 1032 times its size (zlib's FAQ). */
#define DEFLATE_MAX_RATIO 1032u

/* Says why a member failed (m->why) and returns `code`, as evrec__err()
 * does for an evrec_error. */
int evr__member_fail(member *m, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m->why, sizeof m->why, fmt, ap);
  va_end(ap);
  return code;
}

/* Says why a header, an index or an append failed (`why`, WHY_MAX bytes)
 * and returns `code`. */
int evr__why_fail(char *why, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, WHY_MAX, fmt, ap);
  va_end(ap);
  return code;
}

/* ====================================================================== */
/* Member headers                                                         */
/* ====================================================================== */

static head_rc head_bad(member *m, const char *why) {
  snprintf(m->why, sizeof m->why, "%s", why);
  return HEAD_BAD;
}

/* The magic, CM and FLG bytes, checked on as many bytes as there are, so a
 * resynchronising reader rejects garbage early. */
static head_rc head_magic(member *m, const uint8_t *p, size_t avail) {
  static const uint8_t magic[4] = {0x1f, 0x8b, 8, 4};
  for (size_t i = 0; i < 4 && i < avail; i++)
    if (p[i] != magic[i])
      return head_bad(m, i < 2 ? "not a gzip member (bad magic)"
                         : i == 2 ? "gzip compression method is not deflate"
                                  : "gzip flags are not FEXTRA alone");
  return HEAD_OK;
}

/* Walks the subfields after EV; they must fill XLEN exactly. */
static head_rc head_subfields(member *m, const uint8_t *p) {
  size_t at = EVR__FIXED + EVR__EV_XLEN, end = EVR__FIXED + (size_t)m->xlen;
  while (at < end) {
    if (end - at < 4) return head_bad(m, "extra subfields overrun XLEN");
    size_t len = le16(p + at + 2);
    if (end - at - 4 < len) return head_bad(m, "extra subfields overrun XLEN");
    if (p[at] == 'E' && strchr("HXE", p[at + 1]) && !m->blob_id) {
      m->blob_id = (char)p[at + 1];
      m->blob_at = at + 4;
      m->blob_len = len;
    }
    at += 4 + len;
  }
  return HEAD_OK;
}

/* Parses the member header in p[0..avail). HEAD_MORE sets *need. */
head_rc evr__head_parse(member *m, const uint8_t *p, size_t avail, uint64_t limit,
                          size_t *need) {
  if (head_magic(m, p, avail) == HEAD_BAD) return HEAD_BAD;
  *need = EVR__FIXED + EVR__EV_XLEN;
  if (avail < EVR__FIXED) return HEAD_MORE;
  m->xlen = le16(p + 10);
  if (m->xlen < EVR__EV_XLEN) return head_bad(m, "extra field too short for the EV subfield");
  if (avail < *need) return HEAD_MORE;
  if (p[12] != 'E' || p[13] != 'V' || le16(p + 14) != 12)
    return head_bad(m, "first extra subfield is not EV");
  m->bsize = le32(p + 16);
  m->nrec = le32(p + 20);
  m->kind = p[24];
  m->ev_ok = true;
  if (p[25] > EVREC_CONTAINER_VERSION)
    return (head_rc)evr__member_fail(m, HEAD_BAD, "container version %u is newer than supported "
                                     "(%d)", p[25], EVREC_CONTAINER_VERSION);
  if (m->kind > EVR__EOF) return head_bad(m, "unknown member kind");
  if (m->bsize < EVR__FIXED + (uint32_t)m->xlen + 2 + EVR__TRAILER || m->bsize > limit)
    return (head_rc)evr__member_fail(m, HEAD_BAD, "member size %" PRIu32 " out of range", m->bsize);
  *need = EVR__FIXED + (size_t)m->xlen;
  if (avail < *need) return HEAD_MORE;
  return head_subfields(m, p);
}

/* ====================================================================== */
/* Member bodies: inflate and verify                                      */
/* ====================================================================== */

/* Counts the varint-delimited records of a payload; exact fit required. */
static bool payload_holds(const uint8_t *p, size_t len, uint32_t nrec) {
  size_t at = 0;
  for (uint32_t i = 0; i < nrec; i++) {
    uint64_t n;
    int h = evrec__varint_get(p + at, len - at, &n);
    if (h <= 0 || n > len - at - (size_t)h) return false;
    at += (size_t)h + (size_t)n;
  }
  return at == len;
}

/* The subfield each kind must carry. */
static bool kind_blob_ok(const member *m) {
  switch (m->kind) {
  case EVR__HEADER: return m->blob_id == 'H';
  case EVR__INDEX: return m->blob_id == 'X';
  case EVR__EOF: return m->blob_id == 'E' && m->blob_len == 24;
  default: return true;
  }
}

/* Inflates the member's deflate data into `out` (exactly isize bytes),
 * stopping at plimit bytes of output (the zip-bomb guard): the buffer is
 * min(ISIZE, plimit) + 1 bytes, never what ISIZE alone claims, and an ISIZE
 * beyond what deflate can expand the data to (1032:1) is damage found
 * without inflating at all. Output past plimit is EVREC_E_LIMIT (m->why
 * says so); everything else wrong is EVREC_E_CORRUPT. */
static int member_inflate(member *m, evr__inflater *z, const uint8_t *p, uint64_t plimit,
                          evrec__buf *out) {
  size_t dlen = m->bsize - EVR__FIXED - m->xlen - EVR__TRAILER;
  if (m->isize > (uint64_t)dlen * DEFLATE_MAX_RATIO)
    return evr__member_fail(m, EVREC_E_CORRUPT, "ISIZE larger than the deflate data can hold");
  uint64_t cap = m->isize < plimit ? m->isize : plimit;
  out->len = 0;
  out->oom = false; /* refilled from scratch: a failure of an earlier member is over */
  if (!evrec__buf_reserve(out, (size_t)cap + 1)) return EVREC_E_NOMEM;
  size_t used, got;
  /* one spare byte of output detects a short ISIZE or the limit */
  int zr = evr__inflate(z, p + EVR__FIXED + m->xlen, dlen, out->data, (size_t)cap + 1, &used,
                        &got);
  const char *why = NULL;
  if (zr == EVR__INFLATE_NOMEM) return EVREC_E_NOMEM;
  if (zr == EVR__INFLATE_BAD) why = "bad deflate data";
  else if (got > m->isize) why = "payload longer than ISIZE";
  else if (got > plimit)
    return evr__member_fail(m, EVREC_E_LIMIT, "payload of %" PRIu32 " bytes exceeds the limit of %"
                       PRIu64 " bytes (max_block_size)", m->isize, plimit);
  else if (zr != EVR__INFLATE_OK) why = "deflate data incomplete";
  else if (used < dlen) why = "deflate data ends before the member does";
  else if (got != m->isize) why = "payload shorter than ISIZE";
  if (why) return evr__member_fail(m, EVREC_E_CORRUPT, "%s", why);
  out->len = m->isize;
  return EVREC_OK;
}

/* Verifies a whole member p[0..bsize): trailer, deflate data, CRC and, for
 * data, the record count. The payload (at most plimit bytes) is left in
 * `out`. @return EVREC_OK, EVREC_E_CORRUPT, EVREC_E_LIMIT or EVREC_E_NOMEM. */
int evr__member_check(member *m, evr__inflater *z, const uint8_t *p, uint64_t plimit,
                        evrec__buf *out) {
  m->isize = le32(p + m->bsize - 4);
  if (!kind_blob_ok(m))
    return evr__member_fail(m, EVREC_E_CORRUPT, "member lacks the subfield of its kind");
  if (m->kind != EVR__DATA && (m->isize || m->nrec))
    return evr__member_fail(m, EVREC_E_CORRUPT, "non-data member with a payload");
  int rc = member_inflate(m, z, p, plimit, out);
  if (rc) return rc;
  if (evr__crc32(0, out->data, out->len) != le32(p + m->bsize - 8))
    return evr__member_fail(m, EVREC_E_CORRUPT, "CRC mismatch");
  if (m->kind == EVR__DATA && !payload_holds((const uint8_t *)out->data, out->len, m->nrec))
    return evr__member_fail(m, EVREC_E_CORRUPT, "payload does not hold exactly nrec whole records");
  return EVREC_OK;
}

/* ====================================================================== */
/* Building members                                                       */
/* ====================================================================== */

static void put_head(uint8_t *p, uint32_t xlen, uint32_t bsize, uint32_t nrec, int kind) {
  static const uint8_t fixed[10] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 255};
  memcpy(p, fixed, sizeof fixed);
  put16(p + 10, xlen);
  p[12] = 'E';
  p[13] = 'V';
  put16(p + 14, 12);
  put32(p + 16, bsize);
  put32(p + 20, nrec);
  p[24] = (uint8_t)kind;
  p[25] = EVREC_CONTAINER_VERSION;
  put16(p + 26, 0);
}

/* Appends a member with an empty payload carrying subfield 'E',id. */
static bool put_meta_member(evrec__buf *b, int kind, char id, const void *data, size_t len) {
  uint32_t xlen = EVR__EV_XLEN + 4 + (uint32_t)len;
  uint32_t bsize = EVR__FIXED + xlen + 2 + EVR__TRAILER;
  if (!evrec__buf_reserve(b, bsize)) return false;
  uint8_t *p = (uint8_t *)b->data + b->len;
  put_head(p, xlen, bsize, 0, kind);
  p[28] = 'E';
  p[29] = (uint8_t)id;
  put16(p + 30, (uint32_t)len);
  if (len) memcpy(p + 32, data, len);
  uint8_t *t = p + 32 + len;
  t[0] = 0x03; /* the empty final fixed-Huffman block */
  t[1] = 0x00;
  memset(t + 2, 0, 8); /* CRC32 of nothing is 0; ISIZE 0 */
  b->len += bsize;
  return true;
}

/* Seals a header/index blob with a CRC32 of its bytes (little-endian, last 4
 * bytes): gzip's own CRC covers only payloads, and these blobs live in the
 * extra field, so without it a flipped bit in an index entry would send random
 * access to the wrong record silently. */
static bool blob_seal(evrec__buf *blob) {
  uint8_t c[4];
  put32(c, evr__crc32(0, blob->data, blob->len));
  return evrec__buf_append(blob, c, 4);
}

/* Verifies and strips the CRC32 trailer of a reassembled blob. */
bool evr__blob_unseal(const uint8_t *b, size_t *len) {
  if (*len < 4) return false;
  *len -= 4;
  return le32(b + *len) == evr__crc32(0, b, *len);
}

/* Seals a blob and splits it into consecutive members of at most
 * EVR__CHUNK_MAX bytes each. */
bool evr__put_blob_members(evrec__buf *b, int kind, char id, evrec__buf *sealed) {
  if (!blob_seal(sealed)) return false;
  const uint8_t *blob = (const uint8_t *)sealed->data;
  size_t len = sealed->len, at = 0;
  do {
    size_t n = len - at < EVR__CHUNK_MAX ? len - at : EVR__CHUNK_MAX;
    if (!put_meta_member(b, kind, id, blob + at, n)) return false;
    at += n;
  } while (at < len);
  return true;
}

bool evr__put_eof_member(evrec__buf *b, uint64_t index_back, uint64_t section_back,
                           uint64_t records) {
  uint8_t ee[24];
  put64(ee, index_back);
  put64(ee + 8, section_back);
  put64(ee + 16, records);
  return put_meta_member(b, EVR__EOF, 'E', ee, sizeof ee);
}

/* Compresses `in` into a whole data member in `out` (replacing it). */
int evr__compress_member(evr__deflater *z, const evrec__buf *in, uint32_t nrec,
                           evrec__buf *out) {
  size_t head = EVR__FIXED + EVR__EV_XLEN;
  size_t bound = evr__deflate_bound(z, in->len);
  out->len = 0;
  if (!evrec__buf_reserve(out, head + bound + EVR__TRAILER)) return EVREC_E_NOMEM;
  uint8_t *p = (uint8_t *)out->data;
  size_t n = evr__deflate(z, in->data, in->len, p + head, bound);
  if (n == 0) return EVREC_E_NOMEM; /* cannot happen with the bound */
  size_t bsize = head + n + EVR__TRAILER;
  put_head(p, EVR__EV_XLEN, (uint32_t)bsize, nrec, EVR__DATA);
  put32(p + bsize - 8, evr__crc32(0, in->data, in->len));
  put32(p + bsize - 4, (uint32_t)in->len);
  out->len = bsize;
  return EVREC_OK;
}

