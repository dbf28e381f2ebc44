/*
 * container_deflate.c -- whole-block deflate, inflate and CRC-32 for the
 * .evr container, over libdeflate (the default) or zlib (`make
 * DEFLATE=zlib`).
 *
 * Every .evr member has a known size and a known (bounded) payload, so the
 * container never streams: it compresses one block buffer into one member
 * buffer and inflates one member into one payload buffer. That is exactly
 * libdeflate's buffer-to-buffer API, as htslib's bgzip uses it; measured on
 * the pbd of the 47 MB bench corpus (issue 11) it deflates about 1.5x
 * faster than zlib at a comparable level, with smaller output, and
 * inflates and checksums about 1.5-2x faster. Nothing in the container
 * reads a gzip stream of unknown size (recovery resynchronises on member
 * signatures and inflates whole members too), so no zlib streaming path is
 * left in the library when it is built with libdeflate.
 *
 * zlib stays as a build-time fallback for systems without libdeflate: the
 * same format, other compressed bytes (its deflate makes other choices at
 * the same level); `make test` builds and tests both and reads the files
 * of each build with the other (tests/tests.mk, test-zlib).
 *
 * Both backends behave the same to their callers (container.h): a stream
 * that ends before its final block is "incomplete" under zlib and "bad
 * data" under libdeflate (it cannot tell the two apart), which only changes
 * the wording of that damage message.
 */
#include <stdlib.h>
#include <string.h>

#include "container.h"

#ifdef EVREC_DEFLATE_ZLIB
#include <zlib.h>
#else
#include <libdeflate.h>
#endif

#ifdef EVREC_DEFLATE_ZLIB

/* ---------------------------------------------------------------- zlib */

struct evr__deflater {
  z_stream z;
};

struct evr__inflater {
  z_stream z;
};

evr__deflater *evr__deflater_new(int level) {
  evr__deflater *d = calloc(1, sizeof *d);
  if (d && deflateInit2(&d->z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    free(d);
    d = NULL;
  }
  return d;
}

void evr__deflater_free(evr__deflater *d) {
  if (!d) return;
  deflateEnd(&d->z);
  free(d);
}

size_t evr__deflate_bound(evr__deflater *d, size_t n) { return deflateBound(&d->z, (uLong)n); }

size_t evr__deflate(evr__deflater *d, const void *in, size_t n, void *out, size_t cap) {
  z_stream *z = &d->z;
  deflateReset(z);
  z->next_in = (Bytef *)(uintptr_t)in;
  z->avail_in = (uInt)n;
  z->next_out = out;
  z->avail_out = (uInt)cap;
  return deflate(z, Z_FINISH) == Z_STREAM_END ? (size_t)z->total_out : 0;
}

evr__inflater *evr__inflater_new(void) {
  evr__inflater *f = calloc(1, sizeof *f);
  if (f && inflateInit2(&f->z, -15) != Z_OK) {
    free(f);
    f = NULL;
  }
  return f;
}

void evr__inflater_free(evr__inflater *f) {
  if (!f) return;
  inflateEnd(&f->z);
  free(f);
}

int evr__inflate(evr__inflater *f, const void *in, size_t n, void *out, size_t cap,
                 size_t *used, size_t *got) {
  z_stream *z = &f->z;
  inflateReset(z);
  z->next_in = (Bytef *)(uintptr_t)in;
  z->avail_in = (uInt)n;
  z->next_out = out;
  z->avail_out = (uInt)cap;
  int zr = inflate(z, Z_FINISH);
  *used = n - z->avail_in;
  *got = (size_t)z->total_out;
  if (zr == Z_STREAM_END) return EVR__INFLATE_OK;
  if (zr == Z_MEM_ERROR) return EVR__INFLATE_NOMEM;
  if (zr == Z_DATA_ERROR) return EVR__INFLATE_BAD;
  return z->avail_out ? EVR__INFLATE_INCOMPLETE : EVR__INFLATE_FULL;
}

uint32_t evr__crc32(uint32_t crc, const void *p, size_t n) {
  /* zlib's crc32() takes uInt lengths: a 64 MiB block fits, but loop anyway */
  const Bytef *b = p;
  while (n > 0) {
    uInt k = n > 0x40000000u ? 0x40000000u : (uInt)n;
    crc = (uint32_t)crc32(crc, b, k);
    b += k;
    n -= k;
  }
  return crc;
}

#else

/* ---------------------------------------------------------------- libdeflate */

evr__deflater *evr__deflater_new(int level) {
  return (evr__deflater *)libdeflate_alloc_compressor(level);
}

void evr__deflater_free(evr__deflater *d) {
  if (d) libdeflate_free_compressor((struct libdeflate_compressor *)d);
}

size_t evr__deflate_bound(evr__deflater *d, size_t n) {
  return libdeflate_deflate_compress_bound((struct libdeflate_compressor *)d, n);
}

size_t evr__deflate(evr__deflater *d, const void *in, size_t n, void *out, size_t cap) {
  return libdeflate_deflate_compress((struct libdeflate_compressor *)d, in, n, out, cap);
}

evr__inflater *evr__inflater_new(void) {
  return (evr__inflater *)libdeflate_alloc_decompressor();
}

void evr__inflater_free(evr__inflater *f) {
  if (f) libdeflate_free_decompressor((struct libdeflate_decompressor *)f);
}

int evr__inflate(evr__inflater *f, const void *in, size_t n, void *out, size_t cap,
                 size_t *used, size_t *got) {
  *used = *got = 0;
  enum libdeflate_result r = libdeflate_deflate_decompress_ex(
      (struct libdeflate_decompressor *)f, in, n, out, cap, used, got);
  if (r == LIBDEFLATE_SUCCESS) return EVR__INFLATE_OK;
  if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
    *got = cap; /* as zlib stops: the buffer full, more to come */
    return EVR__INFLATE_FULL;
  }
  return EVR__INFLATE_BAD; /* includes data that ends too early */
}

uint32_t evr__crc32(uint32_t crc, const void *p, size_t n) {
  return libdeflate_crc32(crc, p, n);
}

#endif
