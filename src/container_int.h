/*
 * container_int.h -- the .evr container's internals, shared by its files.
 *
 * The .evr container is blocked gzip with a self-describing header, a
 * trailing index and an EOF member (docs/FORMAT.md), after the idea of
 * htslib's BGZF. A file is a sequence of gzip members (RFC 1952), so `zcat
 * f.evr` prints the pbd stream of all records. Every member starts with an
 * 'E','V' extra subfield that gives its total size, so a reader can hop
 * member to member without inflating:
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
 * stays valid wherever it lands (cat a.evr b.evr). Block numbers are
 * 0-based data-block ordinals in file order.
 *
 * The files, each with its own design note at the top:
 *
 *   container_member.c     one member: parse and check its head, inflate and
 *                          verify its body, build members (the layout)
 *   container_deflate.c    whole-block deflate, inflate, CRC-32 (libdeflate
 *                          or zlib)
 *   container_header.c     the "EVRH" header blob: write, parse
 *   container_index.c      the "EVRX" index blob: write, parse
 *   container_write.c      the writer: blocks, compression threads, ordered
 *                          output, header, index and EOF member
 *   container_append.c     appending to an existing file
 *   container_read.c       the reader: members in order, records, damage,
 *                          resynchronisation, truncation
 *   container_readahead.c  the reader's workers that inflate and decode
 *                          the blocks after the current one
 *   container_seek.c       random access: sections, indexes, lookups by
 *                          number and id, block ranges
 *
 * container.h is the interface reader.c and writer.c see; this header is
 * for the container's own files only.
 */
#ifndef EVREC_CONTAINER_INT_H
#define EVREC_CONTAINER_INT_H

#include <pthread.h>

#include "container.h"

#define WHY_MAX 120 /* a member's or a blob's reason for failing */

/* ---------------------------------------------------------------- bytes */

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static inline uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

static inline void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v) {
  put16(p, v);
  put16(p + 2, v >> 16);
}

static inline void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)v);
  put32(p + 4, (uint32_t)(v >> 32));
}

/** FNV-1a 64 of a string, the hash of record ids in the index. */
static inline uint64_t evr__id_hash(const char *s, size_t len) { return evrec__fnv1a64(s, len); }

/* ------------------------------------------------ members (container_member.c) */

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


/** Parses the member header in p[0..avail): HEAD_OK, HEAD_BAD (m->why), or
 *  HEAD_MORE with *need the bytes it needs. `limit`: the largest bsize. */
head_rc evr__head_parse(member *m, const uint8_t *p, size_t avail, uint64_t limit, size_t *need);

/** Verifies a whole member p[0..bsize): trailer, deflate data, CRC and, for
 *  data, the record count. The payload (at most plimit bytes; 0 = no
 *  limit but ISIZE) is left in `out`. @return EVREC_OK, EVREC_E_CORRUPT,
 *  EVREC_E_LIMIT (m->why says why) or EVREC_E_NOMEM. */
int evr__member_check(member *m, evr__inflater *z, const uint8_t *p, uint64_t plimit,
                      evrec__buf *out);

/** Says why a member failed (m->why) and returns `code`, as evrec__err()
 *  does for an evrec_error. */
int evr__member_fail(member *m, int code, const char *fmt, ...) EVREC__PRINTF(3, 4);

/** Says why a blob or an append failed (`why`, WHY_MAX bytes) and returns
 *  `code`. */
int evr__why_fail(char *why, int code, const char *fmt, ...) EVREC__PRINTF(3, 4);

/** Seals a header/index blob with its CRC-32 and appends it to `b` as
 *  consecutive members of `kind` (subfield 'E',id), EVR__CHUNK_MAX bytes
 *  each. @return false when out of memory. */
bool evr__put_blob_members(evrec__buf *b, int kind, char id, evrec__buf *sealed);
/** Verifies and strips the CRC-32 trailer of a reassembled blob. */
bool evr__blob_unseal(const uint8_t *b, size_t *len);
/** Appends the EOF member. @return false when out of memory. */
bool evr__put_eof_member(evrec__buf *b, uint64_t index_back, uint64_t section_back,
                         uint64_t records);
/** Compresses `in` into a whole data member in `out` (replacing it).
 *  @return EVREC_OK or EVREC_E_NOMEM. */
int evr__compress_member(evr__deflater *z, const evrec__buf *in, uint32_t nrec, evrec__buf *out);

/* ------------------------------------------- header blob (container_header.c) */

/** Appends the "EVRH" blob: magic, version, JSON fields, FileDescriptorSet. */
void evr__header_blob(evrec__buf *b, const char *type, const char *created, char *const *keys,
                      char *const *vals, size_t n, const void *schema, size_t schema_len);
/** Parses the "EVRH" blob into *h; every pointer lands in the arena.
 *  @return EVREC_OK, EVREC_E_CORRUPT (`why` says what is wrong) or
 *  EVREC_E_NOMEM. */
int evr__header_parse(evrec_container_header *h, const uint8_t *b, size_t len, evrec_arena *a,
                      char *why);

/* --------------------------------------------- index blob (container_index.c) */

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


void evr__index_free(index_tab *t);
/** Orders id entries by hash, then block. */
int evr__idh_cmp(const void *a, const void *b);
/** Appends the "EVRX" blob for an index that starts at idx_off (sorts the
 *  id entries). @return false when out of memory. */
bool evr__index_blob(evrec__buf *b, index_tab *t, uint64_t idx_off);
/** Parses the "EVRX" blob of the index at idx_off of a section of `records`
 *  records. @return EVREC_OK, EVREC_E_CORRUPT or EVREC_E_NOMEM (`why`). */
int evr__index_parse(index_tab *t, const uint8_t *b, size_t len, uint64_t idx_off,
                     uint64_t records, char *why);
/** The top-level string field "id", whose values the index lists, or NULL. */
const ProtobufCFieldDescriptor *evr__id_field(const ProtobufCMessageDescriptor *d);
/** Makes room for element n of *arr (doubling). @return false when out of memory. */
bool evr__grow(void **arr, size_t *cap, size_t n, size_t size);

/* ------------------------------ writer (container_write.c, container_append.c) */

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


/* ------------------------ reader (container_read.c, _readahead.c, _seek.c) */

/* The read-ahead: up to AHEAD_SLOTS members after the read position are
 * inflated, checked and decoded by worker threads, one slot per worker, in
 * file order starting at slot `head`. A slot's fields belong to the workers
 * while `queued` is set (to one worker while `busy`), else to the reader. */
#define AHEAD_SLOTS 2

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

/* ---------------------------------------------------------------- reader internals */

/* container_read.c */
/** Validates the member at the read position without consuming it (from
 *  the read-ahead when it has it). @return EVREC_OK, EVREC_DONE (no bytes
 *  left), EVREC_E_CORRUPT (m->why), EVREC_E_TRUNCATED (m->end),
 *  EVREC_E_LIMIT (err filled), or an I/O or memory error. */
int evr__load_member(evr__reader *c, member *m, evrec_error *err);
/** Consumes the loaded member and makes its content current; `go_on`: a
 *  data block starts the read-ahead of the members after it. */
int evr__accept_member(evr__reader *c, bool go_on, evrec_error *err);
/** The next record of the current block into `arena`. */
int evr__next_record(evr__reader *c, evrec_arena *arena, const ProtobufCMessage **msg,
                     evrec_error *err);
/** evrec__err() with err->offset = off. @return code. */
int evr__fail_at(evrec_error *err, int code, uint64_t off, const char *fmt, ...)
    EVREC__PRINTF(4, 5);

/* container_seek.c */
/** The last value of top-level field `num` (wire type 2) in the record
 *  encoding p[0..n): true with *s and *slen set, false when the field is
 *  absent or the encoding is malformed. The writer takes ids of packed
 *  records with it too. */
bool evr__wire_string(const uint8_t *p, size_t n, uint32_t num, const uint8_t **s,
                      size_t *slen);

/* container_readahead.c */
/** After a data block was accepted: hands the members after it to the
 *  workers (starting them the first time). */
void evr__ahead_start(evr__reader *c);
/** Takes the read-ahead's result for the member at the read position:
 *  true with *m and *rc set and its payload and records made current;
 *  false when it has none (all slots dropped: the reader seeked). */
bool evr__ahead_take(evr__reader *c, member *m, int *rc, evrec_error *err);
/** Stops the workers and frees the slots. */
void evr__ahead_stop(ahead *a);

#endif /* EVREC_CONTAINER_INT_H */
