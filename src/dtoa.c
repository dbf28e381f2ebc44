/*
 * dtoa.c -- the shortest decimal that reads back as a given double or float,
 * without printf or strtod (the JSON encoder prints every double through
 * it: snprintf + strtod took about 10% of a pbd -> JSON conversion).
 *
 * The result is what Python's repr() (David Gay's shortest mode) picks: the
 * fewest significant digits that round back to exactly v, and among those
 * the one closest to v, an exact tie going to the even digit.
 * tests/test_json_encode.c checks floats and doubles against a brute-force
 * reference over printf/strtod; tests/diff/doubles.py checks millions of
 * random doubles against Python's repr.
 *
 * Method: Raffaello Giulietti's Schubfach ("The Schubfach way to render
 * doubles", 2020; the algorithm of Java 19's Double.toString), without
 * Java's rule of at least two digits. With v = c 2^q, its rounding interval
 * R (the reals that read back as v: half an ulp each side, a quarter below
 * when c is a power of two; the ends belong to R when c is even, as
 * round-half-even reads them) is scaled by 10^-k for k = floor(log10 of the
 * ulp-ish 2^q), so that R' is 1 to 10 units wide. Then R' holds at most one
 * multiple of 10 -- if it does, that is the shortest decimal (it may end in
 * more zeros) -- and else at least one integer next to v' = v 10^-k: of s =
 * floor(v') and t = s + 1, the one in R', or the nearer if both are.
 * Every comparison is exact: 4 v', 4 min R', 4 max R' are computed as
 * floor() with the lowest bit set when not an integer ("round to odd") from
 * a 126-bit g ~ 10^-k 2^-r (table, written at build time by
 * src/tables/pow10_gen.c), which the paper proves precise enough.
 * Floats use the same table and code (their c and q are in double's range).
 */
#include <string.h>

#include "internal.h"
#include "pow10_table.h"

#define MASK63 ((UINT64_C(1) << 63) - 1)

/* floor(x / 2^s) for negative x too (>> of a negative value is
 * implementation-defined). */
static inline int floor_shift(int64_t x, int s) {
  return (int)(x >= 0 ? x >> s : -((-x + ((int64_t)1 << s) - 1) >> s));
}

/* floor(q log10 2), floor(log10(3/4 2^q)), floor(e log2 10): exact for the
 * ranges here (Giulietti's constants). */
static inline int flog10pow2(int q) { return floor_shift((int64_t)q * 661971961083, 41); }

static inline int flog10_three_quarters_pow2(int q) {
  return floor_shift((int64_t)q * 661971961083 - 274743187321, 41);
}

static inline int flog2pow10(int e) { return floor_shift((int64_t)e * 913124641741, 38); }

/* The high 64 bits of a 64 x 64 -> 128-bit product. */
static inline uint64_t mul_high(uint64_t a, uint64_t b) {
#if defined(__SIZEOF_INT128__)
  __extension__ typedef unsigned __int128 u128;
  return (uint64_t)(((u128)a * b) >> 64);
#else
  uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
  uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
  return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

/* g cp / 2^127, rounded to odd: floor(), with the lowest bit set when the
 * product is not an integer. g = g1 2^63 + g0. */
static inline uint64_t rop(uint64_t g1, uint64_t g0, uint64_t cp) {
  uint64_t x1 = mul_high(g0, cp);
  uint64_t y0 = g1 * cp, y1 = mul_high(g1, cp);
  uint64_t z = (y0 >> 1) + x1;
  uint64_t vbp = y1 + (z >> 63);
  return vbp | (((z & MASK63) + MASK63) >> 63);
}

/* The shortest decimal in the rounding interval of v = c 2^q (c > 0);
 * `closer_below`: c is a power of two above the smallest exponent, so the
 * double below v is half as far as the one above. */
static evrec__decimal shortest(uint64_t c, int q, bool closer_below) {
  uint64_t out = c & 1; /* an odd c: R is open */
  uint64_t cb = c << 2, cbr = cb + 2, cbl;
  int k;
  if (!closer_below) {
    cbl = cb - 2;
    k = flog10pow2(q);
  } else {
    cbl = cb - 1;
    k = flog10_three_quarters_pow2(q);
  }
  int h = q + flog2pow10(-k) + 2; /* 1 .. 4 */
  const uint64_t *g = dtoa_g[k - DTOA_K_MIN];
  uint64_t vb = rop(g[0], g[1], cb << h);
  uint64_t vbl = rop(g[0], g[1], cbl << h), vbr = rop(g[0], g[1], cbr << h);
  uint64_t s = vb >> 2, sp10 = s / 10 * 10, tp10 = sp10 + 10, t = s + 1;
  evrec__decimal d;
  d.exponent = k;
  bool upin = vbl + out <= sp10 << 2, wpin = (tp10 << 2) + out <= vbr;
  if (upin != wpin) { /* the one multiple of 10 in R */
    d.digits = upin ? sp10 : tp10;
  } else {
    bool uin = vbl + out <= s << 2, win = (t << 2) + out <= vbr;
    if (uin != win) {
      d.digits = uin ? s : t;
    } else { /* both: the nearer, a tie to the even one */
      uint64_t two_v = vb, mid = (s + t) << 1; /* compare 4v' with 2(s + t) */
      d.digits = two_v < mid || (two_v == mid && !(s & 1)) ? s : t;
    }
  }
  while (d.digits % 10 == 0 && d.digits) { /* 0 only for v = 0, outside the contract */
    d.digits /= 10;
    d.exponent++;
  }
  return d;
}

evrec__decimal evrec__shortest_double(double v) {
  uint64_t bits;
  memcpy(&bits, &v, 8);
  uint64_t t = bits & ((UINT64_C(1) << 52) - 1);
  int bq = (int)(bits >> 52) & 0x7ff;
  if (bq == 0) return shortest(t, -1074, false); /* subnormal */
  return shortest(t | UINT64_C(1) << 52, bq - 1075, t == 0 && bq > 1);
}

evrec__decimal evrec__shortest_float(float v) {
  uint32_t bits;
  memcpy(&bits, &v, 4);
  uint32_t t = bits & ((UINT32_C(1) << 23) - 1);
  int bq = (int)(bits >> 23) & 0xff;
  if (bq == 0) return shortest(t, -149, false);
  return shortest(t | UINT32_C(1) << 23, bq - 150, t == 0 && bq > 1);
}
