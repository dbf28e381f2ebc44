/*
 * utf8.c -- UTF-8 validation and encoding (RFC 3629).
 *
 * The validator skips ASCII sixteen bytes at a time (SSE2; eight without):
 * news text is mostly ASCII, and this is on the hot path of every string the
 * decoders accept. Strings of 32 bytes and more are checked with SSSE3
 * where the CPU has it (chosen at run time), 16 bytes a step whatever they
 * hold: the scalar loop took each multi-byte sequence apart, a tenth of a
 * JSON -> pbd conversion of news text with accents and typographic quotes
 * (tests/test_utf8.c checks both against a reference decoder, exhaustively
 * up to three bytes). evrec__utf8_copy() is the binary decoder's form: a
 * copy into the arena, then a check that also refuses NUL bytes (a
 * protobuf-c string cannot hold one), on bytes the copy has just brought
 * into cache.
 */
#include <string.h>

#include "internal.h"

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define UTF8_SSE2 1
#endif

/* Long strings are checked 16 bytes a step with SSSE3's byte shuffles
 * (below), chosen at run time: x86-64's baseline is SSE2. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(EVREC_NO_SSSE3)
#include <tmmintrin.h>
#define UTF8_SSSE3 1
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

/* ---------------------------------------------------------------- SSSE3 */

#ifdef UTF8_SSSE3
/* The "lookup" validation of Keiser and Lemire ("Validating UTF-8 in less
 * than one instruction per byte", 2021): the high and low nibble of each
 * byte's predecessor and the high nibble of the byte itself each index a
 * 16-byte table of the errors they could take part in; a byte is wrong
 * when all three agree on one. Whether a continuation byte is expected
 * (the second or third after a three- or four-byte lead) is worked out
 * from the bytes two and three back and compared with TWO_CONTS. Bits: */
enum {
  U8_TOO_SHORT = 1 << 0,   /* a lead or ASCII byte where a continuation is due */
  U8_TOO_LONG = 1 << 1,    /* a continuation after ASCII */
  U8_OVERLONG_3 = 1 << 2,  /* E0 80..9F */
  U8_TOO_LARGE = 1 << 3,   /* above U+10FFFF */
  U8_SURROGATE = 1 << 4,   /* ED A0..BF */
  U8_OVERLONG_2 = 1 << 5,  /* C0, C1 */
  U8_TOO_LARGE_1000 = 1 << 6,
  U8_OVERLONG_4 = 1 << 6,  /* F0 80..8F */
  U8_TWO_CONTS = 1 << 7,   /* a continuation after a continuation */
  U8_CARRY = U8_TOO_SHORT | U8_TOO_LONG | U8_TWO_CONTS
};

/* The tables, by the high nibble of the byte before (T1), its low nibble
 * (T2) and the high nibble of the byte itself (T3). Bytes, not
 * _mm_setr_epi8's chars: several entries are above 127. */
#define U8_BIG (U8_CARRY | U8_TOO_LARGE | U8_TOO_LARGE_1000)
#define U8_CONT (U8_TOO_LONG | U8_OVERLONG_2 | U8_TWO_CONTS)
static const unsigned char U8_T1[16] = {
    U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG, U8_TOO_LONG,
    U8_TOO_LONG, U8_TWO_CONTS, U8_TWO_CONTS, U8_TWO_CONTS, U8_TWO_CONTS,
    U8_TOO_SHORT | U8_OVERLONG_2, U8_TOO_SHORT, U8_TOO_SHORT | U8_OVERLONG_3 | U8_SURROGATE,
    U8_TOO_SHORT | U8_TOO_LARGE | U8_TOO_LARGE_1000 | U8_OVERLONG_4};
static const unsigned char U8_T2[16] = {
    U8_CARRY | U8_OVERLONG_3 | U8_OVERLONG_2 | U8_OVERLONG_4, U8_CARRY | U8_OVERLONG_2, U8_CARRY,
    U8_CARRY, U8_CARRY | U8_TOO_LARGE, U8_BIG, U8_BIG, U8_BIG, U8_BIG, U8_BIG, U8_BIG, U8_BIG,
    U8_BIG, U8_BIG | U8_SURROGATE, U8_BIG, U8_BIG};
static const unsigned char U8_T3[16] = {
    U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT,
    U8_TOO_SHORT, U8_TOO_SHORT, U8_CONT | U8_OVERLONG_3 | U8_TOO_LARGE_1000 | U8_OVERLONG_4,
    U8_CONT | U8_OVERLONG_3 | U8_TOO_LARGE, U8_CONT | U8_SURROGATE | U8_TOO_LARGE,
    U8_CONT | U8_SURROGATE | U8_TOO_LARGE, U8_TOO_SHORT, U8_TOO_SHORT, U8_TOO_SHORT,
    U8_TOO_SHORT};

/* Nonzero bytes where the block `in`, after `prev`, is not valid UTF-8. */
__attribute__((target("ssse3"))) static inline __m128i u8_block_errors(__m128i in, __m128i prev) {
  const __m128i nib = _mm_set1_epi8(0x0F);
  const __m128i t1 = _mm_loadu_si128((const __m128i *)(const void *)U8_T1);
  const __m128i t2 = _mm_loadu_si128((const __m128i *)(const void *)U8_T2);
  const __m128i t3 = _mm_loadu_si128((const __m128i *)(const void *)U8_T3);
  __m128i prev1 = _mm_alignr_epi8(in, prev, 15); /* the byte before each byte */
  __m128i sc = _mm_and_si128(
      _mm_and_si128(_mm_shuffle_epi8(t1, _mm_and_si128(_mm_srli_epi16(prev1, 4), nib)),
                    _mm_shuffle_epi8(t2, _mm_and_si128(prev1, nib))),
      _mm_shuffle_epi8(t3, _mm_and_si128(_mm_srli_epi16(in, 4), nib)));
  __m128i prev2 = _mm_alignr_epi8(in, prev, 14), prev3 = _mm_alignr_epi8(in, prev, 13);
  __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8((char)(0xE0 - 0x80)));  /* >= 0x80 iff E0.. */
  __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8((char)(0xF0 - 0x80))); /* >= 0x80 iff F0.. */
  __m128i must = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8((char)0x80));
  return _mm_xor_si128(must, sc);
}

/* Is s[0..len) valid UTF-8 (and, with `nonul`, free of NUL bytes)? A block
 * of ASCII after a block of ASCII needs no lookup. The string's end is
 * checked by a block of zeros after it (an unfinished sequence meets
 * TOO_SHORT there). */
__attribute__((target("ssse3"))) static bool u8_valid_ssse3(const unsigned char *s, size_t len,
                                                            bool nonul) {
  const __m128i zero = _mm_setzero_si128();
  __m128i prev = zero, err = zero;
  bool prev_hi = false;
  size_t i = 0;
  for (; i + 16 <= len; i += 16) {
    __m128i in = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    bool hi = _mm_movemask_epi8(in) != 0;
    if (hi || prev_hi) err = _mm_or_si128(err, u8_block_errors(in, prev));
    if (nonul) err = _mm_or_si128(err, _mm_cmpeq_epi8(in, zero));
    prev = in;
    prev_hi = hi;
  }
  if (i < len) {
    unsigned char tail[16] = {0};
    memcpy(tail, s + i, len - i);
    __m128i in = _mm_loadu_si128((const __m128i *)(const void *)tail);
    err = _mm_or_si128(err, u8_block_errors(in, prev));
    if (nonul) {
      unsigned nul = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(in, zero));
      if (nul & ((1u << (len - i)) - 1)) return false;
    }
    prev = in;
  }
  err = _mm_or_si128(err, u8_block_errors(zero, prev));
  return _mm_movemask_epi8(_mm_cmpeq_epi8(err, zero)) == 0xFFFF;
}

/* Strings at least this long take the SSSE3 check where the CPU has it. */
#define U8_SIMD_MIN 32

static bool u8_have_ssse3(void) {
  static int have = -1; /* a data race only in the benign sense: all threads store the same */
  int h = __atomic_load_n(&have, __ATOMIC_RELAXED);
  if (h < 0) {
    __builtin_cpu_init();
    h = __builtin_cpu_supports("ssse3") ? 1 : 0;
    __atomic_store_n(&have, h, __ATOMIC_RELAXED);
  }
  return h == 1;
}
#endif

size_t evrec__utf8_valid_prefix(const char *str, size_t len) {
#ifdef UTF8_SSSE3
  if (len >= U8_SIMD_MIN && u8_have_ssse3() &&
      u8_valid_ssse3((const unsigned char *)str, len, false))
    return len; /* else the loop below finds where it goes wrong */
#endif
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
#ifdef UTF8_SSSE3
  if (len >= U8_SIMD_MIN && u8_have_ssse3()) return u8_valid_ssse3(s, len, true);
#endif
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
