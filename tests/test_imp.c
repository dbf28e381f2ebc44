/*
 * test_imp.c -- the importers' number parsers and TSV splitter (tools/).
 *
 * imp_parse_double() against a reference: a lexeme is accepted when it is
 * [+-]? (digits [. digits?] | . digits) ([eE] [+-]? 1-4 digits, <= 400)?
 * with a finite value, which is then strtod's (correctly rounded), bit for
 * bit. Lexemes are edge cases and random ones of every length up to 24,
 * shaped like GDELT's values ("-3.9171566189955", "21.4267") and mutated
 * (a byte changed, dropped or doubled), each copied to the end of a block
 * of its own size so that ASan catches a read past it. imp_parse_u64()
 * against strtoull() the same way. imp_csv_split_tabs() on rows of 61
 * fields at every length around the 16/32/64-byte block boundaries, and on
 * the rows it must leave as they are (a byte >= 0x80, a NUL, 60 or 62
 * fields), and through imp_csv_next_row() on a file whose last row ends at
 * the end of the read buffer. imp_url_key(), imp_is_http_url() and
 * imp_url_domain() (unrolled scheme test, 8-byte lowering) against a
 * byte-at-a-time reference, on URLs with every byte value in their host.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../tools/imp.h"

static uint64_t rng_state = 20261206;

static uint64_t rnd(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static bool digit(char c) { return c >= '0' && c <= '9'; }

/* The reference grammar of imp_parse_double (see the file comment). */
static bool ref_double(const char *s, size_t n, double *out) {
  size_t i = 0, int_digits = 0, frac_digits = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  for (; i < n && digit(s[i]); i++) int_digits++;
  if (i < n && s[i] == '.')
    for (i++; i < n && digit(s[i]); i++) frac_digits++;
  if (!int_digits && !frac_digits) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    size_t e0 = i;
    unsigned e = 0;
    for (; i < n && digit(s[i]); i++) e = e * 10 + (unsigned)(s[i] - '0');
    if (i == e0 || i - e0 > 4 || e > 400) return false;
  }
  if (i != n) return false;
  char buf[64];
  memcpy(buf, s, n);
  buf[n] = '\0';
  char *end;
  *out = strtod(buf, &end);
  assert_ptr_equal(end, buf + n);
  return isfinite(*out);
}

static void check_double(const char *lex, size_t n) {
  char *s = malloc(n ? n : 1); /* exactly n bytes: ASan sees a read past them */
  assert_non_null(s);
  memcpy(s, lex, n);
  double want = 0, got = 0;
  bool ok_want = ref_double(s, n, &want), ok_got = imp_parse_double(s, n, &got);
  if (ok_want != ok_got || (ok_got && memcmp(&want, &got, sizeof got) != 0))
    fail_msg("\"%.*s\": imp_parse_double %s %.17g, want %s %.17g", (int)n, lex,
             ok_got ? "accepts" : "rejects", got, ok_want ? "accepts" : "rejects", want);
  free(s);
}

static void check_double_str(const char *lex) { check_double(lex, strlen(lex)); }

static void test_double_edges(void **state) {
  (void)state;
  static const char *const cases[] = {
      "", "-", "+", ".", "-.", "+.", "0", "-0", "+0", "0.0", "-0.0", "00", "007", "1.", "-1.",
      ".5", "-.5", "+.5", "5.", "1..2", "1.2.3", "--1", "-+1", "+-1", "1-", "1 ", " 1", "1e5",
      "1E5", "1e", "1e+", "1e-", "1.5e-3", ".5e1", "1e400", "1e-400", "1e0400", "1e00400",
      "1e401", "-3.9171566189955", "3.9171566189955", "21.4267", "-77.0364", "54", "-2",
      "7.4", "1.166667", "0.000000000000001", "9007199254740991", "9007199254740992",
      "9007199254740993", "90071992547409.93", "9.007199254740993", "12345678", "123456789",
      "1234567.8", "12345678.9", "123456789.0", "1.234567890123456", "12.34567890123456",
      "0.1234567890123456", "99999999.99999999", "-99999999.99999999", "0.30000000000000004",
      "1.7976931348623157e308", "4.9e-324", "2.2250738585072014e-308", "12345678901234567",
      "1234567890123456789012", "0.00000000000000000001", "1.0000000000000002",
      "123.456.789", "12:34", "1/2", "1,5", "0x10", "inf", "nan", "1\x80", "1\t2"};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_double_str(cases[i]);
  check_double("1\0", 2);
  check_double("\0" "1", 2);
  check_double("12345\0" "78", 8);
}

/* Random digits, points, signs and exponents; GDELT-shaped values; and
 * each one with a byte changed, dropped or doubled. */
static void test_double_random(void **state) {
  (void)state;
  static const char alphabet[] = "0123456789012345678901234567890123456789.-+eE/:x ";
  char s[40];
  for (int round = 0; round < 400000; round++) {
    size_t n = 0;
    switch (round % 4) {
    case 0: /* any bytes of the alphabet */
      n = rnd() % 25;
      for (size_t i = 0; i < n; i++) s[i] = alphabet[rnd() % (sizeof alphabet - 1)];
      break;
    case 1: /* [-]int.frac with 0-9 int digits and 0-17 fraction digits */
    case 2: {
      if (rnd() % 2) s[n++] = '-';
      size_t id = rnd() % 10, fd = rnd() % 18;
      for (size_t i = 0; i < id; i++) s[n++] = (char)('0' + rnd() % 10);
      if (fd || rnd() % 2) s[n++] = '.';
      for (size_t i = 0; i < fd; i++) s[n++] = (char)('0' + rnd() % 10);
      break;
    }
    case 3: { /* a mutated GDELT-like value */
      n = (size_t)snprintf(s, sizeof s, "%.*f", (int)(rnd() % 14),
                           ((double)(int64_t)(rnd() % 36000000) - 18000000) / 1e5);
      size_t at = n ? rnd() % n : 0;
      switch (rnd() % 4) {
      case 0: s[at] = (char)(rnd() % 256); break;
      case 1: memmove(s + at, s + at + 1, n - at), n--; break;
      case 2: memmove(s + at + 1, s + at, n - at), n++; break;
      default: break;
      }
      break;
    }
    }
    check_double(s, n);
  }
}

static void check_u64(const char *lex, size_t n) {
  char *s = malloc(n ? n : 1);
  assert_non_null(s);
  memcpy(s, lex, n);
  bool ok_want = n > 0 && n <= 20;
  for (size_t i = 0; i < n; i++) ok_want = ok_want && digit(s[i]);
  unsigned long long want = 0;
  if (ok_want) {
    char buf[32];
    memcpy(buf, s, n);
    buf[n] = '\0';
    errno = 0;
    want = strtoull(buf, NULL, 10);
    ok_want = errno == 0;
  }
  uint64_t got = 0;
  bool ok_got = imp_parse_u64(s, n, &got);
  if (ok_want != ok_got || (ok_got && got != want))
    fail_msg("\"%.*s\": imp_parse_u64 %s %llu, want %s %llu", (int)n, lex,
             ok_got ? "accepts" : "rejects", (unsigned long long)got,
             ok_want ? "accepts" : "rejects", want);
  free(s);
}

static void test_u64(void **state) {
  (void)state;
  static const char *const cases[] = {
      "", "0", "00", "1256000000", "18446744073709551615", "18446744073709551616",
      "99999999999999999999", "00000000000000000001", "000000000000000000001", "-1", "+1",
      "1 ", "12345678", "123456789", "1234567890123456", "12345678901234567", "9/", ":0",
      "1234567/", "12345678/"};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) check_u64(cases[i], strlen(cases[i]));
  char s[24];
  for (int round = 0; round < 200000; round++) {
    size_t n = rnd() % 22;
    for (size_t i = 0; i < n; i++) s[i] = (char)('0' + rnd() % 10);
    if (n && rnd() % 4 == 0) s[rnd() % n] = (char)(rnd() % 256);
    check_u64(s, n);
  }
}

/* ---------------------------------------------------------------- splitting */

#define COLS 61
#define PAD 64

/* A row of COLS fields of `len` bytes in total, its field lengths random,
 * into buf (with PAD bytes after its NUL, full of tabs to be ignored). */
static size_t make_row(char *buf, size_t len, size_t *starts) {
  size_t room = len - (COLS - 1), at = 0;
  for (int i = 0; i < COLS; i++) {
    size_t k = i == COLS - 1 ? room : (room ? rnd() % (room / 4 + 1) : 0);
    room -= k;
    starts[i] = at;
    for (size_t j = 0; j < k; j++) buf[at++] = (char)(' ' + 1 + rnd() % 94);
    if (i < COLS - 1) buf[at++] = '\t';
  }
  buf[at] = '\0';
  memset(buf + at + 1, '\t', PAD);
  return at;
}

static void test_split_tabs(void **state) {
  (void)state;
  char *buf = malloc(4096 + 1 + PAD), *copy = malloc(4096 + 1 + PAD);
  assert_non_null(buf);
  assert_non_null(copy);
  size_t starts[COLS];
  uint32_t off[COLS + 1];
  for (size_t len = COLS - 1; len < 700; len++)
    for (int round = 0; round < 8; round++) {
      assert_int_equal(make_row(buf, len, starts), len);
      memcpy(copy, buf, len + 1);
      assert_true(imp_csv_split_tabs(buf, len, off, COLS));
      for (int i = 0; i < COLS; i++) {
        assert_int_equal(off[i], starts[i]);
        if (i) assert_int_equal(buf[off[i] - 1], '\0');
      }
      assert_int_equal(off[COLS], len + 1);
      for (int i = 1; i < COLS; i++) buf[off[i] - 1] = '\t'; /* otherwise as it was */
      assert_memory_equal(buf, copy, len + 1);

      /* rows it must leave alone, byte for byte */
      size_t at = rnd() % len;
      static const char odd[] = {'\x80', '\xff', '\xc3', '\0'};
      for (int kind = 0; kind < 6; kind++) {
        size_t n = len;
        memcpy(buf, copy, len + 1);
        if (kind < 4) {
          buf[at] = odd[kind]; /* a byte >= 0x80 or a NUL anywhere */
        } else if (kind == 4) { /* 62 fields: a byte becomes a tab */
          if (buf[at] == '\t') continue;
          buf[at] = '\t';
        } else { /* 60 fields: a tab is dropped */
          char *tab = memchr(buf, '\t', len);
          memmove(tab, tab + 1, len - (size_t)(tab - buf));
          n--;
        }
        char *before = malloc(n + 1);
        assert_non_null(before);
        memcpy(before, buf, n + 1);
        assert_false(imp_csv_split_tabs(buf, n, off, COLS));
        assert_memory_equal(buf, before, n + 1);
        free(before);
      }
    }
  /* a CR, a quote and control bytes are plain bytes */
  size_t len = make_row(buf, 200, starts);
  buf[starts[3]] = '\r', buf[starts[4]] = '"', buf[starts[5]] = '\x01';
  assert_true(imp_csv_split_tabs(buf, len, off, COLS));
  assert_int_equal(off[5], starts[5]);
  free(buf);
  free(copy);
}

/* Rows read from a file whose last row (with and without its newline)
 * ends exactly where the reader's first buffer ends, and rows split right
 * there (ASan sees a read past the buffer's padding). */
static void test_split_at_buffer_end(void **state) {
  (void)state;
  const size_t file_size = 512u * 1024u; /* imp_csv.c: the first buffer, 2 x CHUNK */
  for (int newline = 0; newline < 2; newline++) {
    char path[] = "/tmp/test_imp_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    char row[1024 + 1 + PAD];
    size_t starts[COLS], written = 0, rows = 0;
    while (file_size - written > 1000) {
      size_t len = 300 + rnd() % 300;
      make_row(row, len, starts);
      fwrite(row, 1, len, f);
      fputc('\n', f);
      written += len + 1;
      rows++;
    }
    size_t last = file_size - written - (size_t)newline; /* ends at file_size */
    make_row(row, last, starts);
    fwrite(row, 1, last, f);
    if (newline) fputc('\n', f);
    rows++;
    assert_int_equal(fclose(f), 0);
    imp_csv *c;
    char why[256], *r;
    size_t len, n = 0;
    uint32_t off[COLS + 1];
    assert_int_equal(imp_csv_open(&c, path, '\t', false, 1 << 20, why, sizeof why), 0);
    int rc;
    while ((rc = imp_csv_next_row(c, &r, &len, why, sizeof why)) == 1) {
      assert_true(imp_csv_split_tabs(r, len, off, COLS));
      assert_int_equal(off[COLS], len + 1);
      n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, rows);
    assert_int_equal(imp_csv_unterminated(c), !newline);
    imp_csv_close(c);
    unlink(path);
  }
}

/* The reference: imp.c's URL helpers as they were written before they were
 * unrolled (byte at a time). */
static const char *ref_url_key(const char *url) {
  static const char http[] = "http";
  for (int i = 0; i < 4; i++) {
    char c = url[i] >= 'A' && url[i] <= 'Z' ? (char)(url[i] + 32) : url[i];
    if (c != http[i]) return url;
  }
  const char *p = url + 4 + (url[4] == 's' || url[4] == 'S');
  return p[0] == ':' && p[1] == '/' && p[2] == '/' ? p + 3 : url;
}

static bool ref_is_http_url(const char *s) {
  const char *host = ref_url_key(s);
  if (host == s || !*host || *host == '/') return false;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7f) return false;
  return true;
}

static void ref_url_domain(const char *url, char *out) {
  out[0] = '\0';
  if (!ref_is_http_url(url)) return;
  const char *host = ref_url_key(url);
  size_t n = strcspn(host, "/?#:");
  const char *at = memchr(host, '@', n);
  if (at) n -= (size_t)(at + 1 - host), host = at + 1;
  if (n > 4 && (host[0] | 0x20) == 'w' && (host[1] | 0x20) == 'w' && (host[2] | 0x20) == 'w' &&
      host[3] == '.')
    host += 4, n -= 4;
  for (size_t i = 0; i < n; i++)
    out[i] = host[i] >= 'A' && host[i] <= 'Z' ? (char)(host[i] + 32) : host[i];
  out[n] = '\0';
}

static void check_url(imp *m, const char *url) {
  char want[512];
  ref_url_domain(url, want);
  assert_ptr_equal(imp_url_key(url), ref_url_key(url));
  assert_int_equal(imp_is_http_url(url), ref_is_http_url(url));
  const char *got = imp_url_domain(m, url);
  if (strcmp(got, want) != 0) fail_msg("imp_url_domain(\"%s\") = \"%s\", want \"%s\"", url, got, want);
}

static void test_urls(void **state) {
  (void)state;
  evrec_arena *arena = evrec_arena_new(0);
  assert_non_null(arena);
  imp m = {0};
  m.arena = arena;
  m.alloc = evrec_arena_allocator(arena);
  static const char *const fixed[] = {
      "", "h", "http", "http:", "http:/", "http://", "http:///x", "https://", "HTTPS://Example.COM/",
      "hTtP://WWW.Example.org:8080/a?b#c", "https://user:pw@Host.Example/x", "ftp://x.org/",
      "https://www./", "https://WWW.A", "http://x y.org/", "http://x.org/\x7f", "httpx://a",
      "https:/a.org", "Https://\xc3\x89" "COLE.fr/", "https://ABCDEFGHIJKLMNOPQRSTUVWXYZ.example/@x",
      "https://a@b@c.org/", "http://[::1]:80/", "https://QQ\x80\xffZZ.org"};
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) check_url(&m, fixed[i]);
  /* every byte value at every place of a host of 1-24 bytes */
  char url[64];
  for (int len = 1; len <= 24; len++)
    for (int at = 0; at < len; at++)
      for (int b = 1; b < 256; b++) {
        size_t k = (size_t)snprintf(url, sizeof url, "%s", rnd() & 1 ? "https://" : "HTTP://");
        for (int i = 0; i < len; i++) url[k + (size_t)i] = (char)("aZ.-9Mq"[rnd() % 7]);
        url[k + (size_t)at] = (char)b;
        snprintf(url + k + (size_t)len, sizeof url - k - (size_t)len, "/Path");
        check_url(&m, url);
      }
  evrec_arena_free(arena);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_double_edges),
      cmocka_unit_test(test_double_random),
      cmocka_unit_test(test_u64),
      cmocka_unit_test(test_split_tabs),
      cmocka_unit_test(test_split_at_buffer_end),
      cmocka_unit_test(test_urls),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
