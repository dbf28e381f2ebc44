/*
 * jsonscan.h -- the JSON string scanner, for the decoder and the encoder.
 *
 * A JSON string is a series of plain runs -- bytes other than '"', '\\' and
 * the control characters below 0x20, the only bytes JSON requires to be
 * escaped -- separated by escapes (decoding) or by bytes that need one
 * (encoding). Finding the end of a run is the inner loop of both codecs on
 * text-heavy records, so it goes 16 bytes per step with SSE2 (every x86-64)
 * and 8 per step with 64-bit words (SWAR) elsewhere and for the tail. With
 * little-endian words the lowest flagged byte of a SWAR mask is exact
 * (borrows only corrupt the bytes above it), so the stop inside a word is
 * found without a byte loop. On the way the scanner notes whether the run
 * holds bytes >= 0x80: only then does it need the UTF-8 check.
 *
 *   evrec__json_run_end()   end of the run at p
 *   evrec__json_run_copy()  the same, copying the run to dst as it goes
 *                           (the decoder writes strings straight into its
 *                           arena with it, the encoder into its output
 *                           buffer: one read and one write per byte)
 *
 * Static inline functions only: each codec's loop keeps them inlined.
 */
#ifndef EVREC_JSONSCAN_H
#define EVREC_JSONSCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
/* Inlined even where the compiler would not: each codec's loop wants its
 * own copy next to what it does with the run. */
#define EVREC__JSONSCAN_INLINE inline __attribute__((always_inline))
#else
#define EVREC__JSONSCAN_INLINE inline
#endif

#define EVREC__SWAR_ONES UINT64_C(0x0101010101010101)
#define EVREC__SWAR_HIGHS UINT64_C(0x8080808080808080)

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define EVREC__SWAR_CTZ 1
#endif

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define EVREC__JSONSCAN_SSE2 1

/* Bit i set when byte i of v is '"', '\\' or below 0x20 (unsigned). */
static inline unsigned evrec__json_sse_stops(__m128i v) {
  __m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F));
  __m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
  __m128i bs = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
  return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(q, bs)));
}
#endif

/* True for the bytes that end a plain run. */
static inline bool evrec__json_stop_byte(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

/* One high bit per byte of w that ends a plain run (exact for the lowest
 * one): below 0x20, '"' or '\\'. Bytes >= 0x80 are never flagged. */
static inline uint64_t evrec__json_swar_stops(uint64_t w) {
  uint64_t ctl = (w - EVREC__SWAR_ONES * 0x20) & ~w;
  uint64_t q = w ^ (EVREC__SWAR_ONES * '"'), bs = w ^ (EVREC__SWAR_ONES * '\\');
  return (ctl | ((q - EVREC__SWAR_ONES) & ~q) | ((bs - EVREC__SWAR_ONES) & ~bs)) &
         EVREC__SWAR_HIGHS;
}

/* The SWAR and byte steps of both scanners: the run at p, from where the
 * SSE2 loop stopped; `acc` has a high bit set when that loop saw a byte
 * >= 0x80. dst (may be NULL) receives the run. */
static inline const char *evrec__json_run_tail(const char *p, const char *end, char *dst,
                                               uint64_t acc, bool *hi) {
  while (end - p >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    if (dst) memcpy(dst, &w, 8); /* past the stop too: the room is there */
    uint64_t m = evrec__json_swar_stops(w);
#ifdef EVREC__SWAR_CTZ
    if (m) {
      unsigned k = (unsigned)__builtin_ctzll(m) >> 3; /* plain bytes before the stop */
      acc |= k ? w & (~UINT64_C(0) >> (64 - 8 * k)) : 0;
      *hi = (acc & EVREC__SWAR_HIGHS) != 0;
      return p + k;
    }
#else
    if (m) break;
#endif
    acc |= w;
    p += 8;
    if (dst) dst += 8;
  }
  for (; p != end && !evrec__json_stop_byte((unsigned char)*p); p++) {
    acc |= (unsigned char)*p;
    if (dst) *dst++ = *p;
  }
  *hi = (acc & EVREC__SWAR_HIGHS) != 0;
  return p;
}

/* End of the plain run at p (p itself when it is a stop, `end` when the
 * input ends first); *hi tells whether the run holds bytes >= 0x80. */
static EVREC__JSONSCAN_INLINE const char *evrec__json_run_end(const char *p, const char *end,
                                                             bool *hi) {
  uint64_t acc = 0;
#ifdef EVREC__JSONSCAN_SSE2
  unsigned high = 0; /* movemask of bytes >= 0x80 in the plain part */
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned m = evrec__json_sse_stops(v), h = (unsigned)_mm_movemask_epi8(v);
    if (m) {
      unsigned k = (unsigned)__builtin_ctz(m); /* plain bytes before the stop */
      *hi = (high | (h & ((1u << k) - 1))) != 0;
      return p + k;
    }
    high |= h;
    p += 16;
  }
  acc = high ? EVREC__SWAR_HIGHS : 0;
#endif
  return evrec__json_run_tail(p, end, NULL, acc, hi);
}

/* evrec__json_run_end() that also copies the run to dst, which must have
 * room for end - p bytes: whole 16- and 8-byte blocks are stored, so bytes
 * after the stop may be written too (never past that room). */
static EVREC__JSONSCAN_INLINE const char *evrec__json_run_copy(const char *p, const char *end,
                                                              char *dst, bool *hi) {
  uint64_t acc = 0;
#ifdef EVREC__JSONSCAN_SSE2
  unsigned high = 0;
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    _mm_storeu_si128((__m128i *)(void *)dst, v);
    unsigned m = evrec__json_sse_stops(v), h = (unsigned)_mm_movemask_epi8(v);
    if (m) {
      unsigned k = (unsigned)__builtin_ctz(m);
      *hi = (high | (h & ((1u << k) - 1))) != 0;
      return p + k;
    }
    high |= h;
    p += 16;
    dst += 16;
  }
  acc = high ? EVREC__SWAR_HIGHS : 0;
#endif
  return evrec__json_run_tail(p, end, dst, acc, hi);
}

#endif /* EVREC_JSONSCAN_H */
