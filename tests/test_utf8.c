/*
 * test_utf8.c -- the UTF-8 validators (src/utf8.c) against a reference
 * decoder written from RFC 3629's table, byte by byte, with no shortcut.
 *
 * Strings of 32 bytes and more take the SSSE3 check (where the CPU has it),
 * shorter ones the scalar loops, so every case is tried both short and long:
 * each sequence of one to three bytes exhaustively, and four-byte ones for
 * every lead with every second byte, at every offset across a 16-byte block
 * boundary and at the string's end; then random strings made of pieces
 * likely to be almost valid. evrec__utf8_valid_prefix() must also give the
 * exact length of the valid prefix; evrec__utf8_copy() must refuse NUL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

/* Length of the valid UTF-8 prefix of s[0..n), per RFC 3629 section 4. */
static size_t ref_prefix(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      k = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      k = 2;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      k = 3;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return i;
    }
    if (i + k >= n) return i; /* runs past the end */
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t j = 2; j <= k; j++)
      if (s[i + j] < 0x80 || s[i + j] > 0xBF) return i;
    i += k + 1;
  }
  return n;
}

static bool ref_valid_nonul(const unsigned char *s, size_t n) {
  return ref_prefix(s, n) == n && memchr(s, 0, n) == NULL;
}

static char copy_buf[512];

/* Checks both validators on s[0..n) against the reference. */
static void check(const unsigned char *s, size_t n) {
  size_t want = ref_prefix(s, n), got = evrec__utf8_valid_prefix((const char *)s, n);
  if (got != want) fail_msg("valid prefix of %zu bytes: %zu, want %zu", n, got, want);
  bool v = evrec__utf8_copy(copy_buf, (const char *)s, n);
  if (v != ref_valid_nonul(s, n)) fail_msg("utf8_copy of %zu bytes: %d, want %d", n, v, !v);
  assert_memory_equal(copy_buf, s, n);
}

/* seq[0..k) put at `off` in an ASCII string of `len` bytes (and so also
 * short, when len < 32), then at the very end of one. */
static void check_placed(const unsigned char *seq, size_t k, size_t off, size_t len) {
  unsigned char s[128];
  memset(s, 'a', sizeof s);
  memcpy(s + off, seq, k);
  check(s, len);
  check(s + off, k);                 /* the sequence alone: short */
  memset(s, 'b', sizeof s);
  memcpy(s + len - k, seq, k);       /* at the end of a long string */
  check(s, len);
}

static void test_one_and_two_bytes(void **state) {
  (void)state;
  for (unsigned a = 0; a < 256; a++)
    for (unsigned b = 0; b < 256; b++) {
      unsigned char seq[2] = {(unsigned char)a, (unsigned char)b};
      for (size_t off = 12; off <= 17; off++) check_placed(seq, 2, off, 48);
      check_placed(seq, 2, 30, 33);
    }
}

static void test_three_bytes(void **state) {
  (void)state;
  for (unsigned a = 0x80; a < 256; a++)
    for (unsigned b = 0; b < 256; b++)
      for (unsigned c = 0; c < 256; c++) {
        unsigned char seq[3] = {(unsigned char)a, (unsigned char)b, (unsigned char)c};
        check_placed(seq, 3, (a + b + c) % 4 + 13, 40); /* across the block boundary */
      }
}

static void test_four_bytes(void **state) {
  (void)state;
  static const unsigned char leads[] = {0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF7, 0xF8, 0xFF};
  for (size_t l = 0; l < sizeof leads; l++)
    for (unsigned b = 0; b < 256; b++)
      for (unsigned c = 0x70; c < 0xD0; c += 7)
        for (unsigned d = 0x70; d < 0xD0; d += 5) {
          unsigned char seq[4] = {leads[l], (unsigned char)b, (unsigned char)c, (unsigned char)d};
          check_placed(seq, 4, (b + c + d) % 5 + 12, 64);
        }
}

/* Random strings from pieces: ASCII, NUL, valid sequences of every length,
 * and their broken forms (cut short, a wrong continuation, overlong,
 * surrogate, too large). */
static void test_random(void **state) {
  (void)state;
  static const char *const pieces[] = {
      "a", "hello world ", "\0", "\xC3\xA9", "\xE2\x80\x9C", "\xF0\x9F\x98\x80", "\xE4\xB8\xAD",
      "\xD0\x96", "\xC3", "\xE2\x80", "\xF0\x9F\x98", "\x80", "\xBF", "\xC0\x80", "\xC1\xBF",
      "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xED\x9F\xBF", "\xF0\x8F\xBF\xBF",
      "\xF4\x90\x80\x80", "\xF4\x8F\xBF\xBF", "\xF5\x80\x80\x80", "\xFF", "\xC3\x28",
      "\xE2\x28\xA1", "\x7F", "\xEF\xBF\xBF"};
  static const size_t lens[] = {1, 12, 1, 2, 3, 4, 3, 2, 1, 2, 3, 1, 1, 2, 2, 3, 3, 3, 3, 4,
                                4, 4, 4, 1, 2, 3, 1, 3};
  const size_t np = sizeof pieces / sizeof pieces[0];
  assert_int_equal(np, sizeof lens / sizeof lens[0]);
  uint64_t x = 88172645463325252u;
  unsigned char s[300];
  for (int t = 0; t < 200000; t++) {
    size_t n = 0, want = (size_t)(t % 97) * 3;
    while (n < want && n < sizeof s - 12) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      /* mostly valid pieces, so that a string is often valid throughout */
      size_t k = x % 10 < 7 ? (x >> 8) % 8 : (x >> 8) % np;
      memcpy(s + n, pieces[k], lens[k]);
      n += lens[k];
    }
    check(s, n);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_and_two_bytes),
      cmocka_unit_test(test_three_bytes),
      cmocka_unit_test(test_four_bytes),
      cmocka_unit_test(test_random),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
