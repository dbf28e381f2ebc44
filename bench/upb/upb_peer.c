/* upb_peer.c -- Google's upb (C protobuf runtime, reflection API) as a peer
 * for evrec's NDJSON <-> pbd conversions. Not part of evrec; benchmark only.
 *
 *   upb_peer [options] SCHEMA.fds json2pbd IN.ndjson [OUT]
 *   upb_peer [options] SCHEMA.fds pbd2json IN.pbd    [OUT]
 *
 * SCHEMA.fds: FileDescriptorSet with imports (protoc --include_imports
 * --descriptor_set_out). Message: evrec.v1.Record. OUT defaults to stdout.
 *
 * json2pbd: whole input read in one go; per line upb_JsonDecode into a fresh
 *   message, upb_Encode, varint length + bytes into a 1 MiB output buffer.
 * pbd2json: per varint-delimited record upb_Decode + upb_JsonEncode (options
 *   0 = canonical proto3 JSON: lowerCamel names, defaults omitted, enum
 *   names, no whitespace), line + '\n'.
 *
 * Options:
 *   --arena=reuse  (default) each record's arena starts in one reused 4 MiB
 *                  block (upb_Arena_Init(mem, n, &upb_alloc_global)), so a
 *                  record costs no malloc unless it outgrows the block
 *   --arena=new    upb_Arena_New() + upb_Arena_Free() per record
 *   --alias        pbd2json: kUpb_DecodeOption_AliasString (strings point into
 *                  the input buffer instead of being copied); default: copy
 */
#include "ruby-upb.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ARENA_BLOCK (4u << 20)
#define OUT_CAP (1u << 20)

static void die(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "upb_peer: ");
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  exit(1);
}

static char *read_all(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) die("%s: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) die("%s: %s", path, strerror(errno));
  size_t n = (size_t)st.st_size, got = 0;
  char *buf = malloc(n + 1);
  if (!buf) die("%s: %s", path, "out of memory");
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) die("%s: %s", path, r < 0 ? strerror(errno) : "short read");
    got += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Buffered output. */
typedef struct {
  int fd;
  char *buf;
  size_t len, cap;
} out_t;

static void out_flush(out_t *o) {
  size_t off = 0;
  while (off < o->len) {
    ssize_t w = write(o->fd, o->buf + off, o->len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) die("write: %s%s", strerror(errno), "");
    off += (size_t)w;
  }
  o->len = 0;
}

static void out_reserve(out_t *o, size_t n) {
  if (o->cap - o->len >= n) return;
  out_flush(o);
  if (o->cap >= n) return;
  while (o->cap < n) o->cap *= 2;
  o->buf = realloc(o->buf, o->cap);
  if (!o->buf) die("%s%s", "out of memory", "");
}

static void out_put(out_t *o, const char *p, size_t n) {
  out_reserve(o, n);
  memcpy(o->buf + o->len, p, n);
  o->len += n;
}

typedef struct {
  int reuse;
  void *block;
  upb_Arena *a;
} arena_t;

static upb_Arena *arena_begin(arena_t *ar) {
  ar->a = ar->reuse ? upb_Arena_Init(ar->block, ARENA_BLOCK, &upb_alloc_global)
                    : upb_Arena_New();
  if (!ar->a) die("%s%s", "arena: out of memory", "");
  return ar->a;
}

static void arena_end(arena_t *ar) { upb_Arena_Free(ar->a); }

static void json2pbd(const upb_DefPool *pool, const upb_MessageDef *m,
                     const char *in, size_t n, out_t *o, arena_t *ar) {
  const upb_MiniTable *mt = upb_MessageDef_MiniTable(m);
  const char *p = in, *end = in + n;
  unsigned long rec = 0;
  upb_Status st;
  char num[32];
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    if (le > p) {
      rec++;
      upb_Arena *a = arena_begin(ar);
      upb_Message *msg = upb_Message_New(mt, a);
      upb_Status_Clear(&st);
      if (!upb_JsonDecode(p, (size_t)(le - p), msg, m, pool, 0, a, &st)) {
        snprintf(num, sizeof num, "%lu", rec);
        die("record %s: JSON decode: %s", num, upb_Status_ErrorMessage(&st));
      }
      char *bin;
      size_t size;
      if (upb_Encode(msg, mt, 0, a, &bin, &size) != kUpb_EncodeStatus_Ok) {
        snprintf(num, sizeof num, "%lu", rec);
        die("record %s: %s", num, "encode failed");
      }
      out_reserve(o, size + 10);
      uint64_t v = size;
      char *q = o->buf + o->len;
      while (v >= 0x80) {
        *q++ = (char)(v | 0x80);
        v >>= 7;
      }
      *q++ = (char)v;
      o->len = (size_t)(q - o->buf);
      out_put(o, bin, size);
      arena_end(ar);
    }
    p = le + 1;
  }
}

static void pbd2json(const upb_DefPool *pool, const upb_MessageDef *m,
                     const char *in, size_t n, out_t *o, arena_t *ar,
                     int dec_opts) {
  const upb_MiniTable *mt = upb_MessageDef_MiniTable(m);
  const unsigned char *p = (const unsigned char *)in, *end = p + n;
  unsigned long rec = 0;
  upb_Status st;
  char num[32];
  while (p < end) {
    uint64_t len = 0;
    int shift = 0;
    rec++;
    snprintf(num, sizeof num, "%lu", rec);
    for (;;) {
      if (p >= end || shift > 63) die("record %s: %s", num, "bad length");
      unsigned char c = *p++;
      len |= (uint64_t)(c & 0x7f) << shift;
      if (!(c & 0x80)) break;
      shift += 7;
    }
    if (len > (uint64_t)(end - p)) die("record %s: %s", num, "truncated");
    upb_Arena *a = arena_begin(ar);
    upb_Message *msg = upb_Message_New(mt, a);
    upb_DecodeStatus ds =
        upb_Decode((const char *)p, (size_t)len, msg, mt, NULL, dec_opts, a);
    if (ds != kUpb_DecodeStatus_Ok)
      die("record %s: decode: %s", num, upb_DecodeStatus_String(ds));
    p += len;
    if (o->cap - o->len < (64u << 10)) out_flush(o);
    for (;;) {
      size_t avail = o->cap - o->len;
      upb_Status_Clear(&st);
      size_t w = upb_JsonEncode(msg, m, pool, 0, o->buf + o->len, avail, &st);
      if (!upb_Status_IsOk(&st))
        die("record %s: JSON encode: %s", num, upb_Status_ErrorMessage(&st));
      if (w < avail) { /* fits; its NUL becomes the '\n' */
        o->buf[o->len + w] = '\n';
        o->len += w + 1;
        break;
      }
      out_reserve(o, w + 2); /* flush, grow if needed, encode again */
    }
    arena_end(ar);
  }
}

static void usage(void) {
  fprintf(stderr,
          "usage: upb_peer [--arena=reuse|new] [--alias] SCHEMA.fds "
          "json2pbd|pbd2json IN [OUT]\n");
  exit(2);
}

int main(int argc, char **argv) {
  arena_t ar = {1, NULL, NULL};
  int dec_opts = 0, i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--arena=reuse") == 0) ar.reuse = 1;
    else if (strcmp(argv[i], "--arena=new") == 0) ar.reuse = 0;
    else if (strcmp(argv[i], "--alias") == 0) dec_opts |= kUpb_DecodeOption_AliasString;
    else usage();
  }
  if (argc - i < 3 || argc - i > 4) usage();
  const char *fds_path = argv[i], *mode = argv[i + 1], *in_path = argv[i + 2];
  const char *out_path = argc - i == 4 ? argv[i + 3] : NULL;

  /* Schema: FileDescriptorSet -> DefPool. */
  size_t fds_len;
  char *fds = read_all(fds_path, &fds_len);
  upb_Arena *schema_arena = upb_Arena_New();
  google_protobuf_FileDescriptorSet *set =
      google_protobuf_FileDescriptorSet_parse(fds, fds_len, schema_arena);
  if (!set) die("%s: %s", fds_path, "not a FileDescriptorSet");
  upb_DefPool *pool = upb_DefPool_New();
  size_t nfiles;
  const google_protobuf_FileDescriptorProto *const *files =
      google_protobuf_FileDescriptorSet_file(set, &nfiles);
  upb_Status st;
  for (size_t k = 0; k < nfiles; k++) {
    upb_Status_Clear(&st);
    if (!upb_DefPool_AddFile(pool, files[k], &st))
      die("%s: %s", fds_path, upb_Status_ErrorMessage(&st));
  }
  const upb_MessageDef *m =
      upb_DefPool_FindMessageByName(pool, "evrec.v1.Record");
  if (!m) die("%s: %s", fds_path, "no evrec.v1.Record");

  out_t o = {1, malloc(OUT_CAP), 0, OUT_CAP};
  if (!o.buf) die("%s%s", "out of memory", "");
  if (out_path && strcmp(out_path, "-") != 0) {
    o.fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o.fd < 0) die("%s: %s", out_path, strerror(errno));
  }
  if (ar.reuse && !(ar.block = malloc(ARENA_BLOCK)))
    die("%s%s", "out of memory", "");

  size_t n;
  char *in = read_all(in_path, &n);
  if (strcmp(mode, "json2pbd") == 0) json2pbd(pool, m, in, n, &o, &ar);
  else if (strcmp(mode, "pbd2json") == 0) pbd2json(pool, m, in, n, &o, &ar, dec_opts);
  else usage();
  out_flush(&o);
  if (o.fd != 1 && close(o.fd) != 0) die("close: %s%s", strerror(errno), "");

  free(in);
  free(ar.block);
  free(o.buf);
  upb_DefPool_Free(pool);
  upb_Arena_Free(schema_arena);
  free(fds);
  return 0;
}
