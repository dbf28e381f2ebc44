/*
 * container.c -- the .evr container: blocked gzip with a self-describing
 * header, a trailing index and an EOF member (docs/FORMAT.md), after the
 * idea of htslib's BGZF.
 *
 * A file is a sequence of gzip members (RFC 1952), so `zcat f.evr` prints
 * the pbd stream of all records. Every member starts with an 'E','V' extra
 * subfield that gives its total size, so a reader can hop member to member
 * without inflating:
 *
 *   section := header+ data* index+ eof      (files may be concatenated)
 *
 *   +----------------------- one member -----------------------+
 *   | 1f 8b 08 04 | mtime 0 | xfl 0 | os ff | XLEN             |  12 bytes
 *   | 'E''V' 12 | bsize u32 | nrec u32 | kind u8 | ver u8 | 0 0 |  16 bytes
 *   | more subfields: 'E''H' header chunk / 'E''X' index chunk / |
 *   |                 'E''E' eof fields (24 bytes)               |
 *   | raw deflate of the payload (03 00 when empty)              |
 *   | CRC32 of the payload | ISIZE                               |   8 bytes
 *   +------------------------------------------------------------+
 *
 *   data   (kind 0) payload = nrec whole records as varint length + bytes
 *   header (kind 1) "EVRH" blob in EH chunks: JSON fields + FileDescriptorSet
 *   index  (kind 2) "EVRX" blob in EX chunks: per block {back, first, nrec,
 *                   bsize}, then {FNV-1a 64 of the id, block} sorted
 *   eof    (kind 3) 66 bytes; EE = {index_back, section_back, records}
 *
 * All positions stored in the file are backward distances, so a section
 * stays valid wherever it lands (cat a.evr b.evr).
 *
 * Writer: the producer packs records into the current block; a full block
 * is handed to a slot of a fixed ring (two slots per thread) and compressed
 * by a worker; the producer emits finished members strictly in block order
 * and waits for the oldest slot when the ring is full, so memory stays near
 * 4 x threads x block size and the output is identical for any thread
 * count. Two slots per thread, not one: with one, a worker that finished
 * its block idled until the producer had emitted the *oldest* block and
 * filled the next one, so blocks that deflate at different speeds left a
 * core idle (-j 2 kept about 1.2 cores busy); with two, every worker finds
 * a queued block when it finishes. One thread compresses inline. The
 * producer alone does all I/O (through the emit callback), so I/O errors
 * surface on the caller's thread.
 *
 * Reader: one validated member at a time ("loaded": header parsed, payload
 * inflated and checked, not yet consumed), then "accepted" (consumed; its
 * records are handed out from the inflated payload). Opening reads the
 * header members and only the head of the member after them.
 *
 * Read-ahead: reading a regular file or memory, once reading goes on from
 * a data block (sequentially, or a run of evrec_reader_seek_block()), the
 * members after it (up to two; the section's index member ends the run)
 * are copied into the slots of a ring, each with its worker thread (two on
 * two or more cores, else one). A worker inflates and checks its member
 * (member_check, the very same code) and decodes the records of a data
 * block into its slot's arena (at most 65,536 records or 16 MiB of
 * messages; it stops at the first record that fails). Loading that member
 * then only swaps the slot's payload, arena and records with the reader's,
 * so the caller's thread does nothing but its own work on the records
 * (JSON encoding, say). Every result, errors, damage and
 * resynchronisation included, is the one the synchronous path gives: a
 * record a worker could not decode is decoded again on the caller's
 * thread, and a seek drops every slot. Memory grows by two members,
 * payloads and arenas; the reader's buffer holds the members ahead. A
 * slot's buffers and arena are kept from block to block (the arena
 * recycled: its largest block stays), so after warm-up reading allocates
 * nothing and touches no fresh pages. Pipes are not read ahead: that would
 * hold the records of a block back until the next block has arrived in
 * full. Random access (a seek, a lookup) starts no worker: it would only
 * inflate blocks nobody reads, and the process would wait for them.
 *
 * Damage: a damaged member is reported with its offset (err->offset) and
 * block number; with EVREC_READ_SKIP_DAMAGE the reader then searches from
 * the damaged member's first byte + 1 (its size field may be the damaged
 * part) for the next member that validates in full, so no intact member is
 * ever skipped.
 *
 * Random access reads the EOF member at the end of the file, walks
 * sections backwards through section_back, loads an index lazily and
 * inflates exactly the block needed -- none when it is the current block.
 * Many lookups at once (evr__reader_get_many) are served in the file order
 * of their blocks, each inflated once.
 *
 * Limits (evrec_reader_options): inflating stops at max_block_size bytes of
 * output, whatever ISIZE claims, so a zip bomb costs no more than an honest
 * block; a block over max_block_records, or an index over max_index_size
 * (checked from the EOF member's positions, before it is read), is
 * EVREC_E_LIMIT -- not damage: the reader does not skip it.
 *
 * Block numbers are 0-based data-block ordinals in file order.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "google/protobuf/struct.pb-c.h"

#define WHY_MAX 120
#define RESYNC_WINDOW (64u * 1024u)
#define MAX_THREADS 128u
#define SLOTS_PER_THREAD 2u /* blocks in flight per compression thread */
#define MAX_WRITER_RECORD (1024u * 1024u * 1024u)
/* Deflate's best case: a 258-byte match coded in 2 bits, so no deflate data
 * inflates to more than 1032 times its size (zlib's FAQ). */
#define DEFLATE_MAX_RATIO 1032u
#define FNV_BASIS 0xcbf29ce484222325u
#define FNV_PRIME 0x100000001b3u
/* The default deflate level, measured with libdeflate 1.14 (issue 11;
 * corpus-16M and corpus-4M of `make corpus`, `convert -t evr -j 2`, best of
 * 11 alternating runs on the loaded 2-core machine; sizes against `gzip -6`
 * of the NDJSON, times against `bgzip -@ 2` of the NDJSON, 0.160 s):
 *
 *   level  16M: size  time     4M: size
 *     2    0.994      -        1.004  (larger than gzip on 4M)
 *     3    0.987      -        0.997
 *     4    0.984      0.103 s  0.994
 *     5    0.968      0.119 s  0.979
 *     6    0.966      0.137 s  0.977
 *   zlib 4 (the old default): 0.985, 0.128 s (CPU 0.210 s against 0.159 s)
 *
 * Level 5: a margin of 2-3% under gzip -6 where 4 leaves 0.6% on small
 * files, 1.34x faster than bgzip -@ 2 (6 costs 15% more time for 0.2%),
 * and still faster and 1.7% smaller than zlib at 4. Deflating pbd is easier
 * than deflating the NDJSON it came from (no repeated key names), which is
 * why a middle level already beats gzip -6. The zlib build (DEFLATE=zlib)
 * uses the same default: 0.966 of gzip -6 at 13% more time than its 4. */
#define DEFAULT_LEVEL 5

/* ====================================================================== */
/* Little-endian fields                                                   */
/* ====================================================================== */

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, v);
  put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

uint64_t evr__id_hash(const char *s, size_t len) {
  uint64_t h = FNV_BASIS;
  for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)s[i]) * FNV_PRIME;
  return h;
}

/* ====================================================================== */
/* Member headers                                                         */
/* ====================================================================== */

/* What the fixed header and extra field of one member say. */
typedef struct member {
  uint64_t off;    /* file offset of ID1 */
  uint64_t end;    /* when truncated: where the input ends */
  uint32_t bsize, nrec, isize;
  uint8_t kind;
  uint16_t xlen;
  bool ev_ok;      /* the EV subfield was readable: nrec is known */
  size_t blob_at, blob_len; /* EH / EX / EE subfield data inside the member */
  char blob_id;    /* 'H', 'X', 'E' or 0 */
  char why[WHY_MAX];
} member;

typedef enum head_rc { HEAD_OK, HEAD_MORE, HEAD_BAD } head_rc;

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
static head_rc head_parse(member *m, const uint8_t *p, size_t avail, uint64_t limit,
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
  if (p[25] > EVREC_CONTAINER_VERSION) {
    snprintf(m->why, sizeof m->why, "container version %u is newer than supported (%d)",
             p[25], EVREC_CONTAINER_VERSION);
    return HEAD_BAD;
  }
  if (m->kind > EVR__EOF) return head_bad(m, "unknown member kind");
  if (m->bsize < EVR__FIXED + (uint32_t)m->xlen + 2 + EVR__TRAILER || m->bsize > limit) {
    snprintf(m->why, sizeof m->why, "member size %" PRIu32 " out of range", m->bsize);
    return HEAD_BAD;
  }
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
    return head_bad(m, "ISIZE larger than the deflate data can hold"), EVREC_E_CORRUPT;
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
  else if (got > plimit) {
    snprintf(m->why, sizeof m->why, "payload of %" PRIu32 " bytes exceeds the limit of %" PRIu64
             " bytes (max_block_size)", m->isize, plimit);
    return EVREC_E_LIMIT;
  } else if (zr != EVR__INFLATE_OK) why = "deflate data incomplete";
  else if (used < dlen) why = "deflate data ends before the member does";
  else if (got != m->isize) why = "payload shorter than ISIZE";
  if (why) return head_bad(m, why), EVREC_E_CORRUPT;
  out->len = m->isize;
  return EVREC_OK;
}

/* Verifies a whole member p[0..bsize): trailer, deflate data, CRC and, for
 * data, the record count. The payload (at most plimit bytes) is left in
 * `out`. @return EVREC_OK, EVREC_E_CORRUPT, EVREC_E_LIMIT or EVREC_E_NOMEM. */
static int member_check(member *m, evr__inflater *z, const uint8_t *p, uint64_t plimit,
                        evrec__buf *out) {
  m->isize = le32(p + m->bsize - 4);
  if (!kind_blob_ok(m)) return head_bad(m, "member lacks the subfield of its kind"), EVREC_E_CORRUPT;
  if (m->kind != EVR__DATA && (m->isize || m->nrec))
    return head_bad(m, "non-data member with a payload"), EVREC_E_CORRUPT;
  int rc = member_inflate(m, z, p, plimit, out);
  if (rc) return rc;
  if (evr__crc32(0, out->data, out->len) != le32(p + m->bsize - 8)) return head_bad(m, "CRC mismatch"), EVREC_E_CORRUPT;
  if (m->kind == EVR__DATA && !payload_holds((const uint8_t *)out->data, out->len, m->nrec))
    return head_bad(m, "payload does not hold exactly nrec whole records"), EVREC_E_CORRUPT;
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
static bool blob_unseal(const uint8_t *b, size_t *len) {
  if (*len < 4) return false;
  *len -= 4;
  return le32(b + *len) == evr__crc32(0, b, *len);
}

/* Seals a blob and splits it into consecutive members of at most
 * EVR__CHUNK_MAX bytes each. */
static bool put_blob_members(evrec__buf *b, int kind, char id, evrec__buf *sealed) {
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

static bool put_eof_member(evrec__buf *b, uint64_t index_back, uint64_t section_back,
                           uint64_t records) {
  uint8_t ee[24];
  put64(ee, index_back);
  put64(ee + 8, section_back);
  put64(ee + 16, records);
  return put_meta_member(b, EVR__EOF, 'E', ee, sizeof ee);
}

/* Compresses `in` into a whole data member in `out` (replacing it). */
static int compress_member(evr__deflater *z, const evrec__buf *in, uint32_t nrec,
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

/* ====================================================================== */
/* Header blob                                                            */
/* ====================================================================== */

static void json_str(evrec__buf *b, const char *s) {
  evrec__buf_putc(b, '"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                    : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
    char u[8];
    if (!esc && c < 0x20) snprintf(u, sizeof u, "\\u%04x", c), esc = u;
    if (esc) evrec__buf_puts(b, esc);
    else evrec__buf_putc(b, (char)c);
  }
  evrec__buf_putc(b, '"');
}

/* Appends the "EVRH" blob: magic, version, JSON, FileDescriptorSet. */
static void header_blob(evrec__buf *b, const char *type, const char *created,
                        char *const *keys, char *const *vals, size_t n,
                        const void *schema, size_t schema_len) {
  evrec__buf j;
  evrec__buf_init(&j);
  evrec__buf_puts(&j, "{\"formatVersion\":1,\"recordType\":");
  json_str(&j, type);
  evrec__buf_puts(&j, ",\"creator\":\"evrec " EVREC_VERSION_STRING "\",\"createdAt\":");
  json_str(&j, created);
  evrec__buf_puts(&j, ",\"metadata\":{");
  for (size_t i = 0; i < n; i++) {
    if (i) evrec__buf_putc(&j, ',');
    json_str(&j, keys[i]);
    evrec__buf_putc(&j, ':');
    json_str(&j, vals[i]);
  }
  evrec__buf_puts(&j, "}}");
  uint8_t fix[12] = {'E', 'V', 'R', 'H', 1, 0, 0, 0};
  put32(fix + 8, (uint32_t)j.len);
  evrec__buf_append(b, fix, sizeof fix);
  evrec__buf_append(b, j.data, j.len);
  put32(fix, (uint32_t)schema_len);
  evrec__buf_append(b, fix, 4);
  if (schema_len) evrec__buf_append(b, schema, schema_len);
  if (j.oom) b->oom = true;
  evrec__buf_free(&j);
}

static const char *value_str(const Google__Protobuf__Value *v) {
  return v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE ? v->string_value : NULL;
}

static int meta_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Copies the "metadata" object into key-sorted arrays in the arena. */
static int header_meta(evrec_container_header *h, const Google__Protobuf__Struct *s,
                       evrec_arena *a, char *why) {
  size_t n = s ? s->n_fields : 0;
  const char **pairs = evrec__arena_alloc(a, (2 * n + 1) * sizeof *pairs);
  const char **keys = evrec__arena_alloc(a, (n + 1) * sizeof *keys);
  const char **vals = evrec__arena_alloc(a, (n + 1) * sizeof *vals);
  if (!pairs || !keys || !vals) return EVREC_E_NOMEM;
  for (size_t i = 0; i < n; i++) {
    pairs[2 * i] = s->fields[i]->key;
    pairs[2 * i + 1] = value_str(s->fields[i]->value);
    if (!pairs[2 * i + 1]) return snprintf(why, WHY_MAX, "header metadata value is not a string"), EVREC_E_CORRUPT;
  }
  qsort(pairs, n, 2 * sizeof *pairs, meta_cmp);
  for (size_t i = 0; i < n; i++) keys[i] = pairs[2 * i], vals[i] = pairs[2 * i + 1];
  h->meta_keys = keys;
  h->meta_values = vals;
  h->n_meta = n;
  return EVREC_OK;
}

/* One field of the header JSON. */
static int header_field(evrec_container_header *h, const Google__Protobuf__Struct__FieldsEntry *f,
                        evrec_arena *a, char *why) {
  const Google__Protobuf__Value *v = f->value;
  if (strcmp(f->key, "formatVersion") == 0) {
    if (!v || v->kind_case != GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE || v->number_value < 0 ||
        v->number_value > 255)
      return snprintf(why, WHY_MAX, "header formatVersion is not a small number"), EVREC_E_CORRUPT;
    h->format_version = (uint32_t)v->number_value;
  } else if (strcmp(f->key, "recordType") == 0) {
    h->record_type = value_str(v);
  } else if (strcmp(f->key, "creator") == 0) {
    h->creator = value_str(v);
  } else if (strcmp(f->key, "createdAt") == 0) {
    h->created_at = value_str(v);
  } else if (strcmp(f->key, "metadata") == 0) {
    if (!v || v->kind_case != GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE)
      return snprintf(why, WHY_MAX, "header metadata is not an object"), EVREC_E_CORRUPT;
    return header_meta(h, v->struct_value, a, why);
  } /* other keys: added by later versions, ignored */
  return EVREC_OK;
}

/* Parses the "EVRH" blob into *h; every pointer lands in the arena.
 * @return EVREC_OK, EVREC_E_CORRUPT (`why` says what is wrong) or
 *         EVREC_E_NOMEM. */
static int header_parse(evrec_container_header *h, const uint8_t *b, size_t len,
                        evrec_arena *a, char *why) {
  memset(h, 0, sizeof *h);
  if (!blob_unseal(b, &len)) return snprintf(why, WHY_MAX, "header checksum mismatch"), EVREC_E_CORRUPT;
  if (len < 12 || memcmp(b, "EVRH", 4) != 0) return snprintf(why, WHY_MAX, "bad header magic"), EVREC_E_CORRUPT;
  if (b[4] > EVREC_CONTAINER_VERSION) return snprintf(why, WHY_MAX, "header version %u is newer than supported", b[4]), EVREC_E_CORRUPT;
  size_t jl = le32(b + 8);
  if (jl > len - 12 || len - 12 - jl < 4 || le32(b + 12 + jl) != len - 16 - jl)
    return snprintf(why, WHY_MAX, "header lengths do not add up"), EVREC_E_CORRUPT;
  char *json = evrec__arena_strndup(a, (const char *)b + 12, jl);
  void *schema = evrec__arena_alloc(a, len - 16 - jl);
  if (!json || !schema) return EVREC_E_NOMEM;
  memcpy(schema, b + 16 + jl, len - 16 - jl);
  ProtobufCMessage *m = NULL;
  evrec_error e;
  int rc = evrec_json_decode(&m, &google__protobuf__struct__descriptor, json, jl, a, NULL, &e);
  if (rc == EVREC_E_NOMEM) return rc;
  if (rc) return snprintf(why, WHY_MAX, "header JSON: %.80s", e.message), EVREC_E_CORRUPT;
  const Google__Protobuf__Struct *s = (const Google__Protobuf__Struct *)m;
  for (size_t i = 0; i < s->n_fields; i++)
    if ((rc = header_field(h, s->fields[i], a, why)) != EVREC_OK) return rc;
  if (!h->record_type || !h->meta_keys) return snprintf(why, WHY_MAX, "header lacks recordType or metadata"), EVREC_E_CORRUPT;
  h->json = json;
  h->json_len = jl;
  h->schema = schema;
  h->schema_len = len - 16 - jl;
  if (!h->creator) h->creator = "";
  if (!h->created_at) h->created_at = "";
  return EVREC_OK;
}

/* ====================================================================== */
/* Index blob                                                             */
/* ====================================================================== */

typedef struct blk {
  uint64_t off;   /* absolute file offset of the data member */
  uint64_t first; /* ordinal of its first record in the section */
  uint32_t nrec, bsize;
} blk;

typedef struct idh {
  uint64_t hash;
  uint32_t block;
} idh;

typedef struct index_tab {
  blk *blocks;
  size_t nblocks, cap_blocks;
  idh *ids;
  size_t nids, cap_ids;
} index_tab;

static void index_free(index_tab *t) {
  free(t->blocks);
  free(t->ids);
  memset(t, 0, sizeof *t);
}

static int idh_cmp(const void *a, const void *b) {
  const idh *x = a, *y = b;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  return x->block < y->block ? -1 : x->block > y->block;
}

/* Appends the "EVRX" blob for an index that starts at idx_off. */
static bool index_blob(evrec__buf *b, index_tab *t, uint64_t idx_off) {
  size_t len = 24 + t->nblocks * 24 + t->nids * 12;
  if (!evrec__buf_reserve(b, len)) return false;
  uint8_t *p = (uint8_t *)b->data + b->len;
  memcpy(p, "EVRX\1\0\0\0", 8);
  put64(p + 8, t->nblocks);
  put64(p + 16, t->nids);
  p += 24;
  for (size_t i = 0; i < t->nblocks; i++, p += 24) {
    put64(p, idx_off - t->blocks[i].off);
    put64(p + 8, t->blocks[i].first);
    put32(p + 16, t->blocks[i].nrec);
    put32(p + 20, t->blocks[i].bsize);
  }
  if (t->nids) qsort(t->ids, t->nids, sizeof *t->ids, idh_cmp);
  for (size_t i = 0; i < t->nids; i++, p += 12) {
    put64(p, t->ids[i].hash);
    put32(p + 8, t->ids[i].block);
  }
  b->len += len;
  return true;
}

/* Checks one block entry against its neighbours and the section. */
static bool index_block_ok(const index_tab *t, size_t i, uint64_t idx_off, uint64_t records) {
  const blk *k = &t->blocks[i];
  if (k->off > idx_off || k->first > records || k->nrec > records - k->first) return false;
  if (i == 0) return k->first == 0;
  return (k->off > t->blocks[i - 1].off && k->first == t->blocks[i - 1].first + t->blocks[i - 1].nrec);
}

/* Parses the "EVRX" blob of the index at idx_off of a section. */
static int index_parse(index_tab *t, const uint8_t *b, size_t len, uint64_t idx_off,
                       uint64_t records, char *why) {
  memset(t, 0, sizeof *t);
  if (!blob_unseal(b, &len)) return snprintf(why, WHY_MAX, "index checksum mismatch"), EVREC_E_CORRUPT;
  if (len < 24 || memcmp(b, "EVRX", 4) != 0 || b[4] > EVREC_CONTAINER_VERSION)
    return snprintf(why, WHY_MAX, "bad index magic or version"), EVREC_E_CORRUPT;
  uint64_t nb = le64(b + 8), ni = le64(b + 16);
  if (nb > len / 24 || ni > len / 12 || 24 + nb * 24 + ni * 12 != len)
    return snprintf(why, WHY_MAX, "index lengths do not add up"), EVREC_E_CORRUPT;
  t->blocks = malloc((size_t)nb * sizeof *t->blocks + 1);
  t->ids = malloc((size_t)ni * sizeof *t->ids + 1);
  if (!t->blocks || !t->ids) return index_free(t), snprintf(why, WHY_MAX, "out of memory"), EVREC_E_NOMEM;
  t->nblocks = (size_t)nb;
  t->nids = (size_t)ni;
  const uint8_t *p = b + 24;
  for (size_t i = 0; i < t->nblocks; i++, p += 24) {
    t->blocks[i] = (blk){idx_off - le64(p), le64(p + 8), le32(p + 16), le32(p + 20)};
    if (le64(p) > idx_off || !index_block_ok(t, i, idx_off, records))
      return index_free(t), snprintf(why, WHY_MAX, "index entry %zu is inconsistent", i), EVREC_E_CORRUPT;
  }
  for (size_t i = 0; i < t->nids; i++, p += 12) {
    t->ids[i] = (idh){le64(p), le32(p + 8)};
    if (t->ids[i].block >= nb || (i && idh_cmp(&t->ids[i - 1], &t->ids[i]) > 0))
      return index_free(t), snprintf(why, WHY_MAX, "index id entry %zu is inconsistent", i), EVREC_E_CORRUPT;
  }
  return EVREC_OK;
}

/* ====================================================================== */
/* Writer: state and options                                              */
/* ====================================================================== */

typedef enum slot_state { S_FREE, S_QUEUED, S_BUSY, S_DONE } slot_state;

/* One block in flight: records in, member out. */
typedef struct slot {
  evrec__buf in, out;
  uint32_t nrec;
  uint64_t seq;
  slot_state state;
  int rc;
} slot;

typedef struct worker {
  struct evr__writer *w;
  evr__deflater *z;
  bool started;
  pthread_t tid;
} worker;

struct evr__writer {
  int level;
  size_t block_size, max_record;
  evr__emit_fn emit;
  void *ctx;
  char created_at[64];
  char **keys, **vals; /* metadata, sorted by key */
  size_t n_meta;

  const ProtobufCMessageDescriptor *type; /* of the first record */
  const ProtobufCFieldDescriptor *id_field;
  bool valid_utf8;    /* EVREC_WRITE_VALID_UTF8 */
  char *append_type;  /* recordType of the section appended to */
  bool header_done;

  evrec__buf cur;     /* the block being filled: pbd bytes */
  uint32_t cur_nrec;
  slot *slots;
  unsigned nslots;    /* SLOTS_PER_THREAD x threads; 1 when inline */
  worker *workers;    /* nworkers threads started of nthreads; none = inline */
  unsigned nworkers, nthreads;
  evr__deflater *z;   /* the inline compressor */
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  bool sync_ok, stop;
  uint64_t next_seq, next_emit;

  uint64_t pos;          /* file offset of the next byte emitted */
  uint64_t section_start;
  uint64_t records;      /* records of the section already emitted */
  size_t base_blocks;    /* blocks carried over from an appended-to file */
  index_tab ix;
};

static int meta_entry_cmp(const void *a, const void *b) {
  return strcmp(**(char *const *const *)a, **(char *const *const *)b);
}

/* Splits "key=value" strings, sorts them by key, rejects bad entries. */
static int wr_meta(evr__writer *w, const char *const *meta, size_t n, evrec_error *err) {
  w->keys = calloc(n + 1, sizeof *w->keys);
  w->vals = calloc(n + 1, sizeof *w->vals);
  if (!w->keys || !w->vals) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const char *eq = meta[i] ? strchr(meta[i], '=') : NULL;
    if (!eq || eq == meta[i])
      return evrec__err(err, EVREC_E_INVALID_ARG, "metadata \"%s\" is not key=value with a non-empty key",
                        meta[i] ? meta[i] : "(null)");
    if (evrec__utf8_valid_prefix(meta[i], strlen(meta[i])) != strlen(meta[i]))
      return evrec__err(err, EVREC_E_INVALID_ARG, "metadata entry %zu is not valid UTF-8", i);
    w->keys[i] = strndup(meta[i], (size_t)(eq - meta[i]));
    w->vals[i] = strdup(eq + 1);
    w->n_meta = i + 1;
    if (!w->keys[i] || !w->vals[i]) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  }
  /* sort keys and values together through an index of key pointers */
  char ***order = malloc((n + 1) * sizeof *order);
  char **k2 = malloc((n + 1) * sizeof *k2), **v2 = malloc((n + 1) * sizeof *v2);
  int rc = EVREC_OK;
  if (!order || !k2 || !v2) rc = evrec__err(err, EVREC_E_NOMEM, "out of memory");
  for (size_t i = 0; rc == EVREC_OK && i < n; i++) order[i] = &w->keys[i];
  if (rc == EVREC_OK) qsort(order, n, sizeof *order, meta_entry_cmp);
  for (size_t i = 0; rc == EVREC_OK && i < n; i++) {
    size_t j = (size_t)(order[i] - w->keys);
    k2[i] = w->keys[j];
    v2[i] = w->vals[j];
    if (i && strcmp(k2[i - 1], k2[i]) == 0)
      rc = evrec__err(err, EVREC_E_INVALID_ARG, "metadata key \"%s\" given twice", k2[i]);
  }
  if (rc == EVREC_OK) memcpy(w->keys, k2, n * sizeof *k2), memcpy(w->vals, v2, n * sizeof *v2);
  free(order);
  free(k2);
  free(v2);
  return rc;
}

/* createdAt: the caller's, else now in UTC seconds. */
static int wr_created(evr__writer *w, const char *given, evrec_error *err) {
  if (given) {
    size_t n = strlen(given);
    if (n == 0 || n >= sizeof w->created_at || evrec__utf8_valid_prefix(given, n) != n)
      return evrec__err(err, EVREC_E_INVALID_ARG, "created_at must be an RFC 3339 time");
    memcpy(w->created_at, given, n + 1);
    return EVREC_OK;
  }
  time_t now = time(NULL);
  struct tm tm;
  if (!gmtime_r(&now, &tm) || !strftime(w->created_at, sizeof w->created_at, "%Y-%m-%dT%H:%M:%SZ", &tm))
    return evrec__err(err, EVREC_E_IO, "cannot read the clock");
  return EVREC_OK;
}

static int wr_options(evr__writer *w, const evrec_writer_options *o, evrec_error *err) {
  if (o->level < -1 || o->level > 9)
    return evrec__err(err, EVREC_E_INVALID_ARG, "compression level %d is not in 0-9", o->level);
  w->level = o->level < 0 ? DEFAULT_LEVEL : o->level;
  w->block_size = o->block_size ? o->block_size : EVREC_DEFAULT_BLOCK_SIZE;
  if (w->block_size > EVR__MAX_BLOCK_SIZE)
    return evrec__err(err, EVREC_E_INVALID_ARG, "block size %zu exceeds the maximum of %u bytes",
                      w->block_size, EVR__MAX_BLOCK_SIZE);
  w->max_record = o->max_record_size ? o->max_record_size : EVREC_DEFAULT_MAX_RECORD_SIZE;
  if (w->max_record > MAX_WRITER_RECORD)
    return evrec__err(err, EVREC_E_INVALID_ARG, "maximum record size %zu exceeds %u bytes",
                      w->max_record, MAX_WRITER_RECORD);
  int rc = wr_meta(w, o->meta, o->meta ? o->n_meta : 0, err);
  return rc ? rc : wr_created(w, o->created_at, err);
}

/* ====================================================================== */
/* Writer: the compression pool                                           */
/* ====================================================================== */

/* The queued slot with the lowest sequence number, or NULL. */
static slot *oldest_queued(evr__writer *w) {
  slot *best = NULL;
  for (unsigned i = 0; i < w->nslots; i++)
    if (w->slots[i].state == S_QUEUED && (!best || w->slots[i].seq < best->seq)) best = &w->slots[i];
  return best;
}

static void *worker_main(void *arg) {
  worker *k = arg;
  evr__writer *w = k->w;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    slot *s = NULL;
    while (!w->stop && !(s = oldest_queued(w))) pthread_cond_wait(&w->work, &w->mu);
    if (!s) break; /* stopping */
    s->state = S_BUSY;
    pthread_mutex_unlock(&w->mu);
    int rc = compress_member(k->z, &s->in, s->nrec, &s->out);
    pthread_mutex_lock(&w->mu);
    s->rc = rc;
    s->state = S_DONE;
    pthread_cond_broadcast(&w->done);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

static int pool_start(evr__writer *w, unsigned threads, evrec_error *err) {
  w->nslots = threads == 1 ? 1 : SLOTS_PER_THREAD * threads;
  w->slots = calloc(w->nslots, sizeof *w->slots);
  if (!w->slots) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (threads == 1) { /* compress inline: no thread, no locks */
    if (!(w->z = evr__deflater_new(w->level))) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
    return EVREC_OK;
  }
  w->workers = calloc(threads, sizeof *w->workers);
  w->nthreads = w->workers ? threads : 0;
  if (!w->workers || pthread_mutex_init(&w->mu, NULL)) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (pthread_cond_init(&w->work, NULL) || pthread_cond_init(&w->done, NULL))
    return pthread_mutex_destroy(&w->mu), evrec__err(err, EVREC_E_NOMEM, "out of memory");
  w->sync_ok = true;
  for (unsigned i = 0; i < threads; i++) {
    worker *k = &w->workers[i];
    k->w = w;
    if (!(k->z = evr__deflater_new(w->level))) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
    if (pthread_create(&k->tid, NULL, worker_main, k) != 0)
      return evrec__err(err, EVREC_E_NOMEM, "cannot start a compression thread");
    k->started = true;
    w->nworkers = i + 1;
  }
  return EVREC_OK;
}

static void pool_stop(evr__writer *w) {
  if (!w->sync_ok) return;
  pthread_mutex_lock(&w->mu);
  w->stop = true;
  pthread_cond_broadcast(&w->work);
  pthread_mutex_unlock(&w->mu);
  for (unsigned i = 0; i < w->nthreads; i++) {
    if (w->workers[i].started) pthread_join(w->workers[i].tid, NULL);
    evr__deflater_free(w->workers[i].z);
  }
  pthread_cond_destroy(&w->work);
  pthread_cond_destroy(&w->done);
  pthread_mutex_destroy(&w->mu);
  w->sync_ok = false;
}

/* ====================================================================== */
/* Writer: ordered emission                                               */
/* ====================================================================== */

static bool grow(void **arr, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return true;
  size_t c = *cap ? *cap * 2 : 256;
  void *p = realloc(*arr, c * size);
  if (!p) return false;
  *arr = p;
  *cap = c;
  return true;
}

/* Writes a finished data member and enters it into the block table. */
static int emit_block(evr__writer *w, slot *s, evrec_error *err) {
  if (s->rc) return evrec__err(err, s->rc, "cannot compress a block: out of memory");
  if (!grow((void **)&w->ix.blocks, &w->ix.cap_blocks, w->ix.nblocks, sizeof *w->ix.blocks))
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  int rc = w->emit(w->ctx, s->out.data, s->out.len, err);
  if (rc) return rc;
  w->ix.blocks[w->ix.nblocks++] = (blk){w->pos, w->records, s->nrec, (uint32_t)s->out.len};
  w->pos += s->out.len;
  w->records += s->nrec;
  return EVREC_OK;
}

/* Emits block number next_emit, waiting until it is compressed. */
static int emit_next(evr__writer *w, bool wait, bool *emitted, evrec_error *err) {
  slot *s = &w->slots[w->next_emit % w->nslots];
  pthread_mutex_lock(&w->mu);
  while (wait && s->state != S_DONE) pthread_cond_wait(&w->done, &w->mu);
  bool ready = s->state == S_DONE;
  pthread_mutex_unlock(&w->mu);
  *emitted = false;
  if (!ready) return EVREC_OK;
  int rc = emit_block(w, s, err); /* DONE slots belong to the producer */
  pthread_mutex_lock(&w->mu);
  s->state = S_FREE;
  pthread_mutex_unlock(&w->mu);
  w->next_emit++;
  *emitted = true;
  return rc;
}

/* Emits blocks in order until fewer than `outstanding` are in flight; with
 * `wait` false only those already finished. */
static int drain(evr__writer *w, uint64_t outstanding, bool wait, evrec_error *err) {
  bool emitted = true;
  while (emitted && w->next_seq - w->next_emit > outstanding) {
    int rc = emit_next(w, wait, &emitted, err);
    if (rc) return rc;
  }
  return EVREC_OK;
}

/* Hands the current block to a worker (or compresses it inline). */
static int submit(evr__writer *w, evrec_error *err) {
  if (w->cur.len == 0) return EVREC_OK;
  int rc = w->nworkers ? drain(w, w->nslots - 1, true, err) : EVREC_OK;
  if (rc) return rc;
  slot *s = &w->slots[w->next_seq % w->nslots];
  evrec__buf t = s->in; /* swap buffers: no copy, capacity reused */
  s->in = w->cur;
  w->cur = t;
  w->cur.len = 0;
  s->nrec = w->cur_nrec;
  s->seq = w->next_seq++;
  w->cur_nrec = 0;
  if (!w->nworkers) {
    s->rc = compress_member(w->z, &s->in, s->nrec, &s->out);
    w->next_emit++;
    return emit_block(w, s, err);
  }
  pthread_mutex_lock(&w->mu);
  s->state = S_QUEUED;
  pthread_cond_signal(&w->work);
  pthread_mutex_unlock(&w->mu);
  return drain(w, 0, false, err);
}

/* ====================================================================== */
/* Writer: header, records, index, EOF                                    */
/* ====================================================================== */

static int emit_buf(evr__writer *w, evrec__buf *b, evrec_error *err) {
  if (b->oom) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  int rc = w->emit(w->ctx, b->data, b->len, err);
  if (rc == EVREC_OK) w->pos += b->len;
  return rc;
}

static int emit_header(evr__writer *w, const ProtobufCMessageDescriptor *type, evrec_error *err) {
  size_t slen = 0;
  const void *schema = evrec_schema_descriptor_set(&slen);
  if (strcmp(type->package_name, "evrec.v1") != 0) schema = NULL, slen = 0;
  evrec__buf blob, mem;
  evrec__buf_init(&blob);
  evrec__buf_init(&mem);
  header_blob(&blob, type->name, w->created_at, w->keys, w->vals, w->n_meta, schema, slen);
  int rc = blob.oom || !put_blob_members(&mem, EVR__HEADER, 'H', &blob)
               ? evrec__err(err, EVREC_E_NOMEM, "out of memory")
               : emit_buf(w, &mem, err);
  evrec__buf_free(&blob);
  evrec__buf_free(&mem);
  w->header_done = rc == EVREC_OK;
  return rc;
}

/* The top-level string field "id", whose values the index lists. */
static const ProtobufCFieldDescriptor *id_field_of(const ProtobufCMessageDescriptor *d) {
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, "id");
  return f && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED && !evrec__is_oneof(f)
             ? f : NULL;
}

/* Settles the record type at the first record and writes the header. */
static int wr_first(evr__writer *w, const ProtobufCMessageDescriptor *d, evrec_error *err) {
  if (w->append_type && strcmp(w->append_type, d->name) != 0)
    return evrec__err(err, EVREC_E_FORMAT, "cannot append %s records to a container of %s",
                      d->name, w->append_type);
  w->type = d;
  w->id_field = id_field_of(d);
  return w->header_done ? EVREC_OK : emit_header(w, d, err);
}

static int wr_note_id(evr__writer *w, const ProtobufCMessage *msg, evrec_error *err) {
  const char *id = *(char *const *)evrec__field_ptr(msg, w->id_field);
  if (!id || !*id) return EVREC_OK;
  if (!grow((void **)&w->ix.ids, &w->ix.cap_ids, w->ix.nids, sizeof *w->ix.ids))
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  w->ix.ids[w->ix.nids++] = (idh){evr__id_hash(id, strlen(id)), (uint32_t)(w->base_blocks + w->next_seq)};
  return EVREC_OK;
}

int evr__writer_write(evr__writer *w, const ProtobufCMessage *msg, uint64_t index,
                      evrec_error *err) {
  int rc = w->type ? EVREC_OK : wr_first(w, msg->descriptor, err);
  if (rc) return rc;
  if (msg->descriptor != w->type)
    return evrec__err(err, EVREC_E_INVALID_ARG, "record %" PRIu64 " is a %s, the container holds %s",
                      index + 1, msg->descriptor->name, w->type->name);
  if (!w->valid_utf8 && (rc = evrec__check_utf8(msg, err)) != EVREC_OK) return rc;
  /* Pack first (one walk), then check: a record too large is dropped again,
   * one that overflows a non-empty block is packed again into the next one
   * (once per block, cheaper than measuring every record first). */
  size_t mark = w->cur.len, n = evrec__pack_delimited(&w->cur, msg);
  if (n == SIZE_MAX) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (n > w->max_record) {
    w->cur.len = mark;
    return evrec__err(err, EVREC_E_LIMIT, "record %" PRIu64 " of %zu bytes exceeds the maximum record size of %zu bytes",
                      index + 1, n, w->max_record);
  }
  if (mark && w->cur.len > w->block_size) {
    w->cur.len = mark;
    if ((rc = submit(w, err))) return rc;
    if (evrec__pack_delimited(&w->cur, msg) == SIZE_MAX) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  }
  w->cur_nrec++;
  if (w->id_field && (rc = wr_note_id(w, msg, err))) return rc;
  return w->cur.len >= w->block_size ? submit(w, err) : EVREC_OK;
}

int evr__writer_finish(evr__writer *w, evrec_error *err) {
  int rc = w->header_done ? EVREC_OK : emit_header(w, evrec_record_descriptor(), err);
  if (rc == EVREC_OK) rc = submit(w, err);
  if (rc == EVREC_OK && w->nworkers) rc = drain(w, 0, true, err);
  if (rc) return rc;
  uint64_t idx_off = w->pos;
  evrec__buf blob, mem;
  evrec__buf_init(&blob);
  evrec__buf_init(&mem);
  bool ok = index_blob(&blob, &w->ix, idx_off) &&
            put_blob_members(&mem, EVR__INDEX, 'X', &blob);
  uint64_t eof_off = idx_off + mem.len;
  ok = ok && put_eof_member(&mem, eof_off - idx_off, eof_off - w->section_start, w->records);
  rc = ok ? emit_buf(w, &mem, err) : evrec__err(err, EVREC_E_NOMEM, "out of memory");
  evrec__buf_free(&blob);
  evrec__buf_free(&mem);
  return rc;
}

int evr__writer_new(evr__writer **out, const evrec_writer_options *opts, evr__emit_fn emit,
                    void *ctx, evrec_error *err) {
  evr__writer *w = calloc(1, sizeof *w);
  *out = w;
  if (!w) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  w->emit = emit;
  w->ctx = ctx;
  w->valid_utf8 = (opts->flags & EVREC_WRITE_VALID_UTF8) != 0;
  int rc = wr_options(w, opts, err);
  if (rc) return rc;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned threads = opts->threads ? opts->threads : cores > 0 ? (unsigned)cores : 1;
  return pool_start(w, threads > MAX_THREADS ? MAX_THREADS : threads, err);
}

void evr__writer_free(evr__writer *w) {
  if (!w) return;
  pool_stop(w);
  evr__deflater_free(w->z);
  for (unsigned i = 0; w->slots && i < w->nslots; i++) {
    evrec__buf_free(&w->slots[i].in);
    evrec__buf_free(&w->slots[i].out);
  }
  for (size_t i = 0; i < w->n_meta; i++) free(w->keys[i]), free(w->vals[i]);
  free(w->keys);
  free(w->vals);
  free(w->slots);
  free(w->workers);
  free(w->append_type);
  evrec__buf_free(&w->cur);
  index_free(&w->ix);
  free(w);
}

/* ====================================================================== */
/* Writer: appending to an existing file                                  */
/* ====================================================================== */

static int pread_all(int fd, uint64_t off, void *dst, size_t n) {
  uint8_t *p = dst;
  while (n > 0) {
    ssize_t k = pread(fd, p, n, (off_t)off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return k < 0 ? errno : EIO;
    p += k;
    off += (uint64_t)k;
    n -= (size_t)k;
  }
  return 0;
}

/* Reads the member at `off` of a file into `buf` and, when it is of
 * `kind`, verifies it (else EVREC_DONE). */
static int pread_member(int fd, uint64_t off, uint64_t size, int kind, evrec__buf *buf,
                        member *m, evr__inflater *z, evrec__buf *payload) {
  memset(m, 0, sizeof *m);
  m->off = off;
  size_t have = 0, need = EVR__FIXED;
  head_rc hr = HEAD_MORE;
  while (hr == HEAD_MORE || have < m->bsize) {
    if (hr == HEAD_OK) need = m->bsize;
    if (need > size - off) return head_bad(m, "member runs past the end of the file"), EVREC_E_CORRUPT;
    if (!evrec__buf_reserve(buf, need)) return EVREC_E_NOMEM;
    int e = pread_all(fd, off, buf->data, need);
    if (e) return head_bad(m, strerror(e)), EVREC_E_IO;
    have = need;
    hr = head_parse(m, (const uint8_t *)buf->data, have, UINT32_MAX, &need);
    if (hr == HEAD_BAD) return EVREC_E_CORRUPT;
    if (hr == HEAD_OK && m->kind != kind) return EVREC_DONE;
  }
  return member_check(m, z, (const uint8_t *)buf->data, 0, payload);
}

/* Concatenates the blobs of consecutive members of `kind` from `off`. */
static int pread_blob(int fd, uint64_t off, uint64_t end, int kind, evrec__buf *blob, member *m,
                      evr__inflater *z) {
  evrec__buf buf, payload;
  evrec__buf_init(&buf);
  evrec__buf_init(&payload);
  int rc = EVREC_OK;
  while (rc == EVREC_OK && off < end) {
    rc = pread_member(fd, off, end, kind, &buf, m, z, &payload);
    if (rc == EVREC_DONE) {
      rc = EVREC_OK;
      break;
    }
    if (rc == EVREC_OK && !evrec__buf_append(blob, buf.data + m->blob_at, m->blob_len)) rc = EVREC_E_NOMEM;
    off += m->bsize;
  }
  evrec__buf_free(&buf);
  evrec__buf_free(&payload);
  return rc;
}

/* The EOF member at the end: index and section positions. */
static int append_eof(int fd, uint64_t size, uint64_t ee[3], evr__inflater *z, member *m) {
  evrec__buf buf, payload;
  evrec__buf_init(&buf);
  evrec__buf_init(&payload);
  int rc = size < EVR__EOF_SIZE ? EVREC_E_CORRUPT
                                : pread_member(fd, size - EVR__EOF_SIZE, size, EVR__EOF, &buf, m, z, &payload);
  if (rc == EVREC_DONE || (rc == EVREC_OK && m->bsize != EVR__EOF_SIZE)) rc = EVREC_E_CORRUPT;
  for (int i = 0; rc == EVREC_OK && i < 3; i++) ee[i] = le64((const uint8_t *)buf.data + m->blob_at + 8 * i);
  evrec__buf_free(&buf);
  evrec__buf_free(&payload);
  return rc;
}

/* Loads the old index and header of the last section of the file. On
 * failure `why` says what is wrong and *at (when known) where. */
static int append_load(evr__writer *w, int fd, uint64_t size, evr__inflater *z, char *why,
                       uint64_t *at) {
  uint64_t ee[3];
  member m;
  int rc = append_eof(fd, size, ee, z, &m);
  uint64_t eof_off = size - EVR__EOF_SIZE;
  if (rc) return snprintf(why, WHY_MAX, "no intact EOF member at its end (truncated or damaged)"), rc;
  *at = eof_off;
  if (ee[0] == 0 || ee[0] > eof_off || ee[1] > eof_off)
    return snprintf(why, WHY_MAX, "its EOF member has no index or bad positions"), EVREC_E_CORRUPT;
  w->section_start = eof_off - ee[1];
  evrec__buf blob;
  evrec__buf_init(&blob);
  *at = eof_off - ee[0];
  rc = pread_blob(fd, eof_off - ee[0], eof_off, EVR__INDEX, &blob, &m, z);
  if (rc == EVREC_OK) rc = index_parse(&w->ix, (const uint8_t *)blob.data, blob.len, eof_off - ee[0], ee[2], why);
  else snprintf(why, WHY_MAX, "index member: %.80s", m.why), *at = m.off;
  w->ix.cap_blocks = w->ix.nblocks;
  w->ix.cap_ids = w->ix.nids;
  blob.len = 0;
  evrec_container_header h;
  evrec_arena *a = rc == EVREC_OK ? evrec_arena_new(0) : NULL;
  if (rc == EVREC_OK && !a) rc = EVREC_E_NOMEM;
  if (rc == EVREC_OK) {
    *at = w->section_start;
    rc = pread_blob(fd, w->section_start, eof_off, EVR__HEADER, &blob, &m, z);
    if (rc) snprintf(why, WHY_MAX, "header member: %.80s", m.why), *at = m.off;
  }
  if (rc == EVREC_OK) rc = header_parse(&h, (const uint8_t *)blob.data, blob.len, a, why);
  if (rc == EVREC_OK && !(w->append_type = strdup(h.record_type))) rc = EVREC_E_NOMEM;
  evrec_arena_free(a);
  evrec__buf_free(&blob);
  w->records = ee[2];
  w->base_blocks = w->ix.nblocks;
  return rc;
}

int evr__writer_append(evr__writer *w, int fd, const char *name, evrec_error *err) {
  off_t end = lseek(fd, 0, SEEK_END);
  if (end < 0) return evrec__err(err, EVREC_E_IO, "cannot seek in %s: %s", name, strerror(errno));
  if (end == 0) return EVREC_OK; /* a new file: written from scratch */
  evr__inflater *z = evr__inflater_new();
  if (!z) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  char why[WHY_MAX] = "";
  uint64_t at = EVREC_UNKNOWN;
  int rc = append_load(w, fd, (uint64_t)end, z, why, &at);
  evr__inflater_free(z);
  if (rc == EVREC_E_NOMEM) return evrec__err(err, rc, "out of memory");
  if (rc == EVREC_E_IO) return evrec__err(err, rc, "cannot append to %s: %s", name, why);
  if (rc) {
    evrec__err(err, EVREC_E_CORRUPT, "cannot append to %s: %s", name, why);
    if (err) err->offset = at;
    return EVREC_E_CORRUPT;
  }
  w->pos = (uint64_t)end;
  w->header_done = true;
  return EVREC_OK;
}

/* ====================================================================== */
/* Reader: state                                                          */
/* ====================================================================== */

/* The read-ahead: up to AHEAD_SLOTS members after the read position are
 * inflated, checked and decoded by worker threads, one slot per worker, in
 * file order starting at slot `head`. A slot's fields belong to the workers
 * while `queued` is set (to one worker while `busy`), else to the reader. */
#define AHEAD_SLOTS 2
/* Bounds on what a slot decodes ahead (slot_decode). */
#define AHEAD_MAX_RECORDS 65536u
#define AHEAD_MAX_BYTES (16u * 1024u * 1024u)

typedef struct aslot {
  bool queued, busy;
  evr__inflater *z;
  member m;            /* the member read ahead, with its result */
  int rc;
  evrec__buf raw;      /* a copy of its bytes */
  evrec__buf payload;  /* its inflated payload */
  evrec_arena *arena;  /* its decoded records (recycled, not reset, per block) */
  const ProtobufCMessage **msgs;
  size_t cap_msgs;
  uint32_t ndec;       /* records decoded: msgs[0 .. ndec) */
} aslot;

typedef struct ahead {
  int mode;            /* 0 = not decided yet, 1 = on, -1 = off */
  bool sync_ok, stop, decode;
  unsigned nslots;     /* = workers started */
  unsigned head, n;    /* slot of the next member; slots in use */
  pthread_t tid[AHEAD_SLOTS];
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint64_t plimit;
  size_t max_record, max_string;
  const ProtobufCMessageDescriptor *type;
  aslot s[AHEAD_SLOTS];
} ahead;

/* One section of a file, for random access. */
typedef struct section {
  uint64_t start, eof_off, index_off, records, first;
  bool loaded;
  index_tab ix;
} section;

struct evr__reader {
  evr__io io;
  const ProtobufCMessageDescriptor *type;
  const ProtobufCFieldDescriptor *id_field;
  size_t max_record, max_string, max_block_records;
  uint64_t plimit, blimit; /* payload (max_block_size) and member size limits */
  uint64_t max_index, index_bytes; /* index loaded so far, all sections */
  unsigned flags;
  evr__inflater *z;

  member cur;          /* validated member at the read position */
  bool loaded;         /* cur is loaded but not yet consumed */
  evrec__buf payload;  /* its inflated payload */
  size_t rpos;         /* next record in the payload of the accepted block */
  evrec_arena *dec_arena; /* records of the block decoded by the read-ahead */
  const ProtobufCMessage **dec_msgs;
  size_t dec_cap;
  uint32_t ndec;       /* how many: dec_msgs[0 .. ndec) */
  uint32_t rleft;      /* records left in it */
  uint64_t block_off;
  bool have_block;     /* payload holds the block at block_off, and the
                        * input stands right after it (random access reuses it) */
  uint64_t block_no;   /* data blocks passed, damaged ones included */
  int last_kind;       /* of the last accepted member; -1 = none */
  bool resync;         /* after damage: search for the next member first */

  bool record_failed;  /* the last next() failed on one undecodable record */
  int pending;         /* a damaged header found at open under SKIP_DAMAGE: */
  evrec_error pending_err; /* reported by the first next(), then reading goes on */
  evrec__buf hacc;     /* EH chunks of consecutive header members */
  uint64_t hacc_off;
  bool have_header;
  evrec_container_header header;
  evrec_arena *harena, *scratch;
  evrec_reader_stats st;

  section *secs;       /* random access, loaded on first use */
  size_t nsecs;
  ahead ra;            /* read-ahead of the next member */
  uint64_t ahead_end;  /* evrec_reader_seek_block(): no read-ahead from here on */
};

int evr__reader_new(evr__reader **out, const evr__io *io, const ProtobufCMessageDescriptor *type,
                    const evr__limits *lim, unsigned flags, evrec_error *err) {
  evr__reader *c = calloc(1, sizeof *c);
  *out = c;
  if (!c) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  c->io = *io;
  c->type = type;
  c->id_field = id_field_of(type);
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

static void ahead_stop(ahead *a);

void evr__reader_free(evr__reader *c) {
  if (!c) return;
  ahead_stop(&c->ra);
  evr__inflater_free(c->z);
  evrec_arena_free(c->dec_arena);
  free(c->dec_msgs);
  evrec__buf_free(&c->payload);
  evrec__buf_free(&c->hacc);
  evrec_arena_free(c->harena);
  evrec_arena_free(c->scratch);
  for (size_t i = 0; i < c->nsecs; i++) index_free(&c->secs[i].ix);
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
 * *p points at its first byte. Same results as load_member(), which ends
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
    head_rc hr = head_parse(m, p, avail, c->blimit, &need);
    if (hr == HEAD_BAD) return EVREC_E_CORRUPT;
    if (hr == HEAD_OK) need = m->bsize;
    if (avail >= need) break;
    if (avail < want) return EVREC_E_TRUNCATED; /* the input ended */
    want = need;
  }
  *pp = p;
  return EVREC_OK;
}

/* ====================================================================== */
/* Reader: read-ahead                                                     */
/* ====================================================================== */

/* A slot's worker inflates and checks its member, then decodes the records
 * of a data block into the slot's arena. Decoding stops at the first record
 * that fails (or exceeds max_record): next_record() decodes that one and the
 * rest again on the reader's thread, so errors read exactly as without
 * read-ahead. */
static void slot_decode(ahead *a, aslot *s) {
  s->ndec = 0;
  evrec__arena_recycle(s->arena); /* its largest block again: no fresh pages per block */
  if (!a->decode || s->m.kind != EVR__DATA || s->rc != EVREC_OK || s->m.nrec == 0) return;
  /* only now is the payload known to be non-empty (data may be NULL else) */
  const uint8_t *p = (const uint8_t *)s->payload.data, *end = p + s->payload.len;
  /* Decoded records may take more room than their block (a large block of
   * empty records: one message struct each): decoding ahead stops at
   * AHEAD_MAX_RECORDS records or AHEAD_MAX_BYTES of arena, whichever comes
   * first, and the reader decodes the rest itself, one at a time. */
  uint32_t n = s->m.nrec < AHEAD_MAX_RECORDS ? s->m.nrec : AHEAD_MAX_RECORDS;
  if (s->cap_msgs < n) {
    const ProtobufCMessage **v = realloc(s->msgs, n * sizeof *v);
    if (!v) return;
    s->msgs = v;
    s->cap_msgs = n;
  }
  for (uint32_t i = 0; i < n; i++) {
    uint64_t len;
    int h = evrec__varint_get(p, (size_t)(end - p), &len); /* checked by member_check */
    ProtobufCMessage *msg;
    if (len > a->max_record || evrec__arena_used(s->arena) > AHEAD_MAX_BYTES ||
        evrec__pb_decode_ex(&msg, a->type, p + h, (size_t)len, s->arena, a->max_string, NULL) != EVREC_OK)
      return;
    s->msgs[i] = msg;
    s->ndec = i + 1;
    p += (size_t)h + (size_t)len;
  }
}

static void *ahead_main(void *arg) {
  ahead *a = arg;
  pthread_mutex_lock(&a->mu);
  for (;;) {
    aslot *s = NULL;
    for (unsigned i = 0; !a->stop && i < AHEAD_SLOTS && !s; i++) /* not nslots: it grows */
      if (a->s[i].queued && !a->s[i].busy) s = &a->s[i];
    if (a->stop) break;
    if (!s) {
      pthread_cond_wait(&a->cv, &a->mu);
      continue;
    }
    s->busy = true;
    pthread_mutex_unlock(&a->mu);
    s->rc = member_check(&s->m, s->z, (const uint8_t *)s->raw.data, a->plimit, &s->payload);
    slot_decode(a, s);
    pthread_mutex_lock(&a->mu);
    s->queued = s->busy = false;
    pthread_cond_broadcast(&a->cv);
  }
  pthread_mutex_unlock(&a->mu);
  return NULL;
}

static bool slot_init(aslot *s) {
  s->arena = evrec_arena_new(0);
  s->z = s->arena ? evr__inflater_new() : NULL;
  return s->z != NULL;
}

/* Decides once whether to read ahead and starts the workers: one per slot,
 * two slots on a machine with two or more cores. Any failure only turns
 * the read-ahead off (or leaves fewer workers): reading goes on. */
static bool ahead_on(evr__reader *c) {
  ahead *a = &c->ra;
  if (a->mode) return a->mode > 0;
  uint64_t size;
  evrec_error e;
  a->mode = -1;
  if (c->io.size(c->io.ctx, &size, &e) != EVREC_OK) return false; /* a pipe */
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  a->plimit = c->plimit;
  a->max_record = c->max_record;
  a->max_string = c->max_string;
  a->type = c->type;
  a->decode = true;
  /* The reader's arena for a block decoded ahead: it swaps with a slot's
   * on every take, so each slot always has one. */
  if (!c->dec_arena && !(c->dec_arena = evrec_arena_new(0))) return false;
  if (pthread_mutex_init(&a->mu, NULL)) return false;
  if (pthread_cond_init(&a->cv, NULL)) return pthread_mutex_destroy(&a->mu), false;
  a->sync_ok = true;
  unsigned want = cores >= 2 ? AHEAD_SLOTS : 1;
  while (a->nslots < want && slot_init(&a->s[a->nslots]) &&
         pthread_create(&a->tid[a->nslots], NULL, ahead_main, a) == 0)
    a->nslots++;
  if (a->nslots == 0) return false;
  a->mode = 1;
  return true;
}

/* Offset, relative to the read position, of the first member not yet
 * handed to a slot. */
static size_t ahead_skip(const ahead *a) {
  size_t skip = 0;
  for (unsigned i = 0; i < a->n; i++) skip += a->s[(a->head + i) % a->nslots].m.bsize;
  return skip;
}

/* Parses the member `skip` bytes past the read position, if it is all
 * buffered-able and its header parses. */
static bool ahead_member(evr__reader *c, size_t skip, member *m, const uint8_t **pp) {
  const uint8_t *p;
  size_t avail, want = EVR__FIXED, need = 0;
  evrec_error e;
  memset(m, 0, sizeof *m);
  m->off = c->io.tell(c->io.ctx) + skip;
  for (;;) {
    if (c->io.peek(c->io.ctx, skip + want, &p, &avail, &e) != EVREC_OK || avail <= skip) return false;
    avail -= skip;
    m->end = m->off + avail;
    head_rc hr = head_parse(m, p + skip, avail, c->blimit, &need);
    if (hr == HEAD_BAD) return false;
    if (hr == HEAD_OK) need = m->bsize;
    if (avail >= need) break;
    if (avail < want) return false; /* the input ends: left to the synchronous load */
    want = need;
  }
  *pp = p + skip;
  return true;
}

/* After a data block was accepted: hands the next members, while they are
 * all there and their headers parse, to free slots. Errors are left for the
 * synchronous load to meet and report. */
static void ahead_start(evr__reader *c) {
  ahead *a = &c->ra;
  if (!ahead_on(c)) return;
  while (a->n < a->nslots) {
    aslot *s = &a->s[(a->head + a->n) % a->nslots];
    const uint8_t *p;
    if (!ahead_member(c, ahead_skip(a), &s->m, &p)) return;
    if (c->ahead_end > c->block_off && s->m.off >= c->ahead_end) return; /* past the run */
    s->raw.len = 0;
    if (!evrec__buf_append(&s->raw, p, s->m.bsize)) return;
    a->n++;
    pthread_mutex_lock(&a->mu);
    s->queued = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    if (s->m.kind != EVR__DATA) return; /* the index or EOF: the section ends */
  }
}

static void slot_wait(ahead *a, aslot *s) {
  pthread_mutex_lock(&a->mu);
  while (s->queued) pthread_cond_wait(&a->cv, &a->mu);
  pthread_mutex_unlock(&a->mu);
}

static void ahead_stop(ahead *a) {
  if (a->sync_ok) {
    pthread_mutex_lock(&a->mu);
    a->stop = true; /* queued members are dropped, running ones finish */
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    for (unsigned i = 0; i < a->nslots; i++) pthread_join(a->tid[i], NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
  }
  for (unsigned i = 0; i < AHEAD_SLOTS; i++) {
    aslot *s = &a->s[i];
    evr__inflater_free(s->z);
    evrec_arena_free(s->arena);
    free(s->msgs);
    evrec__buf_free(&s->raw);
    evrec__buf_free(&s->payload);
  }
}

/* Takes the read-ahead result if it is for the member at the read
 * position: true and *rc set, the payload and any decoded records made the
 * current block's; false otherwise (all slots dropped: the reader seeked). */
static bool ahead_take(evr__reader *c, member *m, int *rc, evrec_error *err) {
  ahead *a = &c->ra;
  c->ndec = 0;
  if (!a->n) return false;
  aslot *s = &a->s[a->head];
  slot_wait(a, s);
  if (s->m.off != c->io.tell(c->io.ctx)) {
    for (; a->n; a->n--, a->head = (a->head + 1) % a->nslots) slot_wait(a, &a->s[a->head]);
    return false;
  }
  a->head = (a->head + 1) % a->nslots;
  a->n--;
  const uint8_t *p;
  size_t avail;
  *rc = c->io.peek(c->io.ctx, s->m.bsize, &p, &avail, err); /* buffered: no I/O */
  if (*rc) return true;
  *m = s->m;
  evrec__buf t = c->payload; /* swap: the caller's block is done with */
  c->payload = s->payload;
  s->payload = t;
  evrec_arena *ar = c->dec_arena;
  c->dec_arena = s->arena;
  s->arena = ar;
  const ProtobufCMessage **v = c->dec_msgs;
  size_t cap = c->dec_cap;
  c->dec_msgs = s->msgs;
  c->dec_cap = s->cap_msgs;
  c->ndec = s->ndec;
  s->msgs = v;
  s->cap_msgs = cap;
  *rc = s->rc;
  return true;
}

/* Validates the member at the read position without consuming it.
 * @return EVREC_OK, EVREC_DONE (no bytes left), EVREC_E_CORRUPT (m->why),
 *         EVREC_E_TRUNCATED (m->end), EVREC_E_LIMIT (err filled: a data
 *         block over max_block_size or max_block_records), or an I/O or
 *         memory error. */
static int load_member(evr__reader *c, member *m, evrec_error *err) {
  const uint8_t *p = NULL;
  int rc;
  c->have_block = false; /* the payload is about to be replaced */
  if (!ahead_take(c, m, &rc, err)) {
    rc = member_bytes(c, m, &p, err);
    if (rc == EVREC_OK) rc = member_check(m, c->z, p, c->plimit, &c->payload);
  }
  if (rc == EVREC_OK && m->kind == EVR__DATA && m->nrec > c->max_block_records) {
    snprintf(m->why, sizeof m->why, "%" PRIu32 " records exceed the limit of %zu per block "
             "(max_block_records)", m->nrec, c->max_block_records);
    rc = EVREC_E_LIMIT;
  }
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
static int accept_member(evr__reader *c, bool go_on, evrec_error *err) {
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
  if (m->kind == EVR__DATA && go_on) ahead_start(c);
  return EVREC_OK;
}

static int fail_at(evrec_error *err, int code, uint64_t off, const char *fmt, ...) EVREC__PRINTF(4, 5);

static int fail_at(evrec_error *err, int code, uint64_t off, const char *fmt, ...) {
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
  int rc = header_parse(&h, (const uint8_t *)c->hacc.data, c->hacc.len, a, why);
  c->hacc.len = 0;
  if (rc == EVREC_E_NOMEM) return evrec__err(err, rc, "out of memory");
  if (rc) {
    c->st.damaged_blocks++;
    return fail_at(err, EVREC_E_CORRUPT, c->hacc_off, "header: %s; records lost: 0", why);
  }
  if (strcmp(h.record_type, c->type->name) != 0)
    return fail_at(err, EVREC_E_FORMAT, c->hacc_off, "the container holds %.80s records, not %.80s",
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
    rc = load_member(c, &c->cur, err);
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
    return fail_at(err, EVREC_E_CORRUPT, m->off, "block %" PRIu64 ": %s; records lost: unknown",
                   b, m->why);
  c->st.records_lost += m->nrec;
  return fail_at(err, EVREC_E_CORRUPT, m->off, "block %" PRIu64 ": %s; %" PRIu32 " %s lost",
                 b, m->why, m->nrec, evrec__plural(m->nrec, "record", "records"));
}

static int truncated(evr__reader *c, uint64_t end, evrec_error *err) {
  c->st.truncated = 1;
  return fail_at(err, EVREC_E_TRUNCATED, end, "truncated (no EOF member)");
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
    rc = load_member(c, &c->cur, err);
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
  return rc ? rc : accept_member(c, true, err);
}

static int next_record(evr__reader *c, evrec_arena *arena, const ProtobufCMessage **msg,
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
    return fail_at(err, EVREC_E_LIMIT, c->block_off, "record of %" PRIu64 " bytes exceeds the limit of %zu bytes "
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
  return next_record(c, arena, msg, err);
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
    head_rc hr = head_parse(&m, p, avail, c->blimit, &need);
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
    if (!c->loaded) rc = load_member(c, &c->cur, err);
    c->loaded = rc == EVREC_OK;
    if (!c->loaded || c->cur.kind != EVR__HEADER) break;
    rc = accept_member(c, false, err); /* a header member */
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
  if (rc == EVREC_E_CORRUPT) return c->pending = rc, EVREC_OK; /* told by next() */
  if (rc && err) *err = c->pending_err;
  return rc;
}

/* ====================================================================== */
/* Reader: random access                                                  */
/* ====================================================================== */

/* Seeks to `off` and loads the member there, which must be of `kind`. */
static int load_at(evr__reader *c, uint64_t off, int kind, evrec_error *err) {
  c->loaded = false;
  c->rleft = 0;
  int rc = c->io.seek(c->io.ctx, off, err);
  if (rc) return rc;
  rc = load_member(c, &c->cur, err);
  if (rc == EVREC_OK && c->cur.kind != kind) snprintf(c->cur.why, WHY_MAX, "unexpected member kind %u", c->cur.kind);
  if (rc == EVREC_OK && c->cur.kind == kind) return c->loaded = true, EVREC_OK;
  if (rc == EVREC_E_NOMEM || rc == EVREC_E_IO || rc == EVREC_E_LIMIT) return rc;
  if (rc == EVREC_DONE || rc == EVREC_E_TRUNCATED) snprintf(c->cur.why, WHY_MAX, "member runs past the end of the file");
  return fail_at(err, EVREC_E_CORRUPT, off, "random access: %s", c->cur.why);
}

/* Reads the EOF member ending at `end` into a section. */
static int read_section(evr__reader *c, uint64_t end, section *s, evrec_error *err) {
  if (end < EVR__EOF_SIZE)
    return fail_at(err, EVREC_E_CORRUPT, end, "random access: no room for an EOF member before here");
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
    return fail_at(err, EVREC_E_CORRUPT, s->eof_off, "random access: EOF member with bad positions");
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
    if (!grow((void **)&v, &cap, n, sizeof *v)) rc = evrec__err(err, EVREC_E_NOMEM, "out of memory");
    else if ((rc = read_section(c, end, &v[n], err)) == EVREC_OK) end = v[n++].start;
  }
  if (rc) return free(v), rc;
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
    return fail_at(err, EVREC_E_CORRUPT, s->eof_off, "random access: the section of this EOF member has no index");
  uint64_t size = s->eof_off - s->index_off; /* checked before anything is read */
  char before[64] = "";
  if (c->index_bytes) snprintf(before, sizeof before, ", with the %" PRIu64 " loaded before,", c->index_bytes);
  if (size > c->max_index - c->index_bytes)
    return fail_at(err, EVREC_E_LIMIT, s->index_off, "random access: index of %" PRIu64
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
  if (rc == EVREC_OK && (rc = index_parse(&s->ix, (const uint8_t *)blob.data, blob.len, s->index_off, s->records, why)))
    fail_at(err, rc, s->index_off, "random access: index: %s", why);
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
    return fail_at(err, EVREC_E_CORRUPT, c->cur.off, "random access: block disagrees with the index");
  if (rc) return rc;
  c->hacc.len = 0;
  c->resync = false;
  c->block_no = b;
  return accept_member(c, false, err);
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
  if (i == c->nsecs)
    return evrec__err(err, EVREC_E_NOT_FOUND, "record %" PRIu64 " does not exist (the file holds %" PRIu64 ")",
                      ordinal + 1, c->nsecs ? c->secs[c->nsecs - 1].first + c->secs[c->nsecs - 1].records : 0);
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
    return fail_at(err, EVREC_E_CORRUPT, s->index_off, "random access: the index does not cover record %" PRIu64, ordinal + 1);
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

/* The last value of top-level field `num` (wire type 2) in a record. */
static bool wire_string(const uint8_t *p, size_t n, uint32_t num, const uint8_t **s, size_t *slen) {
  bool found = false;
  size_t at = 0;
  while (at < n) {
    uint64_t tag, v;
    int h = evrec__varint_get(p + at, n - at, &tag);
    if (h <= 0) return false;
    at += (size_t)h;
    switch (tag & 7) {
    case 0: h = evrec__varint_get(p + at, n - at, &v); if (h <= 0) return false; at += (size_t)h; break;
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
    if (wire_string((const uint8_t *)c->payload.data + at + h, (size_t)len, c->id_field->id, &s, &sl) &&
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
        if (idh_cmp(&s->ix.ids[mid], &key) <= 0) lo = mid + 1;
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
  int rc = next_record(c, g->arena, &msg, &e);
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
    return fail_at(err, EVREC_E_CORRUPT, block->offset,
                   "block lies past the end of the file (%" PRIu64 " bytes)", size);
  if ((rc = load_at(c, block->offset, EVR__DATA, err)) != EVREC_OK) return rc;
  if (c->cur.nrec != block->records || c->cur.bsize != block->size) {
    c->loaded = false;
    return fail_at(err, EVREC_E_CORRUPT, block->offset, "block holds %" PRIu32
                   " records in %" PRIu32 " bytes, not the %" PRIu32 " in %" PRIu64 " expected",
                   c->cur.nrec, c->cur.bsize, block->records, block->size);
  }
  c->hacc.len = 0;
  c->resync = false;
  c->ahead_end = end;
  return accept_member(c, true, err);
}
