/*
 * test_dtoa.c -- evrec__shortest_double() / evrec__shortest_float() against
 * a brute-force reference, and the JSON text the encoder makes of them.
 *
 * The reference: for p = 1, 2, ... digits, printf's correctly rounded
 * p-digit decimal of v (%.*e: the nearest, a tie to even) and its two
 * neighbours at p digits; the first p where one of them reads back as v
 * (strtod / strtof, correctly rounded in glibc) gives the shortest length,
 * and the nearest of those that read back is the answer (the rounding
 * interval is convex: when the nearest fails, at most one neighbour is
 * inside). Millions of random doubles are also compared with Python's
 * repr() by `make test-diff` (tests/diff/doubles.py).
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "google/protobuf/wrappers.pb-c.h"
#include "internal.h"

static uint64_t rng_state = 20251206;

static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static double from_bits(uint64_t b) {
  double d;
  memcpy(&d, &b, 8);
  return d;
}

static float from_bits32(uint32_t b) {
  float f;
  memcpy(&f, &b, 4);
  return f;
}

/* d x 10^e from a %.*e text "d.ddde[+-]x". */
static evrec__decimal parse_e(const char *s) {
  evrec__decimal d = {0, 0};
  int frac = 0;
  for (; *s && *s != 'e'; s++) {
    if (*s == '.') {
      frac = 1;
      continue;
    }
    d.digits = d.digits * 10 + (uint64_t)(*s - '0');
    d.exponent -= frac;
  }
  d.exponent += atoi(s + 1);
  while (d.digits && d.digits % 10 == 0) {
    d.digits /= 10;
    d.exponent++;
  }
  return d;
}

static bool reads_back(evrec__decimal d, double v, bool is_float) {
  char buf[48];
  snprintf(buf, sizeof buf, "%llue%d", (unsigned long long)d.digits, d.exponent);
  return is_float ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v;
}

static evrec__decimal reference(double v, bool is_float) {
  for (int p = 1; p <= 17; p++) {
    char buf[48];
    snprintf(buf, sizeof buf, "%.*e", p - 1, v);
    evrec__decimal c = parse_e(buf);
    if (reads_back(c, v, is_float)) return c;
    /* the neighbours at p digits: c's last digit at p digits is unit 10^u */
    snprintf(buf, sizeof buf, "%.*e", p - 1, v);
    char *e = strchr(buf, 'e');
    uint64_t m = 0;
    for (char *q = buf; q < e; q++)
      if (*q != '.') m = m * 10 + (uint64_t)(*q - '0');
    int u = atoi(e + 1) - (p - 1);
    evrec__decimal lo = {m - 1, u}, hi = {m + 1, u};
    bool lo_ok = m > 1 && reads_back(lo, v, is_float), hi_ok = reads_back(hi, v, is_float);
    if (lo_ok || hi_ok) {
      evrec__decimal r = lo_ok ? lo : hi;
      while (r.digits % 10 == 0) {
        r.digits /= 10;
        r.exponent++;
      }
      return r;
    }
  }
  fail_msg("no reference for %.17g", v);
  evrec__decimal none = {0, 0};
  return none;
}

static void check_double(double v) {
  if (v == 0) return; /* the encoder prints zeros itself */
  evrec__decimal got = evrec__shortest_double(v), want = reference(v, false);
  if (got.digits != want.digits || got.exponent != want.exponent)
    fail_msg("%a (%.17g): got %llue%d, want %llue%d", v, v, (unsigned long long)got.digits,
             got.exponent, (unsigned long long)want.digits, want.exponent);
}

static void check_float(float v) {
  if (v == 0) return;
  evrec__decimal got = evrec__shortest_float(v), want = reference(v, true);
  if (got.digits != want.digits || got.exponent != want.exponent)
    fail_msg("%a (%.9g): got %llue%d, want %llue%d", (double)v, (double)v,
             (unsigned long long)got.digits, got.exponent, (unsigned long long)want.digits,
             want.exponent);
}

/* ---------------------------------------------------------------- doubles */

static void test_double_edges(void **state) {
  (void)state;
  static const double v[] = {5e-324, 1e-323, DBL_MIN, DBL_MAX, 0.1, 0.2, 0.3, 1.0 / 3,
                             2.0 / 3, 1e23, 9007199254740993.0, 123456789012345.67,
                             5e-310, 2.2250738585072009e-308, 1.7976931348623155e308};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) check_double(v[i]);
  /* every power of two (the rounding interval is lopsided there), its
   * neighbours, and the powers of ten */
  for (int e = -1074; e <= 1023; e++) {
    double p = ldexp(1, e);
    check_double(p);
    check_double(nextafter(p, 0));
    if (e < 1023) check_double(nextafter(p, INFINITY));
  }
  for (int e = -323; e <= 308; e++) {
    char buf[16];
    snprintf(buf, sizeof buf, "1e%d", e);
    check_double(strtod(buf, NULL));
  }
}

static void test_double_random(void **state) {
  (void)state;
  for (int i = 0; i < 60000; i++) {
    uint64_t b = rnd() & ~(UINT64_C(1) << 63);
    if ((b >> 52) == 0x7ff) continue; /* NaN, infinity */
    check_double(from_bits(b));
  }
  for (int i = 0; i < 20000; i++) { /* short decimals, subnormals, integers */
    uint64_t r = rnd();
    check_double((double)(r % 100000 + 1) * pow(10, (int)(r >> 40) % 40 - 20));
    if (r & ((UINT64_C(1) << 52) - 1)) check_double(from_bits(r & ((UINT64_C(1) << 52) - 1)));
    check_double((double)(r >> 11) + 0.5);
  }
}

/* ---------------------------------------------------------------- floats */

static void test_float_edges(void **state) {
  (void)state;
  static const float v[] = {1e-45f, FLT_MIN, FLT_MAX, 0.1f, 1.0f / 3, 16777217.0f, 3.4028233e38f,
                            1.17549421e-38f};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) check_float(v[i]);
  for (int e = -149; e <= 127; e++) {
    float p = ldexpf(1, e);
    check_float(p);
    check_float(nextafterf(p, 0));
    if (e < 127) check_float(nextafterf(p, INFINITY));
  }
  for (uint32_t t = 1; t < 5000; t++) check_float(from_bits32(t)); /* small subnormals */
}

static void test_float_random(void **state) {
  (void)state;
  for (int i = 0; i < 150000; i++) {
    uint32_t b = (uint32_t)rnd() & 0x7fffffffu;
    if ((b >> 23) == 0xff) continue;
    check_float(from_bits32(b));
  }
}

/* ---------------------------------------------------------------- JSON text */

static void assert_double_json(double v, const char *want) {
  Google__Protobuf__DoubleValue w = GOOGLE__PROTOBUF__DOUBLE_VALUE__INIT;
  w.value = v;
  char *out = NULL;
  evrec_error err;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &w.base, NULL, &err), EVREC_OK);
  assert_string_equal(out, want);
  free(out);
}

static void assert_float_json(float v, const char *want) {
  Google__Protobuf__FloatValue w = GOOGLE__PROTOBUF__FLOAT_VALUE__INIT;
  w.value = v;
  char *out = NULL;
  evrec_error err;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &w.base, NULL, &err), EVREC_OK);
  assert_string_equal(out, want);
  free(out);
}

/* The layout of %.Pg, P = max(digits, 15) (floats: 6; subnormals: the
 * digits), as the encoder has always printed. */
static void test_json_text(void **state) {
  (void)state;
  assert_double_json(0.1, "0.1");
  assert_double_json(-0.5345807928353302, "-0.5345807928353302");
  assert_double_json(1e-5, "1e-05");
  assert_double_json(0.0001, "0.0001");
  assert_double_json(123456789012345.67, "123456789012345.67");
  assert_double_json(1e15, "1e+15");
  assert_double_json(1e14, "100000000000000");
  assert_double_json(1.5e16, "1.5e+16");
  assert_double_json(1234567890123456.7, "1234567890123456.8"); /* 17 digits: fixed */
  assert_double_json(5e-324, "5e-324");
  assert_double_json(DBL_MAX, "1.7976931348623157e+308");
  assert_double_json(DBL_MIN, "2.2250738585072014e-308");
  assert_double_json(1e100, "1e+100");
  assert_double_json(-2.5, "-2.5");
  assert_float_json(0.1f, "0.1");
  assert_float_json(1e-45f, "1e-45");
  assert_float_json(FLT_MIN, "1.1754944e-38");
  assert_float_json(FLT_MAX, "3.402823466e+38"); /* see format_float() */
  assert_float_json(-FLT_MAX, "-3.402823466e+38");
  assert_float_json(3.4028233e38f, "3.4028233e+38");
  assert_float_json(999999.0f, "999999");
  assert_float_json(1e6f, "1e+06");
  assert_float_json(1e7f, "1e+07");
  assert_float_json(16777216.0f, "16777216");
  assert_float_json(1.5f, "1.5");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_double_edges), cmocka_unit_test(test_double_random),
      cmocka_unit_test(test_float_edges),  cmocka_unit_test(test_float_random),
      cmocka_unit_test(test_json_text),
  };
  return cmocka_run_group_tests_name("dtoa", tests, NULL, NULL);
}
