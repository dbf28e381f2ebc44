/*
 * writer.c -- streaming record writer with atomic replacement of files.
 *
 * Output goes through one buffer (flushed at 256 KiB) to a file descriptor
 * or, for stdout and caller streams, to a FILE.
 *
 * Atomic output: a regular file is written under "<path>.tmp.XXXXXX" in the
 * same directory (so the final rename(2) cannot cross file systems) and
 * renamed over `path` only by a successful evrec_writer_close(); any error
 * or evrec_writer_abort() unlinks the temporary file instead, so a failed
 * run never leaves a partial file nor touches an existing one. The
 * temporary file is created with open(O_CREAT | O_EXCL, 0666), so the
 * process umask applies exactly as for a plain create (mkstemp's 0600 would
 * need umask(2) to fix, which changes process-wide state); when `path`
 * already exists its permission bits are carried over, as an in-place
 * rewrite would keep them. A symlink at `path` is resolved, so the link
 * stays and its target is replaced. Paths that are not regular files
 * (/dev/null, a FIFO, a terminal) are written in place. EVREC_WRITE_APPEND
 * writes in place with O_APPEND (pbd and ndjson only, whose records are
 * self-delimiting); any error or abort truncates the file back to its size
 * before, so a failed append leaves it as it was.
 *
 * Layouts:
 *   ndjson      compact object + "\n" per record
 *   json        the same; EVREC_JSON_PRETTY: indented object + "\n";
 *               EVREC_WRITE_ARRAY: "[" records joined by ",\n" "]\n"
 *               ("[]\n" when empty)
 *   pb          exactly one record (a second is EVREC_E_FORMAT); no record
 *               gives an empty file, which is the valid empty message
 *   pbd         varint length + message per record
 *   evr         the container (container_*.c): records go to an evr__writer,
 *               whose finished members come back through wr_emit() into
 *               the same output buffer. EVREC_WRITE_APPEND opens the file
 *               read-write, carries its index over and, should anything
 *               fail, truncates it back to its original size.
 *
 * Binary output first checks every string for valid UTF-8 (proto3 requires
 * it, protobuf-c does not check), so a writer never produces data its own
 * reader rejects. Errors are sticky.
 *
 * Records may also come already packed, from evrec's own encoders
 * (evrec__writer_write_packed): binary output (pb, pbd, evr) vouched for
 * by EVREC_WRITE_VALID_UTF8 takes the bytes as they are; JSON and checked
 * output decode them into the writer's arena and write the message.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "internal.h"

#define FLUSH_AT (256u * 1024u)
#define TMP_TRIES 64

struct evrec_writer {
  evrec_format format;
  evrec_json_encode_options jopts;
  bool array; /* json: one array of all records */
  bool valid_utf8; /* EVREC_WRITE_VALID_UTF8: the caller vouches for strings */
  int fd;     /* -1 when writing through fp */
  bool own_fd;
  FILE *fp;
  char *path; /* rename target, NULL when writing in place */
  char *tmp;  /* temporary file, NULL when writing in place */
  char *name; /* for messages */
  evrec__buf out;
  evr__writer *evr;     /* format evr */
  bool appending;       /* append: truncate back on failure */
  uint64_t append_size; /* the file's size before appending */
  uint64_t count;
  evrec_arena *arena;   /* decoded packed records (evrec__writer_write_packed) */
  evrec__jnames *names; /* JSON output: printed field names (json_encode.c) */
  int failed; /* sticky error status */
  evrec_error ferr;
};

/* ====================================================================== */
/* Output                                                                 */
/* ====================================================================== */

static int wr_io_error(evrec_writer *w, evrec_error *err, int e) {
  return evrec__err(err, EVREC_E_IO, "error writing %s: %s", w->name, strerror(e));
}

static int wr_write_fd(evrec_writer *w, const char *p, size_t n, evrec_error *err) {
  while (n > 0) {
    ssize_t k = write(w->fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return wr_io_error(w, err, k < 0 ? errno : ENOSPC);
    p += k;
    n -= (size_t)k;
  }
  return EVREC_OK;
}

/* Writes out the buffer; with `sync_stream`, also fflush()es a FILE. */
static int wr_flush(evrec_writer *w, bool sync_stream, evrec_error *err) {
  int rc = EVREC_OK;
  if (w->fd >= 0) {
    rc = wr_write_fd(w, w->out.data, w->out.len, err);
  } else {
    errno = 0;
    if (w->out.len && fwrite(w->out.data, 1, w->out.len, w->fp) != w->out.len)
      rc = wr_io_error(w, err, errno ? errno : EIO);
    else if (sync_stream && fflush(w->fp) != 0)
      rc = wr_io_error(w, err, errno ? errno : EIO);
  }
  w->out.len = 0;
  return rc;
}

/* ====================================================================== */
/* Records                                                                */
/* ====================================================================== */

static int wr_json(evrec_writer *w, const ProtobufCMessage *msg, evrec_error *err) {
  if (w->array && w->count > 0) evrec__buf_append(&w->out, ",\n", 2);
  int rc = evrec__json_encode_buf(&w->out, msg, &w->jopts, w->names, err);
  if (rc) return rc;
  if (!w->array) evrec__buf_putc(&w->out, '\n');
  return w->out.oom ? evrec__err(err, EVREC_E_NOMEM, "out of memory") : EVREC_OK;
}

static int wr_binary(evrec_writer *w, const ProtobufCMessage *msg, evrec_error *err) {
  if (w->format == EVREC_FORMAT_PB && w->count > 0)
    return evrec__err(err, EVREC_E_FORMAT, "pb holds exactly one record; use pbd for more");
  int rc = w->valid_utf8 ? EVREC_OK : evrec__check_utf8(msg, err);
  if (rc) return rc;
  size_t n = w->format == EVREC_FORMAT_PBD ? evrec__pack_delimited(&w->out, msg)
                                            : evrec__pack(&w->out, msg);
  return n == SIZE_MAX ? evrec__err(err, EVREC_E_NOMEM, "out of memory") : EVREC_OK;
}

/* A packed record as it is (pb), or after its length (pbd). */
static int wr_packed(evrec_writer *w, const void *data, size_t len, evrec_error *err) {
  if (w->format == EVREC_FORMAT_PB && w->count > 0)
    return evrec__err(err, EVREC_E_FORMAT, "pb holds exactly one record; use pbd for more");
  char prefix[EVREC__VARINT_MAX];
  size_t n = w->format == EVREC_FORMAT_PBD ? evrec__varint_put(len, prefix) : 0;
  if (!evrec__buf_append(&w->out, prefix, n) || !evrec__buf_append(&w->out, data, len))
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  return EVREC_OK;
}

/* After a record: counts it and flushes a full buffer; a failure other
 * than a refused record (EVREC_E_LIMIT) makes the writer fail. */
static int wr_done(evrec_writer *w, int rc, evrec_error *e) {
  if (rc == EVREC_OK) w->count++;
  if (rc == EVREC_OK && w->out.len >= FLUSH_AT) rc = wr_flush(w, false, e);
  if (rc) {
    if (e->record == EVREC_UNKNOWN) e->record = w->count;
    if (rc != EVREC_E_LIMIT) {
      w->failed = rc;
      w->ferr = *e;
    }
  }
  return rc;
}

/* One record: msg, or (msg NULL) the packed bytes of a `type` message for
 * pb, pbd and evr output. A failed record leaves no partial encoding
 * behind. Errors are sticky -- the output would lack a record -- except a
 * record refused for its size or depth (EVREC_E_LIMIT): nothing of it was
 * written and the caller, told which record, may go on without it (as
 * `evrec import --skip-bad` does). */
static int wr_record(evrec_writer *w, const ProtobufCMessage *msg,
                     const ProtobufCMessageDescriptor *type, const void *data, size_t len,
                     evrec_error *err) {
  if (w->failed) {
    if (err) *err = w->ferr;
    return w->failed;
  }
  evrec_error local;
  evrec_error *e = err ? err : &local;
  size_t mark = w->out.len;
  bool json = w->format == EVREC_FORMAT_JSON || w->format == EVREC_FORMAT_NDJSON;
  int rc = w->evr ? (msg ? evr__writer_write(w->evr, msg, w->count, e)
                         : evr__writer_write_packed(w->evr, type, data, len, w->count, e))
           : !msg ? wr_packed(w, data, len, e)
           : json ? wr_json(w, msg, e)
                  : wr_binary(w, msg, e);
  if (rc) w->out.len = mark; /* drop a partial encoding */
  return wr_done(w, rc, e);
}

int evrec_writer_write(evrec_writer *w, const ProtobufCMessage *msg, evrec_error *err) {
  if (!w || !msg) return evrec__err(err, EVREC_E_INVALID_ARG, "writer: NULL argument");
  return wr_record(w, msg, msg->descriptor, NULL, 0, err);
}

int evrec__writer_write_packed(evrec_writer *w, const ProtobufCMessageDescriptor *type,
                               const void *data, size_t len, evrec_error *err) {
  if (!w || !type || (!data && len))
    return evrec__err(err, EVREC_E_INVALID_ARG, "writer: NULL argument");
  bool json = w->format == EVREC_FORMAT_JSON || w->format == EVREC_FORMAT_NDJSON;
  if (!json && w->valid_utf8) return wr_record(w, NULL, type, data, len, err);
  /* Other formats (and checked strings) take the message. */
  if (!w->arena && !(w->arena = evrec_arena_new(0)))
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  ProtobufCMessage *msg;
  int rc = evrec_pb_decode(&msg, type, data, len, w->arena, err);
  if (rc == EVREC_OK) rc = wr_record(w, msg, type, NULL, 0, err);
  evrec__arena_recycle(w->arena);
  return rc;
}

/* A record encoded in place is preceded by PACKED_GAP bytes for its length:
 * records of 128 bytes to 16 KiB take two, and the others are moved by a
 * byte or two when they end. Encoding into the output itself, rather than
 * into a buffer of the encoder's own, saves copying every byte once more. */
#define PACKED_GAP 2

evrec__buf *evrec__writer_packed_begin(evrec_writer *w, size_t *mark) {
  if (!w || w->failed || w->evr || w->format != EVREC_FORMAT_PBD || !w->valid_utf8) return NULL;
  if (!evrec__buf_reserve(&w->out, PACKED_GAP)) return NULL; /* the caller's own buffer will fail */
  *mark = w->out.len;
  w->out.len += PACKED_GAP;
  return &w->out;
}

int evrec__writer_packed_end(evrec_writer *w, size_t mark, bool keep, evrec_error *err) {
  evrec_error local;
  evrec_error *e = err ? err : &local;
  evrec__buf *b = &w->out;
  if (!keep || b->oom || b->len < mark + PACKED_GAP) {
    bool oom = b->oom;
    b->len = mark;
    if (!oom) return EVREC_OK;
    return wr_done(w, evrec__err(e, EVREC_E_NOMEM, "out of memory"), e);
  }
  size_t len = b->len - mark - PACKED_GAP;
  uint8_t prefix[EVREC__VARINT_MAX];
  size_t h = evrec__varint_put(len, prefix);
  if (h != PACKED_GAP) {
    if (h > PACKED_GAP && !evrec__buf_reserve(b, h - PACKED_GAP)) {
      b->len = mark;
      return wr_done(w, evrec__err(e, EVREC_E_NOMEM, "out of memory"), e);
    }
    memmove(b->data + mark + h, b->data + mark + PACKED_GAP, len);
    b->len = mark + h + len;
  }
  memcpy(b->data + mark, prefix, h);
  return wr_done(w, EVREC_OK, e);
}

uint64_t evrec_writer_count(const evrec_writer *w) { return w ? w->count : 0; }

/* ====================================================================== */
/* Opening                                                                */
/* ====================================================================== */

/* Finished container members join the output buffer (producer thread). */
static int wr_emit(void *ctx, const void *p, size_t n, evrec_error *err) {
  evrec_writer *w = ctx;
  if (!evrec__buf_append(&w->out, p, n)) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  return w->out.len >= FLUSH_AT ? wr_flush(w, false, err) : EVREC_OK;
}

static void wr_free(evrec_writer *w) {
  evr__writer_free(w->evr); /* stops its threads first */
  if (w->appending && w->fd >= 0 && ftruncate(w->fd, (off_t)w->append_size) != 0) {
    /* nothing more to do: the caller already has the first error */
  }
  if (w->own_fd && w->fd >= 0) close(w->fd);
  if (w->tmp) unlink(w->tmp);
  evrec__buf_free(&w->out);
  evrec_arena_free(w->arena);
  evrec__jnames_free(w->names);
  free(w->path);
  free(w->tmp);
  free(w->name);
  free(w);
}

static int wr_new(evrec_writer **out, const evrec_writer_options *opts, const char *name,
                  const char *ext_path, evrec_error *err) {
  evrec_writer_options current; /* any version's fields, defaults for the rest */
  int vrc = evrec__writer_options_get(&current, opts, err);
  if (vrc) return vrc;
  opts = &current;
  evrec_format f = opts->format ? opts->format : evrec_format_from_path(ext_path);
  if (f == EVREC_FORMAT_AUTO) f = EVREC_FORMAT_NDJSON;
  if ((unsigned)f > EVREC_FORMAT_EVR)
    return evrec__err(err, EVREC_E_INVALID_ARG, "invalid format %d", (int)f);
  if (opts->flags & ~(EVREC_WRITE_ARRAY | EVREC_WRITE_APPEND | EVREC_WRITE_VALID_UTF8))
    return evrec__err(err, EVREC_E_INVALID_ARG, "unknown writer flags 0x%x", opts->flags);
  bool array = f == EVREC_FORMAT_JSON && (opts->flags & EVREC_WRITE_ARRAY);
  if ((opts->flags & EVREC_WRITE_APPEND) && (array || f == EVREC_FORMAT_PB))
    return evrec__err(err, EVREC_E_INVALID_ARG,
                      "appending works only for pbd, ndjson and evr output, not %s",
                      array ? "a JSON array" : "pb");
  evrec_writer *w = calloc(1, sizeof *w);
  if (!w) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  w->fd = -1;
  w->format = f;
  w->array = array;
  w->jopts.version = EVREC_JSON_ENCODE_OPTIONS_VERSION;
  w->jopts.types = opts->types;
  /* NDJSON is one compact object per line whatever the flags say. */
  w->jopts.flags = opts->json_flags & (f == EVREC_FORMAT_NDJSON ? ~EVREC_JSON_PRETTY : ~0u);
  w->valid_utf8 = (opts->flags & EVREC_WRITE_VALID_UTF8) != 0;
  if (w->valid_utf8) w->jopts.flags |= EVREC_JSON_VALID_UTF8;
  w->name = strdup(opts->name ? opts->name : name);
  bool json = f == EVREC_FORMAT_JSON || f == EVREC_FORMAT_NDJSON;
  if (json) w->names = evrec__jnames_new();
  if (!w->name || (json && !w->names) || (array && !evrec__buf_putc(&w->out, '['))) {
    wr_free(w);
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  }
  int rc = f == EVREC_FORMAT_EVR ? evr__writer_new(&w->evr, opts, wr_emit, w, err) : EVREC_OK;
  if (rc) {
    wr_free(w);
    return rc;
  }
  *out = w;
  return EVREC_OK;
}

/* Creates "<target>.tmp.XXXXXX" exclusively; the suffix mixes the pid, the
 * clock and the writer's address, and a clash just tries again. */
static int wr_create_tmp(evrec_writer *w, const char *target, evrec_error *err) {
  size_t n = strlen(target) + 32;
  w->tmp = malloc(n);
  if (!w->tmp) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)w;
  for (int i = 0; i < TMP_TRIES; i++) {
    seed = seed * 6364136223846793005u + 1442695040888963407u; /* LCG step */
    snprintf(w->tmp, n, "%s.tmp.%06x", target, (unsigned)(seed >> 40) & 0xffffffu);
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (w->fd >= 0) return EVREC_OK;
    if (errno != EEXIST) break;
  }
  int e = errno;
  free(w->tmp);
  w->tmp = NULL;
  return evrec__err(err, EVREC_E_IO, "cannot create a temporary file next to %s: %s", w->name,
                    strerror(e));
}

/* Opens `path` for atomic replacement (or in place when it is not a
 * regular file). */
static int wr_open_atomic(evrec_writer *w, const char *path, evrec_error *err) {
  struct stat st;
  bool exists = stat(path, &st) == 0;
  if (exists && S_ISDIR(st.st_mode))
    return evrec__err(err, EVREC_E_IO, "cannot write %s: %s", w->name, strerror(EISDIR));
  if (exists && !S_ISREG(st.st_mode)) {
    w->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    return w->fd >= 0 ? EVREC_OK
                      : evrec__err(err, EVREC_E_IO, "cannot open %s: %s", w->name, strerror(errno));
  }
  struct stat lst;
  bool link = exists && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
  w->path = link ? realpath(path, NULL) : strdup(path);
  if (!w->path) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  int rc = wr_create_tmp(w, w->path, err);
  if (rc == EVREC_OK && exists) (void)fchmod(w->fd, st.st_mode & 07777); /* best effort */
  return rc;
}

/* Appending records: a failure truncates the file back to its old size, as
 * for a container, since a torn last record would make every record
 * appended after it unreadable. Not for FIFOs and devices. */
static void wr_append_mark(evrec_writer *w) {
  struct stat st;
  if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode)) {
    w->append_size = (uint64_t)st.st_size;
    w->appending = true;
  }
}

/* Appending to a container: old bytes stay; a failure truncates back. */
static int wr_append_evr(evrec_writer *w, evrec_error *err) {
  struct stat st;
  if (fstat(w->fd, &st) != 0 || !S_ISREG(st.st_mode))
    return evrec__err(err, EVREC_E_INVALID_ARG, "cannot append to %s: not a regular file", w->name);
  int rc = evr__writer_append(w->evr, w->fd, w->name, err);
  w->append_size = (uint64_t)st.st_size;
  w->appending = rc == EVREC_OK;
  return rc;
}

int evrec_writer_open_file(evrec_writer **out, const char *path,
                           const evrec_writer_options *opts, evrec_error *err) {
  if (!out || !path) return evrec__err(err, EVREC_E_INVALID_ARG, "writer: NULL argument");
  *out = NULL;
  bool is_stdout = strcmp(path, "-") == 0;
  const char *ext = opts && opts->name ? opts->name : is_stdout ? NULL : path;
  evrec_writer *w = NULL;
  int rc = wr_new(&w, opts, is_stdout ? "stdout" : path, ext, err);
  if (rc) return rc;
  if (is_stdout) {
    w->fp = stdout;
  } else if (opts && (opts->flags & EVREC_WRITE_APPEND)) {
    int mode = w->evr ? O_RDWR : O_WRONLY; /* evr reads its tail first */
    w->fd = open(path, mode | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (w->fd < 0) rc = evrec__err(err, EVREC_E_IO, "cannot open %s: %s", w->name, strerror(errno));
    if (rc == EVREC_OK && w->evr) rc = wr_append_evr(w, err);
    else if (rc == EVREC_OK) wr_append_mark(w);
  } else {
    rc = wr_open_atomic(w, path, err);
  }
  w->own_fd = w->fd >= 0;
  if (rc) {
    wr_free(w);
    return rc;
  }
  *out = w;
  return EVREC_OK;
}

int evrec_writer_open_FILE(evrec_writer **out, FILE *fp, const evrec_writer_options *opts,
                           evrec_error *err) {
  if (!out || !fp) return evrec__err(err, EVREC_E_INVALID_ARG, "writer: NULL argument");
  *out = NULL;
  int rc = wr_new(out, opts, "output", opts ? opts->name : NULL, err);
  if (rc == EVREC_OK && (*out)->evr && opts && (opts->flags & EVREC_WRITE_APPEND)) {
    evrec_writer_abort(*out);
    *out = NULL;
    return evrec__err(err, EVREC_E_INVALID_ARG, "appending to a container needs a file path");
  }
  if (rc == EVREC_OK) (*out)->fp = fp;
  return rc;
}

/* ====================================================================== */
/* Closing                                                                */
/* ====================================================================== */

/* Closes the descriptor and renames the temporary file into place. */
static int wr_commit(evrec_writer *w, evrec_error *err) {
  int fd = w->fd;
  w->fd = -1;
  if (w->own_fd && close(fd) != 0) return wr_io_error(w, err, errno);
  if (!w->tmp) return EVREC_OK;
  if (rename(w->tmp, w->path) != 0)
    return evrec__err(err, EVREC_E_IO, "cannot rename %s to %s: %s", w->tmp, w->path,
                      strerror(errno));
  free(w->tmp);
  w->tmp = NULL; /* committed: nothing to unlink */
  return EVREC_OK;
}

int evrec_writer_close(evrec_writer *w, evrec_error *err) {
  if (!w) return EVREC_OK;
  int rc = w->failed;
  if (rc && err) *err = w->ferr;
  if (rc == EVREC_OK && w->array &&
      !evrec__buf_append(&w->out, "]\n", 2))
    rc = evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (rc == EVREC_OK && w->evr) rc = evr__writer_finish(w->evr, err);
  if (rc == EVREC_OK) rc = wr_flush(w, true, err);
  if (rc == EVREC_OK) w->appending = false; /* complete: keep the appended bytes */
  if (rc == EVREC_OK) rc = wr_commit(w, err);
  wr_free(w); /* unlinks the temporary file unless committed */
  return rc;
}

void evrec_writer_abort(evrec_writer *w) {
  if (w) wr_free(w);
}
