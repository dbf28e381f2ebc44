/*
 * container.h -- the .evr container (blocked gzip), private interface.
 *
 * The container's files (container_*.c, their map in container_int.h) own
 * the byte layout (docs/FORMAT.md); writer.c and reader.c own the files and
 * buffers and plug the container in:
 *
 *   writer.c --records--> evr__writer --finished members--> emit callback
 *   reader.c buffer --evr__io (peek/consume/seek)--> evr__reader --records-->
 *
 * Block numbers in messages and error fields are 0-based data-block ordinals
 * in file order.
 */
#ifndef EVREC_CONTAINER_H
#define EVREC_CONTAINER_H

#include "internal.h"

/* ---------------------------------------------------------------- layout */

#define EVR__FIXED 12         /* ID1 .. XLEN */
#define EVR__EV_XLEN 16       /* the 'E','V' subfield with its 4-byte head */
#define EVR__TRAILER 8        /* CRC32 + ISIZE */
#define EVR__EOF_SIZE 66      /* the whole EOF member */
#define EVR__CHUNK_MAX 60000u /* header/index blob bytes per member */
/** Largest block size a writer accepts (and the least a reader tolerates). */
#define EVR__MAX_BLOCK_SIZE (64u * 1024u * 1024u)

enum { EVR__DATA = 0, EVR__HEADER = 1, EVR__INDEX = 2, EVR__EOF = 3 };

/* ---------------------------------------------------------------- deflate */

/* Whole-buffer raw deflate (RFC 1951), inflate and CRC-32 over libdeflate
 * or, built with `make DEFLATE=zlib`, zlib (container_deflate.c). One
 * handle per thread. */
typedef struct evr__deflater evr__deflater;
typedef struct evr__inflater evr__inflater;

/** A compressor for `level` 0-9 (0 = stored blocks); NULL when out of memory. */
evr__deflater *evr__deflater_new(int level);
void evr__deflater_free(evr__deflater *d);
/** The most bytes evr__deflate() can produce from n bytes. */
size_t evr__deflate_bound(evr__deflater *d, size_t n);
/** Compresses in[0..n) into out[0..cap); @return the size, 0 when it does
 *  not fit (never with cap >= evr__deflate_bound()). */
size_t evr__deflate(evr__deflater *d, const void *in, size_t n, void *out, size_t cap);

enum {
  EVR__INFLATE_OK,         /* the stream ended: *used and *got say where */
  EVR__INFLATE_FULL,       /* out[0..cap) filled before the stream ended */
  EVR__INFLATE_BAD,        /* invalid deflate data */
  EVR__INFLATE_INCOMPLETE, /* the input ended first (zlib; libdeflate says BAD) */
  EVR__INFLATE_NOMEM
};

/** A decompressor; NULL when out of memory. */
evr__inflater *evr__inflater_new(void);
void evr__inflater_free(evr__inflater *f);
/** Inflates one raw deflate stream from in[0..n) into out[0..cap). *used
 *  receives the input bytes the stream took, *got the output bytes (cap
 *  when FULL). @return an EVR__INFLATE_* code. */
int evr__inflate(evr__inflater *f, const void *in, size_t n, void *out, size_t cap,
                 size_t *used, size_t *got);
/** CRC-32 (ISO 3309, gzip's) of p[0..n) continuing `crc` (0 to start). */
uint32_t evr__crc32(uint32_t crc, const void *p, size_t n);

/* ---------------------------------------------------------------- writer */

/** Receives finished member bytes in file order (called on the producer's
 *  thread only). @return EVREC_OK or an error already filled into err. */
typedef int (*evr__emit_fn)(void *ctx, const void *p, size_t n, evrec_error *err);

typedef struct evr__writer evr__writer;

/** Checks the container options and starts the compression threads. */
int evr__writer_new(evr__writer **out, const evrec_writer_options *opts,
                    evr__emit_fn emit, void *ctx, evrec_error *err);

/** Prepares appending to the existing file open as `fd` (read with pread):
 *  an empty file is written from scratch; otherwise its last section must end
 *  in an intact EOF member and index, which are carried over. */
int evr__writer_append(evr__writer *w, int fd, const char *name, evrec_error *err);

/** Adds one record (its 0-based index `index` is for messages). */
int evr__writer_write(evr__writer *w, const ProtobufCMessage *msg, uint64_t index,
                      evrec_error *err);

/** Adds one record given as its encoding, a message of `type` (see
 *  evrec__writer_write_packed: well formed, strings valid UTF-8). */
int evr__writer_write_packed(evr__writer *w, const ProtobufCMessageDescriptor *type,
                             const void *data, size_t len, uint64_t index, evrec_error *err);

/** Emits the last block, the index and the EOF member. */
int evr__writer_finish(evr__writer *w, evrec_error *err);

/** Stops the threads and frees everything. NULL is a no-op. */
void evr__writer_free(evr__writer *w);

/* ---------------------------------------------------------------- reader */

/** The reader's byte source (implemented by reader.c over its buffer). */
typedef struct evr__io {
  void *ctx;
  /** Buffers at least `want` bytes (fewer only at the end of input) and
   *  points *p at the unread bytes; *avail receives how many there are. */
  int (*peek)(void *ctx, size_t want, const uint8_t **p, size_t *avail, evrec_error *err);
  void (*consume)(void *ctx, size_t n);
  uint64_t (*tell)(void *ctx);
  /** Repositions; EVREC_E_UNSUPPORTED when the input cannot seek. */
  int (*seek)(void *ctx, uint64_t off, evrec_error *err);
  /** Total input size; EVREC_E_UNSUPPORTED when unknown (pipes). */
  int (*size)(void *ctx, uint64_t *size, evrec_error *err);
} evr__io;

typedef struct evr__reader evr__reader;

/** The reader's limits (evrec_reader_options); max_block 0 = derived from
 *  max_record, every other field already resolved (non-zero). */
typedef struct evr__limits {
  size_t max_record, max_string, max_block, max_block_records, max_index;
} evr__limits;

/** Creates the container reader; `io` and `lim` are copied. `flags`: EVREC_READ_*. */
int evr__reader_new(evr__reader **out, const evr__io *io,
                    const ProtobufCMessageDescriptor *type, const evr__limits *lim,
                    unsigned flags, evrec_error *err);

/** Reads the leading header member(s) at open. Damage and truncation are
 *  left for evr__reader_next() to report unless they make the file unusable
 *  (a damaged header without EVREC_READ_SKIP_DAMAGE, a wrong record type). */
int evr__reader_open(evr__reader *c, evrec_error *err);

/** Next record into `arena` (reset here). EVREC_DONE at the clean end. */
int evr__reader_next(evr__reader *c, evrec_arena *arena, const ProtobufCMessage **msg,
                     evrec_error *err);

/** @return true when the last evr__reader_next() failed on one record
 *  that could not be decoded, the reader standing after it (so the next
 *  call returns the record after it). */
bool evr__reader_record_failed(const evr__reader *c);

/** Positions before record `ordinal`; the next evr__reader_next() returns it. */
int evr__reader_seek(evr__reader *c, uint64_t ordinal, evrec_error *err);

/** Finds the last record with this id and returns it; *ordinal receives its
 *  ordinal. Reading continues after it. */
int evr__reader_get_id(evr__reader *c, const char *id, evrec_arena *arena,
                       const ProtobufCMessage **msg, uint64_t *ordinal, evrec_error *err);

/** evr__reader_get_many()'s arguments and results (evrec_reader_get_many()). */
typedef struct evr__get_many {
  const evrec_lookup *q;
  size_t n;
  evrec_arena *arena;      /* records are decoded into it (reset per record) */
  evrec_lookup_fn fn;
  void *payload;
  uint64_t last;           /* out: ordinal of the last record served, or EVREC_UNKNOWN */
  evrec_error *err;        /* out: the failure that ended all lookups (may be NULL) */
} evr__get_many;

/** Serves every lookup through g->fn, blocks in file order, each inflated
 *  once (hash collisions aside). @return EVREC_OK, EVREC_STOPPED, or
 *  EVREC_E_IO / EVREC_E_NOMEM (in *g->err); every other failure is one
 *  lookup's, handed to g->fn. */
int evr__reader_get_many(evr__reader *c, evr__get_many *g);

const evrec_container_header *evr__reader_header(const evr__reader *c);
void evr__reader_stats(const evr__reader *c, evrec_reader_stats *out);
void evr__reader_free(evr__reader *c);

/** The data blocks of every section, from the indexes (evrec_reader_blocks()). */
int evr__reader_blocks(evr__reader *c, evrec_block **out, size_t *n, evrec_error *err);

/** Positions at the data block at block->offset; no read-ahead at or
 *  after byte `end` (0 = none) while reading before it (evrec_reader_seek_block()). */
int evr__reader_seek_block(evr__reader *c, const evrec_block *block, uint64_t end,
                           evrec_error *err);

#endif /* EVREC_CONTAINER_H */
