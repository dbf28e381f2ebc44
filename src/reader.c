/*
 * reader.c -- streaming record reader over a file, a stdio stream or memory.
 *
 * Memory is bounded by the largest record, not by the input: the reader
 * keeps one buffer of unread bytes and one arena for the current record.
 *
 *        buf_off (file offset of buf[0])
 *        |
 *   buf  [ consumed | unread: pos .. end | free: end .. cap ]
 *
 * Reads go into the free tail (256 KiB at a time: read(2) for files and
 * stdin, so a pipe delivers records as they arrive; fread(3) for the
 * caller's FILE). When the free tail is short, the unread bytes move to the
 * front; the buffer grows only when one record does not fit, and never past
 * about twice max_record_size. Memory input is used in place (no copy).
 *
 * Records:
 *   json/ndjson  The reader handles the layout -- one object, an array
 *                "[ {...}, {...} ]", NDJSON, or blank-separated objects --
 *                and hands each record's bytes to evrec__json_decode_ex(),
 *                which stops right after the value. When the value runs past
 *                the buffered bytes (EVREC_E_TRUNCATED) and the input has
 *                more, the reader buffers at least twice as much and decodes
 *                the record again from its start: doubling keeps the total
 *                work linear even when a pipe trickles in a huge record. The
 *                line and column of buf[pos] are kept (newlines counted with
 *                memchr in consumed bytes) so that errors are file-relative.
 *                A UTF-8 byte order mark at the very start is skipped.
 *                The reader keeps the decoder's key -> field memory
 *                (evrec__json_keys, 48 KiB, in this struct) across
 *                records, since every record repeats the same keys.
 *   pb           The whole input is one message (bounded by
 *                max_record_size). An empty input is the empty message, one
 *                record, as Google's parsers read an empty file.
 *   pbd          varint length + message, repeated; an empty input has no
 *                records.
 *   evr          the container (container_*.c) reads through this buffer via
 *                the evr__io callbacks below: peek/consume for members, and
 *                seek/size for random access (files and memory only). It
 *                holds more than a record: the current block's payload
 *                and, reading on from a block of a file or memory, the
 *                members after it, which two read-ahead workers (one on a
 *                single core) copy, inflate, check and decode into their
 *                own buffers and arenas while the caller works on the
 *                current block -- so this buffer grows to hold up to three
 *                members. Random access (seek, get) starts no worker.
 *
 * The arena is reset before every record: the message returned by
 * evrec_reader_next() lives until the next call. Errors are sticky: the
 * first one is kept and returned again by every later call.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "internal.h"

#define CHUNK (256u * 1024u)  /* read size */
#define SNIFF_MAX 4096u       /* bytes looked at, at most, to detect the format */

typedef enum src_kind { SRC_FD, SRC_FILE, SRC_MEM } src_kind;

/* Where the JSON layout parser stands between records. */
typedef enum jstate {
  J_START,       /* nothing read yet: an array, or objects? */
  J_OBJECTS,     /* NDJSON or blank-separated objects */
  J_ARRAY_FIRST, /* after '[': a record or ']' */
  J_ARRAY_NEXT,  /* after a record in the array: ',' or ']' */
  J_ARRAY_DONE   /* after ']': only blanks may follow */
} jstate;

struct evrec_reader {
  evrec_format format;
  const ProtobufCMessageDescriptor *type;
  evrec_json_decode_options jopts;
  size_t max_record;
  evr__limits lim; /* the container's limits (max_record, max_string too) */
  char *name; /* for messages: the path, "stdin", or opts->name */

  src_kind kind;
  int fd;
  bool own_fd;
  FILE *fp;

  char *buf; /* unread bytes are buf[pos..end); buf[0] is at buf_off */
  size_t cap, pos, end;
  uint64_t buf_off;
  bool eof;

  uint64_t line, column; /* JSON: position of buf[pos] (1-based) */
  jstate js;
  bool pb_done;

  evrec_arena *arena;
  evrec__json_keys keys; /* JSON key lookups remembered across records */
  evr__reader *evr; /* the container reader, for format evr */
  unsigned flags;   /* EVREC_READ_* */
  /* What the last failure allows EVREC_READ_SKIP_INVALID to skip: a JSON
   * record at pos, or bad_len bytes of binary record at pos. */
  enum { BAD_NONE, BAD_JSON, BAD_BINARY, BAD_EVR } bad;
  size_t bad_len;
  uint64_t count;
  int failed; /* sticky error status, 0 while healthy */
  evrec_error ferr;
};

static bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

static uint64_t rd_offset(const evrec_reader *r) { return r->buf_off + r->pos; }

/* ====================================================================== */
/* Errors                                                                 */
/* ====================================================================== */

/* An error at the current position, inside record number r->count. */
static int rd_fail(evrec_reader *r, evrec_error *err, int code, const char *fmt, ...)
    EVREC__PRINTF(4, 5);

static int rd_fail(evrec_reader *r, evrec_error *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  evrec__verr(err, code, fmt, ap);
  va_end(ap);
  if (err) {
    err->offset = rd_offset(r);
    err->record = r->count;
    if (r->format == EVREC_FORMAT_JSON || r->format == EVREC_FORMAT_NDJSON) {
      err->line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
      err->column = r->column > UINT32_MAX ? UINT32_MAX : (uint32_t)r->column;
    }
  }
  return code;
}

/* ====================================================================== */
/* Buffering                                                              */
/* ====================================================================== */

static int rd_read_some(evrec_reader *r, char *dst, size_t n, size_t *got, evrec_error *err) {
  if (r->kind == SRC_FILE) {
    *got = fread(dst, 1, n, r->fp);
    if (*got == 0 && ferror(r->fp))
      return evrec__err(err, EVREC_E_IO, "error reading %s: %s", r->name, strerror(errno));
    return EVREC_OK;
  }
  for (;;) {
    ssize_t k = read(r->fd, dst, n);
    if (k >= 0) {
      *got = (size_t)k;
      return EVREC_OK;
    }
    if (errno != EINTR)
      return evrec__err(err, EVREC_E_IO, "error reading %s: %s", r->name, strerror(errno));
  }
}

/* Makes room for `extra` more bytes after `end`: first by moving the unread
 * bytes to the front, then by growing the buffer. */
static int rd_room(evrec_reader *r, size_t extra, evrec_error *err) {
  if (r->cap - r->end >= extra) return EVREC_OK;
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->end - r->pos);
    r->buf_off += r->pos;
    r->end -= r->pos;
    r->pos = 0;
  }
  if (r->cap - r->end >= extra) return EVREC_OK;
  size_t cap = r->cap ? r->cap : CHUNK;
  while (cap - r->end < extra) {
    if (cap > SIZE_MAX / 2) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
    cap *= 2;
  }
  char *p = realloc(r->buf, cap);
  if (!p) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  r->buf = p;
  r->cap = cap;
  return EVREC_OK;
}

/* Reads until at least `want` unread bytes are buffered or the input ends. */
static int rd_fill(evrec_reader *r, size_t want, evrec_error *err) {
  while (!r->eof && r->end - r->pos < want) {
    size_t need = want - (r->end - r->pos);
    /* Ask for a bounded amount of room, so a large `want` (pb reads "up
     * to the limit") grows the buffer with the data, not in advance. */
    size_t room = need < CHUNK / 2 ? CHUNK / 2 : need > CHUNK ? CHUNK : need;
    int rc = rd_room(r, room, err);
    size_t got = 0;
    if (rc == EVREC_OK) rc = rd_read_some(r, r->buf + r->end, r->cap - r->end, &got, err);
    if (rc) {
      if (err) err->offset = r->buf_off + r->end, err->record = r->count;
      return rc;
    }
    r->end += got;
    r->eof = got == 0;
  }
  return EVREC_OK;
}

/* Consumes n buffered bytes, keeping the JSON line and column. */
static void rd_advance(evrec_reader *r, size_t n) {
  const char *p = r->buf + r->pos, *e = p + n, *nl;
  while ((nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
    r->line++;
    r->column = 1;
    p = nl + 1;
  }
  r->column += (uint64_t)(e - p);
  r->pos += n;
}

/* ====================================================================== */
/* JSON records                                                           */
/* ====================================================================== */

/* Skips blanks, reading more as needed. After it, pos == end means EOF. */
static int rd_skip_ws(evrec_reader *r, evrec_error *err) {
  for (;;) {
    size_t i = r->pos;
    while (i < r->end && is_ws(r->buf[i])) i++;
    rd_advance(r, i - r->pos);
    if (r->pos < r->end || r->eof) return EVREC_OK;
    int rc = rd_fill(r, 1, err);
    if (rc) return rc;
  }
}

/* Decodes the record at pos, reading more while it is incomplete. */
static int rd_json_record(evrec_reader *r, const ProtobufCMessage **msg, evrec_error *err) {
  for (;;) {
    size_t avail = r->end - r->pos, used = 0;
    evrec__json_pos base = {rd_offset(r), r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line,
                            r->column > UINT32_MAX ? UINT32_MAX : (uint32_t)r->column};
    ProtobufCMessage *m = NULL;
    evrec_arena_reset(r->arena);
    int rc = evrec__json_decode_ex(&m, r->type, r->buf + r->pos, avail, r->arena, &r->jopts,
                                   &base, &used, &r->keys, err);
    if (rc == EVREC_E_TRUNCATED && !r->eof) {
      if (avail > r->max_record) break;
      rc = rd_fill(r, avail > r->max_record / 2 ? r->max_record + 1 : avail * 2, err);
      if (rc) return rc;
      continue;
    }
    if (rc) {
      if (err) err->record = r->count;
      r->bad = BAD_JSON;
      return rc;
    }
    if (used > r->max_record) break;
    rd_advance(r, used);
    r->count++;
    *msg = m;
    return EVREC_OK;
  }
  return rd_fail(r, err, EVREC_E_LIMIT,
                 "record larger than the limit of %zu bytes (max_record_size)", r->max_record);
}

/* In an array after a record: consumes ',' (then a record follows) or ']'. */
static int rd_array_next(evrec_reader *r, const ProtobufCMessage **msg, evrec_error *err) {
  char c = r->buf[r->pos];
  if (c == ']') {
    rd_advance(r, 1);
    r->js = J_ARRAY_DONE;
    return EVREC_OK; /* no record: rd_next_json goes round again */
  }
  if (c != ',') return rd_fail(r, err, EVREC_E_SYNTAX, "expected ',' or ']' after a record");
  rd_advance(r, 1);
  int rc = rd_skip_ws(r, err);
  if (rc) return rc;
  if (r->pos == r->end)
    return rd_fail(r, err, EVREC_E_TRUNCATED, "input ends inside the array of records");
  if (r->buf[r->pos] == ']')
    return rd_fail(r, err, EVREC_E_SYNTAX, "expected a record after ',' (trailing comma)");
  return rd_json_record(r, msg, err);
}

/* One step of the layout parser; returns EVREC_OK without a message (and
 * *msg NULL) when it only consumed punctuation. */
static int rd_json_step(evrec_reader *r, const ProtobufCMessage **msg, evrec_error *err) {
  int rc = rd_skip_ws(r, err);
  if (rc) return rc;
  bool at_end = r->pos == r->end;
  switch (r->js) {
  case J_START:
    if (at_end) return EVREC_DONE;
    r->js = J_OBJECTS;
    if (r->buf[r->pos] == '[') {
      rd_advance(r, 1);
      r->js = J_ARRAY_FIRST;
    }
    return EVREC_OK;
  case J_OBJECTS:
    return at_end ? EVREC_DONE : rd_json_record(r, msg, err);
  case J_ARRAY_FIRST:
    if (at_end) return rd_fail(r, err, EVREC_E_TRUNCATED, "input ends inside the array of records");
    if (r->buf[r->pos] == ']') {
      rd_advance(r, 1);
      r->js = J_ARRAY_DONE;
      return EVREC_OK;
    }
    r->js = J_ARRAY_NEXT;
    return rd_json_record(r, msg, err);
  case J_ARRAY_NEXT:
    if (at_end) return rd_fail(r, err, EVREC_E_TRUNCATED, "input ends inside the array of records");
    return rd_array_next(r, msg, err);
  case J_ARRAY_DONE:
    if (at_end) return EVREC_DONE;
    return rd_fail(r, err, EVREC_E_SYNTAX, "unexpected data after the array of records");
  }
  return EVREC_DONE;
}

static int rd_next_json(evrec_reader *r, const ProtobufCMessage **msg, evrec_error *err) {
  int rc;
  do rc = rd_json_step(r, msg, err);
  while (rc == EVREC_OK && !*msg);
  return rc;
}

/* ====================================================================== */
/* Binary records                                                         */
/* ====================================================================== */

/* Decodes n bytes at pos + skip as one message; errors become file-relative. */
static int rd_binary_record(evrec_reader *r, size_t skip, size_t n,
                            const ProtobufCMessage **msg, evrec_error *err) {
  ProtobufCMessage *m = NULL;
  uint64_t start = rd_offset(r);
  evrec_arena_reset(r->arena);
  int rc = evrec__pb_decode_ex(&m, r->type, r->buf + r->pos + skip, n, r->arena, r->lim.max_string,
                               err);
  if (rc) {
    if (err) {
      err->offset = err->offset == EVREC_UNKNOWN ? start : start + skip + err->offset;
      err->record = r->count;
    }
    r->bad = BAD_BINARY;
    r->bad_len = skip + n;
    return rc;
  }
  r->pos += skip + n; /* no line counting in binary data */
  r->count++;
  *msg = m;
  return EVREC_OK;
}

static int rd_next_pb(evrec_reader *r, const ProtobufCMessage **msg, evrec_error *err) {
  if (r->pb_done) return EVREC_DONE;
  int rc = rd_fill(r, r->max_record + 1, err);
  if (rc) return rc;
  if (r->end - r->pos > r->max_record)
    return rd_fail(r, err, EVREC_E_LIMIT, "pb input larger than the limit of %zu bytes "
                   "(max_record_size)", r->max_record);
  rc = rd_binary_record(r, 0, r->end - r->pos, msg, err);
  if (rc == EVREC_OK) r->pb_done = true;
  return rc;
}

static int rd_next_pbd(evrec_reader *r, const ProtobufCMessage **msg, evrec_error *err) {
  int rc = rd_fill(r, EVREC__VARINT_MAX, err);
  if (rc) return rc;
  size_t avail = r->end - r->pos;
  if (avail == 0) return EVREC_DONE;
  uint64_t len;
  int h = evrec__varint_get(r->buf + r->pos, avail, &len);
  if (h == 0) return rd_fail(r, err, EVREC_E_TRUNCATED, "truncated length prefix");
  if (h < 0) return rd_fail(r, err, EVREC_E_SYNTAX, "invalid length prefix");
  if (len > r->max_record)
    return rd_fail(r, err, EVREC_E_LIMIT,
                   "record of %" PRIu64 " bytes exceeds the limit of %zu bytes (max_record_size)",
                   len, r->max_record);
  rc = rd_fill(r, (size_t)h + (size_t)len, err);
  if (rc) return rc;
  avail = r->end - r->pos - (size_t)h;
  if (avail < len)
    return rd_fail(r, err, EVREC_E_TRUNCATED, "truncated: need %" PRIu64 " bytes, have %zu",
                   len, avail);
  return rd_binary_record(r, (size_t)h, (size_t)len, msg, err);
}

/* ====================================================================== */
/* The container's view of the buffer (evr__io)                           */
/* ====================================================================== */

static int io_peek(void *ctx, size_t want, const uint8_t **p, size_t *avail, evrec_error *err) {
  evrec_reader *r = ctx;
  int rc = rd_fill(r, want, err);
  *p = (const uint8_t *)r->buf + r->pos;
  *avail = r->end - r->pos;
  return rc;
}

static void io_consume(void *ctx, size_t n) {
  evrec_reader *r = ctx;
  r->pos += n;
}

static uint64_t io_tell(void *ctx) { return rd_offset(ctx); }

/* Moves the read position; within the buffer without any I/O. */
static int io_seek(void *ctx, uint64_t off, evrec_error *err) {
  evrec_reader *r = ctx;
  if (off >= r->buf_off && off - r->buf_off <= r->end) {
    r->pos = (size_t)(off - r->buf_off);
    return EVREC_OK;
  }
  if (r->kind == SRC_MEM) return evrec__err(err, EVREC_E_INVALID_ARG, "seek past the end of the input");
  bool ok = r->kind == SRC_FD ? lseek(r->fd, (off_t)off, SEEK_SET) >= 0
                              : fseeko(r->fp, (off_t)off, SEEK_SET) == 0;
  if (!ok)
    return evrec__err(err, errno == ESPIPE ? EVREC_E_UNSUPPORTED : EVREC_E_IO,
                      "cannot seek in %s: %s", r->name, strerror(errno));
  r->buf_off = off;
  r->pos = r->end = 0;
  r->eof = false;
  return EVREC_OK;
}

static int io_size(void *ctx, uint64_t *size, evrec_error *err) {
  evrec_reader *r = ctx;
  struct stat st;
  if (r->kind == SRC_MEM) {
    *size = r->end;
    return EVREC_OK;
  }
  int fd = r->kind == SRC_FD ? r->fd : fileno(r->fp);
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return evrec__err(err, EVREC_E_UNSUPPORTED, "random access needs a regular file, and %s is not",
                      r->name);
  *size = (uint64_t)st.st_size;
  return EVREC_OK;
}

/* ====================================================================== */
/* Is it a container at all?                                              */
/* ====================================================================== */

/* The first bytes of every .evr member (docs/FORMAT.md section 2): gzip
 * magic, deflate, FLG = FEXTRA, then at offset 12 the subfield id "EV". */
#define EVR_SIG_LEN 14
static bool evr_signature_at(const unsigned char *p, size_t avail) {
  static const unsigned char sig[4] = {0x1f, 0x8b, 0x08, 0x04};
  size_t n = avail < 4 ? avail : 4;
  if (memcmp(p, sig, n) != 0) return false;
  return avail < EVR_SIG_LEN || (p[12] == 'E' && p[13] == 'V');
}

/* Whether a member signature occurs anywhere in p[0..n). */
static bool evr_signature_in(const unsigned char *p, size_t n) {
  const unsigned char *end = p + n, *q = p;
  while (end - q >= EVR_SIG_LEN &&
         (q = memchr(q, 0x1f, (size_t)(end - q) - EVR_SIG_LEN + 1)) != NULL) {
    if (evr_signature_at(q, EVR_SIG_LEN)) return true;
    q++;
  }
  return false;
}

/* Searches a seekable file for a member signature without disturbing the
 * reader: pread(2) in chunks from where the input began. @return 1 found,
 * 0 not found, -1 cannot tell (not a regular file, a read error). */
static int evr_signature_in_file(const evrec_reader *r) {
  struct stat st;
  if (r->kind != SRC_FD || fstat(r->fd, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  off_t here = lseek(r->fd, 0, SEEK_CUR);
  if (here < 0 || (uint64_t)here < r->buf_off + r->end) return -1;
  off_t base = here - (off_t)(r->buf_off + r->end); /* where byte 0 of the input is */
  unsigned char *chunk = malloc(CHUNK + EVR_SIG_LEN);
  if (!chunk) return -1;
  size_t keep = 0;
  int found = 0;
  for (off_t off = base;;) {
    ssize_t got = pread(r->fd, chunk + keep, CHUNK, off);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) found = -1;
    if (got <= 0) break;
    off += got;
    size_t n = keep + (size_t)got;
    if (evr_signature_in(chunk, n)) {
      found = 1;
      break;
    }
    keep = n < EVR_SIG_LEN - 1 ? n : EVR_SIG_LEN - 1; /* a signature across chunks */
    memmove(chunk, chunk + n - keep, keep);
  }
  free(chunk);
  return found;
}

/* An .evr input that is empty, or holds no .evr member where it begins,
 * is refused with one message whatever the caller does next (read, seek,
 * look up the header), so that every command says the same. A salvaging
 * reader (EVREC_READ_SKIP_DAMAGE) may have been given a container whose
 * first bytes are damaged: it goes on when a member signature occurs
 * later in the input (or when it cannot search: pipes, FILE streams). */
static int rd_check_evr(evrec_reader *r, evrec_error *err) {
  int rc = rd_fill(r, EVR_SIG_LEN, err);
  if (rc) return rc;
  size_t avail = r->end - r->pos;
  const unsigned char *p = (const unsigned char *)r->buf + r->pos;
  if (avail == 0)
    return evrec__err(err, EVREC_E_FORMAT, "not an .evr container (the input is empty)");
  if (evr_signature_at(p, avail)) return EVREC_OK;
  if (r->flags & EVREC_READ_SKIP_DAMAGE) {
    int found = r->eof ? evr_signature_in(p, avail) : evr_signature_in_file(r);
    if (found != 0) return EVREC_OK;
  }
  if (evrec_format_detect(p, avail, NULL) == EVREC_FORMAT_JSON)
    return evrec__err(err, EVREC_E_FORMAT, "not an .evr container (the input is JSON)");
  return evrec__err(err, EVREC_E_FORMAT, "not an .evr container (no .evr member at byte 0%s)",
                    avail >= 2 && p[0] == 0x1f && p[1] == 0x8b ? ": a plain gzip file" : "");
}

static int rd_start_evr(evrec_reader *r, evrec_error *err) {
  int rc0 = rd_check_evr(r, err);
  if (rc0) return rc0;
  evr__io io = {r, io_peek, io_consume, io_tell, io_seek, io_size};
  int rc = evr__reader_new(&r->evr, &io, r->type, &r->lim, r->flags, err);
  return rc ? rc : evr__reader_open(r->evr, err);
}

/* ====================================================================== */
/* Opening: options, source, format                                       */
/* ====================================================================== */

/* Settles the limits: 0 = default; max_block stays 0 for the container to
 * derive from max_record. */
static void rd_limits(evrec_reader *r, const evrec_reader_options *o) {
  r->max_record = o->max_record_size ? o->max_record_size : EVREC_DEFAULT_MAX_RECORD_SIZE;
  if (r->max_record > SIZE_MAX / 4) r->max_record = SIZE_MAX / 4;
  r->jopts.max_depth = o->max_depth;
  r->jopts.max_string_size =
      o->max_string_size ? o->max_string_size : EVREC_DEFAULT_MAX_STRING_SIZE;
  r->lim.max_record = r->max_record;
  r->lim.max_string = r->jopts.max_string_size;
  r->lim.max_block = o->max_block_size;
  r->lim.max_block_records =
      o->max_block_records ? o->max_block_records : EVREC_DEFAULT_MAX_BLOCK_RECORDS;
  r->lim.max_index = o->max_index_size ? o->max_index_size : EVREC_DEFAULT_MAX_INDEX_SIZE;
}

static int rd_new(evrec_reader **out, const evrec_reader_options *opts, const char *name,
                  evrec_error *err) {
  evrec_reader_options current; /* any version's fields, defaults for the rest */
  int rc = evrec__reader_options_get(&current, opts, err);
  if (rc) return rc;
  opts = &current;
  if ((unsigned)opts->format > EVREC_FORMAT_EVR)
    return evrec__err(err, EVREC_E_INVALID_ARG, "invalid format %d", (int)opts->format);
  evrec_reader *r = calloc(1, sizeof *r);
  if (!r) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  *out = r;
  r->fd = -1;
  r->format = opts->format;
  r->type = opts->type ? opts->type : evrec_record_descriptor();
  r->jopts.version = EVREC_JSON_DECODE_OPTIONS_VERSION;
  r->jopts.flags = opts->json_flags;
  r->jopts.types = opts->types;
  r->flags = opts->flags;
  rd_limits(r, opts);
  r->line = r->column = 1;
  r->name = strdup(opts->name ? opts->name : name);
  r->arena = evrec_arena_new(0);
  if (!r->name || !r->arena) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  return EVREC_OK;
}

/* True when everything buffered is JSON blank space (after a BOM). */
static bool rd_all_blank(const evrec_reader *r) {
  size_t i = r->pos;
  if (r->end - i >= 3 && memcmp(r->buf + i, "\xEF\xBB\xBF", 3) == 0) i += 3;
  for (; i < r->end; i++)
    if (!is_ws(r->buf[i])) return false;
  return true;
}

/* Detects the format from the first bytes (read, not consumed) and `path`. */
static int rd_detect(evrec_reader *r, const char *path, evrec_error *err) {
  bool more = true;
  evrec_format f = EVREC_FORMAT_AUTO;
  while (more) {
    size_t avail = r->end - r->pos;
    f = evrec__format_sniff(r->buf + r->pos, avail, path, r->eof || avail >= SNIFF_MAX, &more);
    int rc = more ? rd_fill(r, avail + 1, err) : EVREC_OK;
    if (rc) return rc;
  }
  if (f == EVREC_FORMAT_AUTO && r->end - r->pos <= SNIFF_MAX && rd_all_blank(r))
    f = EVREC_FORMAT_JSON; /* empty or blank: zero JSON records */
  if (f == EVREC_FORMAT_AUTO)
    return evrec__err(err, EVREC_E_FORMAT,
                      "cannot detect the input format (not JSON; binary input needs a "
                      ".pb or .pbd name or an explicit format)");
  r->format = f;
  return EVREC_OK;
}

/* Settles the format and prepares the first read. */
static int rd_start(evrec_reader *r, const char *path, evrec_error *err) {
  int rc = r->format == EVREC_FORMAT_AUTO ? rd_detect(r, path, err) : EVREC_OK;
  if (rc) return rc;
  if (r->format == EVREC_FORMAT_EVR) return rd_start_evr(r, err);
  if (r->format != EVREC_FORMAT_JSON && r->format != EVREC_FORMAT_NDJSON) return EVREC_OK;
  rc = rd_fill(r, 3, err);
  if (rc == EVREC_OK && r->end - r->pos >= 3 && memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0)
    r->pos += 3; /* RFC 8259 §8.1: a parser MAY ignore a BOM; columns count from after it */
  return rc;
}

/* Common tail of the open functions: start, or clean up on failure. */
static int rd_open_finish(evrec_reader **out, evrec_reader *r, const char *path, int rc,
                          evrec_error *err) {
  if (rc == EVREC_OK) rc = rd_start(r, path, err);
  if (rc) {
    evrec_reader_close(r);
    *out = NULL;
    return rc;
  }
  *out = r;
  return EVREC_OK;
}

int evrec_reader_open_file(evrec_reader **out, const char *path,
                           const evrec_reader_options *opts, evrec_error *err) {
  if (!out || !path) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  *out = NULL;
  bool is_stdin = strcmp(path, "-") == 0;
  evrec_reader *r = NULL;
  int rc = rd_new(&r, opts, is_stdin ? "stdin" : path, err);
  if (rc == EVREC_OK && is_stdin) {
    r->fd = STDIN_FILENO;
  } else if (rc == EVREC_OK) {
    struct stat st;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    r->own_fd = r->fd >= 0;
    int e = r->fd < 0 ? errno : fstat(r->fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e) rc = evrec__err(err, EVREC_E_IO, "cannot open %s: %s", r->name, strerror(e));
  }
  const char *ext_name = opts && opts->name ? opts->name : is_stdin ? NULL : path;
  return rd_open_finish(out, r, ext_name, rc, err);
}

int evrec_reader_open_FILE(evrec_reader **out, FILE *fp, const evrec_reader_options *opts,
                           evrec_error *err) {
  if (!out || !fp) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  *out = NULL;
  evrec_reader *r = NULL;
  int rc = rd_new(&r, opts, "input", err);
  if (rc == EVREC_OK) {
    r->kind = SRC_FILE;
    r->fp = fp;
  }
  return rd_open_finish(out, r, opts ? opts->name : NULL, rc, err);
}

int evrec_reader_open_memory(evrec_reader **out, const void *data, size_t len,
                             const evrec_reader_options *opts, evrec_error *err) {
  if (!out || (!data && len)) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  *out = NULL;
  evrec_reader *r = NULL;
  int rc = rd_new(&r, opts, "input", err);
  if (rc == EVREC_OK) {
    r->kind = SRC_MEM;
    r->buf = (char *)(uintptr_t)(data ? data : ""); /* never written: eof is set */
    r->cap = r->end = len;
    r->eof = true;
  }
  return rd_open_finish(out, r, opts ? opts->name : NULL, rc, err);
}

/* ====================================================================== */
/* Skipping invalid records (EVREC_READ_SKIP_INVALID)                     */
/* ====================================================================== */

/* Makes sure buf[pos + i] exists (reading more, within the record limit).
 * @return false at the end of input or past the limit. */
static bool rd_have(evrec_reader *r, size_t i) {
  if (r->pos + i < r->end) return true;
  if (r->eof || i > r->max_record) return false;
  size_t want = i + 1 < CHUNK ? CHUNK : (i + 1) * 2 > r->max_record ? i + 1 : (i + 1) * 2;
  return rd_fill(r, want, NULL) == EVREC_OK && r->pos + i < r->end;
}

/* Finds the end of the JSON value at pos by its structure alone: brackets
 * counted, strings skipped (a raw newline inside one is a syntax error,
 * which the value cannot then be trusted after). Used only after the
 * decoder failed on a value that was well-formed as far as it read.
 * @return its length, or 0 when the structure does not close. */
static size_t rd_json_value_len(evrec_reader *r) {
  size_t i = 0, depth = 0;
  bool in_str = false;
  for (; rd_have(r, i); i++) {
    char ch = r->buf[r->pos + i];
    if (in_str) {
      if (ch == '\\') i++;
      else if (ch == '"') in_str = false;
      else if (ch == '\n') return 0;
    } else if (ch == '"') {
      in_str = true;
    } else if (ch == '{' || ch == '[') {
      depth++;
    } else if (ch == '}' || ch == ']') {
      if (depth == 0) return 0;
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (is_ws(ch) || ch == ',')) {
      return i; /* the end of a bare scalar */
    }
  }
  return 0;
}

/* Moves pos to the next line that begins with '{' (or to the end of input).
 * @return true when such a line was found. */
static bool rd_json_resync(evrec_reader *r) {
  for (size_t i = 1;; i++) {
    if (!rd_have(r, i)) {
      rd_advance(r, r->end - r->pos);
      return false;
    }
    if (r->buf[r->pos + i - 1] == '\n' && r->buf[r->pos + i] == '{') {
      rd_advance(r, i);
      return true;
    }
    if (i > CHUNK) { /* keep the buffer from growing over a long search */
      rd_advance(r, i - 1);
      i = 0;
    }
  }
}

/* Skips the JSON record at pos that failed with `code`. */
static void rd_json_skip(evrec_reader *r, int code) {
  size_t len = code == EVREC_E_SYNTAX ? 0 : rd_json_value_len(r);
  if (len) {
    rd_advance(r, len);
    return;
  }
  bool found = rd_json_resync(r);
  if (r->js == J_ARRAY_NEXT) r->js = found ? J_ARRAY_FIRST : J_ARRAY_DONE;
}

/* After a failed record: with EVREC_READ_SKIP_INVALID, steps past it.
 * @return true when the reader can go on (the error is not sticky). */
static bool rd_skip_invalid(evrec_reader *r, int code) {
  if (!(r->flags & EVREC_READ_SKIP_INVALID) || r->bad == BAD_NONE || code == EVREC_E_IO ||
      code == EVREC_E_NOMEM)
    return false;
  switch (r->bad) {
  case BAD_JSON: rd_json_skip(r, code); break;
  case BAD_BINARY:
    r->pos += r->bad_len;
    if (r->format == EVREC_FORMAT_PB) r->pb_done = true;
    break;
  default: break; /* BAD_EVR: the container already stands after the record */
  }
  r->count++;
  return true;
}

int evrec__reader_sticky(const evrec_reader *r) { return r ? r->failed : 0; }

/* ====================================================================== */
/* Reading and closing                                                    */
/* ====================================================================== */

int evrec_reader_next(evrec_reader *r, const ProtobufCMessage **msg, evrec_error *err) {
  if (!r || !msg) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  *msg = NULL;
  if (r->failed) {
    if (err) *err = r->ferr;
    return r->failed;
  }
  evrec_error local;
  evrec_error *e = err ? err : &local;
  int rc;
  r->bad = BAD_NONE;
  switch (r->format) {
  case EVREC_FORMAT_PB: rc = rd_next_pb(r, msg, e); break;
  case EVREC_FORMAT_PBD: rc = rd_next_pbd(r, msg, e); break;
  case EVREC_FORMAT_EVR: rc = evr__reader_next(r->evr, r->arena, msg, e); break;
  default: rc = rd_next_json(r, msg, e); break;
  }
  if (rc == EVREC_OK && r->format == EVREC_FORMAT_EVR) r->count++;
  if (rc < 0 && r->format == EVREC_FORMAT_EVR && evr__reader_record_failed(r->evr))
    r->bad = BAD_EVR;
  /* With EVREC_READ_SKIP_DAMAGE a damaged member is reported once and
   * reading goes on at the next intact member. */
  bool skip = rc == EVREC_E_CORRUPT && (r->flags & EVREC_READ_SKIP_DAMAGE);
  if (rc < 0 && skip) {
    if (e->record == EVREC_UNKNOWN) e->record = r->count;
    *msg = NULL;
  } else if (rc < 0) {
    if (e->record == EVREC_UNKNOWN) e->record = r->count;
    if (!rd_skip_invalid(r, rc)) {
      r->failed = rc;
      r->ferr = *e;
    }
    *msg = NULL;
  }
  return rc;
}

evrec_format evrec_reader_format(const evrec_reader *r) {
  return r ? r->format : EVREC_FORMAT_AUTO;
}

uint64_t evrec_reader_count(const evrec_reader *r) { return r ? r->count : 0; }

uint64_t evrec_reader_offset(const evrec_reader *r) { return r ? rd_offset(r) : 0; }

/* ====================================================================== */
/* Container: header, statistics, random access                           */
/* ====================================================================== */

const evrec_container_header *evrec_reader_header(const evrec_reader *r) {
  return r && r->evr ? evr__reader_header(r->evr) : NULL;
}

void evrec_reader_stats_get(const evrec_reader *r, evrec_reader_stats *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (r && r->evr) evr__reader_stats(r->evr, out);
  else if (r) out->bytes_in = out->bytes_out = rd_offset(r);
}

static int rd_random_access(evrec_reader *r, evrec_error *err) {
  if (!r) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  if (!r->evr)
    return evrec__err(err, EVREC_E_UNSUPPORTED, "random access needs an .evr container, not %s",
                      evrec_format_name(r->format));
  return EVREC_OK;
}

/* A successful positioning clears a sticky error: reading starts afresh. */
int evrec_reader_seek_ordinal(evrec_reader *r, uint64_t ordinal, evrec_error *err) {
  int rc = rd_random_access(r, err);
  if (rc == EVREC_OK) rc = evr__reader_seek(r->evr, ordinal, err);
  if (rc == EVREC_OK) r->count = ordinal, r->failed = 0;
  return rc;
}

int evrec_reader_get_id(evrec_reader *r, const char *id, const ProtobufCMessage **msg,
                        evrec_error *err) {
  if (!id || !msg) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  *msg = NULL;
  uint64_t ordinal = 0;
  int rc = rd_random_access(r, err);
  if (rc == EVREC_OK) rc = evr__reader_get_id(r->evr, id, r->arena, msg, &ordinal, err);
  if (rc == EVREC_OK) r->count = ordinal + 1, r->failed = 0;
  return rc;
}

int evrec_reader_get_many(evrec_reader *r, const evrec_lookup *lookups, size_t n,
                          evrec_lookup_fn fn, void *payload, evrec_error *err) {
  if (!fn || (!lookups && n)) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  int rc = rd_random_access(r, err);
  if (rc) return rc;
  evr__get_many g = {lookups, n, r->arena, fn, payload, EVREC_UNKNOWN, err};
  rc = evr__reader_get_many(r->evr, &g);
  if (g.last != EVREC_UNKNOWN) r->count = g.last + 1, r->failed = 0;
  return rc;
}

void evrec_reader_close(evrec_reader *r) {
  if (!r) return;
  evr__reader_free(r->evr);
  if (r->own_fd) close(r->fd);
  if (r->kind != SRC_MEM) free(r->buf);
  evrec_arena_free(r->arena);
  free(r->name);
  free(r);
}

/* ====================================================================== */
/* Block ranges                                                           */
/* ====================================================================== */

int evrec_reader_blocks(evrec_reader *r, evrec_block **out, size_t *n, evrec_error *err) {
  if (!out || !n) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  *out = NULL;
  *n = 0;
  int rc = rd_random_access(r, err);
  return rc ? rc : evr__reader_blocks(r->evr, out, n, err);
}

/* Like a seek, a successful positioning clears a sticky error. */
int evrec_reader_seek_block(evrec_reader *r, const evrec_block *block, uint64_t end,
                            evrec_error *err) {
  if (!block) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  int rc = rd_random_access(r, err);
  if (rc == EVREC_OK) rc = evr__reader_seek_block(r->evr, block, end, err);
  if (rc == EVREC_OK) r->count = block->first, r->failed = 0;
  return rc;
}

/* ====================================================================== */
/* Positions: going back to a record (evrec_reader_tell / _seek)          */
/* ====================================================================== */

/* A position is where reading resumes, plus what the JSON layout parser
 * expects there: (byte offset << POS_SHIFT) | state. The state is part of
 * the position because the same bytes mean different things inside and
 * outside an array of records. .evr positions are record ordinals instead
 * (the container has its own random access through the index). Callers
 * treat positions as opaque. Used by diff.c to decode again the few
 * records whose content hashes differ. */
#define POS_SHIFT 3
enum { POS_OBJECTS, POS_ARRAY_FIRST, POS_ARRAY_NEXT, POS_START, POS_ARRAY_DONE, POS_PB_DONE };

/* Blanks from buf[i] within the buffer; @return the first other byte's
 * index, or end when the buffer ends first. */
static size_t pos_skip_ws(const evrec_reader *r, size_t i) {
  while (i < r->end && is_ws(r->buf[i])) i++;
  return i;
}

/* JSON: the next record's own first byte when the buffer shows it (so
 * that an offset reported for the record is its '{'), else where the
 * layout parser stands, which evrec_reader_next() resumes from just as
 * well. */
static uint64_t pos_json(const evrec_reader *r) {
  static const unsigned state_of[] = {[J_START] = POS_START, [J_OBJECTS] = POS_OBJECTS,
                                      [J_ARRAY_FIRST] = POS_ARRAY_FIRST,
                                      [J_ARRAY_NEXT] = POS_ARRAY_NEXT,
                                      [J_ARRAY_DONE] = POS_ARRAY_DONE};
  uint64_t fallback = rd_offset(r) << POS_SHIFT | state_of[r->js];
  size_t i = pos_skip_ws(r, r->pos);
  unsigned st = state_of[r->js];
  if (i < r->end && ((r->js == J_START && r->buf[i] == '[') ||
                     (r->js == J_ARRAY_NEXT && r->buf[i] == ','))) {
    i = pos_skip_ws(r, i + 1);
    st = POS_ARRAY_FIRST;
  } else if (r->js == J_START) {
    st = POS_OBJECTS;
  }
  if (i >= r->end || r->buf[i] != '{' || r->js == J_ARRAY_DONE) return fallback;
  return (r->buf_off + i) << POS_SHIFT | st;
}

uint64_t evrec_reader_tell(const evrec_reader *r) {
  if (!r) return 0;
  switch (r->format) {
  case EVREC_FORMAT_EVR: return r->count;
  case EVREC_FORMAT_PB: return r->pb_done ? POS_PB_DONE : 0;
  case EVREC_FORMAT_PBD: return rd_offset(r) << POS_SHIFT;
  default: return pos_json(r);
  }
}

uint64_t evrec_reader_pos_offset(const evrec_reader *r, uint64_t pos) {
  if (!r || r->format == EVREC_FORMAT_EVR) return EVREC_UNKNOWN;
  return pos >> POS_SHIFT;
}

/* True when the input can go back: memory, or a regular file. */
static bool rd_seekable(const evrec_reader *r) {
  struct stat st;
  if (r->kind == SRC_MEM) return true;
  int fd = r->kind == SRC_FD ? r->fd : fileno(r->fp);
  return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* The layout parser's state at a position into *js; false for a state
 * that no position of this format has. */
static bool pos_state(const evrec_reader *r, unsigned st, jstate *js) {
  static const jstate js_of[] = {[POS_OBJECTS] = J_OBJECTS, [POS_ARRAY_FIRST] = J_ARRAY_FIRST,
                                 [POS_ARRAY_NEXT] = J_ARRAY_NEXT, [POS_START] = J_START,
                                 [POS_ARRAY_DONE] = J_ARRAY_DONE};
  *js = r->js;
  switch (r->format) {
  case EVREC_FORMAT_PB: return st == 0 || st == POS_PB_DONE;
  case EVREC_FORMAT_PBD: return st == 0;
  default: break;
  }
  if (st > POS_ARRAY_DONE) return false;
  *js = js_of[st];
  return true;
}

int evrec_reader_seek(evrec_reader *r, uint64_t pos, evrec_error *err) {
  if (!r) return evrec__err(err, EVREC_E_INVALID_ARG, "reader: NULL argument");
  if (r->format == EVREC_FORMAT_EVR) return evrec_reader_seek_ordinal(r, pos, err);
  if (!rd_seekable(r))
    return evrec__err(err, EVREC_E_UNSUPPORTED, "cannot go back in %s: not a regular file",
                      r->name);
  unsigned st = (unsigned)(pos & ((1u << POS_SHIFT) - 1));
  uint64_t off = pos >> POS_SHIFT;
  jstate js;
  if (!pos_state(r, st, &js) || (r->format == EVREC_FORMAT_PB && off != 0))
    return evrec__err(err, EVREC_E_INVALID_ARG, "%" PRIu64 " is not a position in %s", pos,
                      r->name);
  if (off >= rd_offset(r) && off - r->buf_off <= r->end) {
    if (off > rd_offset(r)) rd_advance(r, (size_t)(off - rd_offset(r))); /* lines still known */
  } else {
    int rc = io_seek(r, off, err);
    if (rc) return rc;
    r->line = 0; /* unknown: errors give the byte offset */
    r->column = 1;
  }
  r->js = js;
  r->pb_done = st == POS_PB_DONE;
  r->failed = 0;
  return EVREC_OK;
}
