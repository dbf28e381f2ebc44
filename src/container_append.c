/*
 * container_append.c -- appending to an existing .evr file
 * (evrec_writer_options.append): the new records join the file's last
 * section instead of starting a new one.
 *
 * The file must end in an intact EOF member whose index and header it
 * names: the index (blocks and ids) is read back into the writer, which
 * then writes its blocks after the old EOF member's start -- the old index
 * and EOF member are overwritten by the new blocks, and the writer's final
 * index covers old and new blocks alike. The header is read only for its
 * record type, which the new records must share. All reads are pread(2) of
 * whole members checked like any reader checks them (container_member.c);
 * a damaged or truncated file is refused, naming the member at fault by its
 * offset, and left as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container_int.h"

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
    if (need > size - off)
      return evr__member_fail(m, EVREC_E_CORRUPT, "member runs past the end of the file");
    if (!evrec__buf_reserve(buf, need)) return EVREC_E_NOMEM;
    int e = pread_all(fd, off, buf->data, need);
    if (e) return evr__member_fail(m, EVREC_E_IO, "%s", strerror(e));
    have = need;
    hr = evr__head_parse(m, (const uint8_t *)buf->data, have, UINT32_MAX, &need);
    if (hr == HEAD_BAD) return EVREC_E_CORRUPT;
    if (hr == HEAD_OK && m->kind != kind) return EVREC_DONE;
  }
  return evr__member_check(m, z, (const uint8_t *)buf->data, 0, payload);
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
    if (rc == EVREC_OK && !evrec__buf_append(blob, buf.data + m->blob_at, m->blob_len))
      rc = EVREC_E_NOMEM;
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
                                : pread_member(fd, size - EVR__EOF_SIZE, size, EVR__EOF, &buf, m,
                                               z, &payload);
  if (rc == EVREC_DONE || (rc == EVREC_OK && m->bsize != EVR__EOF_SIZE)) rc = EVREC_E_CORRUPT;
  for (int i = 0; rc == EVREC_OK && i < 3; i++)
    ee[i] = le64((const uint8_t *)buf.data + m->blob_at + 8 * i);
  evrec__buf_free(&buf);
  evrec__buf_free(&payload);
  return rc;
}

/* Reads the blob of the `kind` members from `off` on. On failure `why`
 * says what is wrong and *at where. */
static int append_blob(int fd, uint64_t off, uint64_t end, int kind, evr__inflater *z,
                       evrec__buf *blob, char *why, uint64_t *at) {
  member m;
  *at = off;
  int rc = pread_blob(fd, off, end, kind, blob, &m, z);
  if (rc == EVREC_OK) return EVREC_OK;
  *at = m.off;
  return evr__why_fail(why, rc, "%s member: %.80s", kind == EVR__INDEX ? "index" : "header", m.why);
}

/* Loads the old index and header of the last section of the file. On
 * failure `why` says what is wrong and *at (when known) where. */
static int append_load(evr__writer *w, int fd, uint64_t size, evr__inflater *z, char *why,
                       uint64_t *at) {
  uint64_t ee[3];
  member m;
  int rc = append_eof(fd, size, ee, z, &m);
  uint64_t eof_off = size - EVR__EOF_SIZE;
  if (rc) return evr__why_fail(why, rc, "no intact EOF member at its end (truncated or damaged)");
  *at = eof_off;
  if (ee[0] == 0 || ee[0] > eof_off || ee[1] > eof_off)
    return evr__why_fail(why, EVREC_E_CORRUPT, "its EOF member has no index or bad positions");
  w->section_start = eof_off - ee[1];
  evrec__buf blob;
  evrec__buf_init(&blob);
  rc = append_blob(fd, eof_off - ee[0], eof_off, EVR__INDEX, z, &blob, why, at);
  if (rc == EVREC_OK)
    rc = evr__index_parse(&w->ix, (const uint8_t *)blob.data, blob.len, eof_off - ee[0], ee[2],
                          why);
  w->ix.cap_blocks = w->ix.nblocks;
  w->ix.cap_ids = w->ix.nids;
  blob.len = 0;
  evrec_container_header h;
  evrec_arena *a = rc == EVREC_OK ? evrec_arena_new(0) : NULL;
  if (rc == EVREC_OK && !a) rc = EVREC_E_NOMEM;
  if (rc == EVREC_OK)
    rc = append_blob(fd, w->section_start, eof_off, EVR__HEADER, z, &blob, why, at);
  if (rc == EVREC_OK) rc = evr__header_parse(&h, (const uint8_t *)blob.data, blob.len, a, why);
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

