/*
 * utf8.c -- UTF-8 validation and encoding (RFC 3629).
 *
 * The validator skips ASCII sixteen bytes at a time (SSE2; eight without):
 * news text is mostly ASCII, and this is on the hot path of every string the
 * decoders accept. evrec__utf8_copy() is the binary decoder's form: a copy
 * into the arena, then a check that also refuses NUL bytes (a protobuf-c
 * string cannot hold one), on bytes the copy has just brought into cache.
 */
#include <string.h>

#include "internal.h"

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define UTF8_SSE2 1
#endif

#if defined(__GNUC__)
#define UTF8_INLINE inline __attribute__((always_inline))
#else
#define UTF8_INLINE inline
#endif

/* Length of one valid multi-byte sequence at s (s[0] >= 0x80), or 0.
 * Inlined into both validators (a call per sequence costs about 3% of a
 * JSON -> pbd conversion). */
static UTF8_INLINE size_t utf8_seq(const unsigned char *s, size_t left) {
  unsigned char c = s[0];
  if (c >= 0xC2 && c <= 0xDF) {
    return (left >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    if (left < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
    if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (left < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
        (s[3] & 0xC0) != 0x80)
      return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
    if (c == 0xF4 && s[1] >= 0x90) return 0; /* > U+10FFFF */
    return 4;
  }
  return 0;
}

/* End of the ASCII run at p: sixteen bytes per step with SSE2 (every
 * x86-64), eight with a 64-bit word elsewhere. */
static const unsigned char *ascii_end(const unsigned char *p, const unsigned char *end) {
#ifdef UTF8_SSE2
  while (end - p >= 16) {
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)p));
    if (m) return p + __builtin_ctz(m);
    p += 16;
  }
#endif
  while (end - p >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    if (w & 0x8080808080808080ull) break;
    p += 8;
  }
  while (p < end && *p < 0x80) p++;
  return p;
}

size_t evrec__utf8_valid_prefix(const char *str, size_t len) {
  const unsigned char *s = (const unsigned char *)str, *p = s, *end = s + len;
  for (;;) {
    p = ascii_end(p, end);
    if (p == end) return len;
    /* Text in Cyrillic or CJK is runs of sequences: take them one after
     * the other, with no ASCII step in between. */
    do {
      size_t n = utf8_seq(p, (size_t)(end - p));
      if (n == 0) return (size_t)(p - s);
      p += n;
    } while (p < end && *p >= 0x80);
  }
}

/* End of the run of bytes 0x01..0x7f at p, in s[0..end): sixteen bytes a
 * step, and the last sixteen of the string at once (overlapping what was
 * checked); strings under sixteen bytes (ids, names, codes) eight at a time
 * the same way. */
static const unsigned char *ascii_nonul_end(const unsigned char *s, const unsigned char *p,
                                            const unsigned char *end) {
#ifdef UTF8_SSE2
  const __m128i zero = _mm_setzero_si128();
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned m = (unsigned)(_mm_movemask_epi8(v) | _mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
    if (m) return p + __builtin_ctz(m);
    p += 16;
  }
  if (p < end && end - s >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(end - 16));
    unsigned m = (unsigned)(_mm_movemask_epi8(v) | _mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
    m >>= 16 - (end - p); /* only the bytes from p on */
    return m ? p + __builtin_ctz(m) : end;
  }
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  while (end - p >= 8 || (p < end && end - s >= 8)) {
    const unsigned char *q = end - p >= 8 ? p : end - 8;
    uint64_t w;
    memcpy(&w, q, 8);
    /* high bit set, or a zero byte: the lowest flagged byte is exact */
    uint64_t m = (w | ((w - ones) & ~w)) & highs;
    if (q < p) m >>= 8 * (size_t)(p - q);
    if (m) return p + (__builtin_ctzll(m) >> 3);
    if (q < p) return end;
    p += 8;
  }
#endif
  while (p < end && (unsigned)(*p - 1) < 0x7f) p++;
  return p;
}

/* Is s[0..len) valid UTF-8 without a NUL byte? Two- and three-byte
 * sequences (Latin, Cyrillic, CJK text) are checked inline. */
static bool utf8_valid_nonul(const unsigned char *s, size_t len) {
  const unsigned char *p = s, *end = s + len;
  for (;;) {
    p = ascii_nonul_end(s, p, end);
    if (p == end) return true;
    do {
      unsigned c = p[0];
      if (c >= 0xC2 && c <= 0xDF) {
        if (end - p < 2 || (p[1] & 0xC0) != 0x80) return false;
        p += 2;
      } else if ((c & 0xF0) == 0xE0) {
        if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return false;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)) return false;
        p += 3;
      } else {
        size_t n = utf8_seq(p, (size_t)(end - p)); /* four bytes, or invalid (NUL too) */
        if (n == 0) return false;
        p += n;
      }
    } while (p < end && *p >= 0x80);
    if (p == end) return true;
  }
}

bool evrec__utf8_copy(char *dst, const char *src, size_t len) {
  memcpy(dst, src, len);
  return utf8_valid_nonul((const unsigned char *)src, len);
}

int evrec__utf8_encode(uint32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) {
    o[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

size_t evrec__utf8_count(const char *str, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    n += ((unsigned char)str[i] & 0xC0) != 0x80; /* count non-continuation bytes */
  return n;
}
