/*
 * test_fieldpath.c -- the text of errors (src/fieldpath.c): one form of
 * field paths for the JSON decoder, the JSON encoder and the binary
 * decoder, and valid UTF-8 in every message and path they produce.
 *
 * The codecs are driven to the same failure in the same place -- a bad
 * string `b` inside mStringNested["<key>"], under n levels of `child` --
 * and must report the same path, the one the rules of fieldpath.h give,
 * which want_path() below spells out on its own: keys of every length
 * around the 64-byte cut, ending in characters of 1 to 4 bytes, escapes and
 * (binary, encoder) bytes that are not UTF-8, so that the cut falls at
 * every position of every kind of character (issue 11: a key of 63 x 'a' +
 * 'é' put half a character into the path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alltypes.pb-c.h"
#include "fieldpath.h"
#include "internal.h"

typedef Evrec__Test__AllTypes AllTypes;
typedef Evrec__Test__Nested Nested;
typedef Evrec__Test__AllTypes__MStringNestedEntry Entry;
#define AT (&evrec__test__all_types__descriptor)

/* The special character of a test key: its bytes and how a path shows it
 * (in pieces of `step` bytes, each a whole character's or byte's text;
 * 0: one piece); for JSON input, how a JSON string writes it (NULL: bytes
 * that JSON cannot carry). */
typedef struct piece {
  const char *bytes, *shown;
  size_t step;
  const char *json;
} piece;

static const piece tails[] = {
    {"\xc3\xa9", "\xc3\xa9", 0, "\xc3\xa9"},                         /* é */
    {"\xe2\x80\x9d", "\xe2\x80\x9d", 0, "\xe2\x80\x9d"},             /* ” */
    {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80"}, /* U+1F600 */
    {"\"", "\\\"", 0, "\\\""},
    {"\\", "\\\\", 0, "\\\\"},
    {"\x01", "\\u0001", 0, "\\u0001"},
    {"\n", "\\u000a", 0, "\\n"},
    {"\x7f", "\\u007f", 0, "\x7f"},
    {"\xff", "\\xff", 0, NULL},                       /* never UTF-8 */
    {"\xc3", "\\xc3", 0, NULL},                       /* a lead byte alone */
    {"\xe2\x80", "\\xe2\\x80", 4, NULL},             /* a sequence cut short */
    {"\xed\xa0\x80", "\\xed\\xa0\\x80", 4, NULL},   /* a surrogate */
};
#define N_TAILS (sizeof tails / sizeof tails[0])

/* Strict RFC 3629 check, independent of the library's. */
static bool utf8_ok(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned c = *p, n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2
                                  : c >= 0xF0 && c <= 0xF4 ? 3 : 9;
    if (n == 9) return false;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0) ||
        (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
      return false;
    for (unsigned i = 1; i <= n; i++)
      if ((p[i] & 0xC0) != 0x80) return false;
    p += n + 1;
  }
  return true;
}

/* Valid UTF-8, no control characters: one line of a terminal. */
static void assert_clean(const char *s, const char *what) {
  if (!utf8_ok(s)) fail_msg("%s is not valid UTF-8: %s", what, s);
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      fail_msg("%s holds a control character: %s", what, s);
}

/* The key: n x 'a', the tail, m x 'b'. */
static size_t make_key(char *out, size_t n, const piece *t, size_t m) {
  size_t tl = strlen(t->bytes);
  memset(out, 'a', n);
  memcpy(out + n, t->bytes, tl);
  memset(out + n + tl, 'b', m);
  out[n + tl + m] = '\0';
  return n + tl + m;
}

/* The path step of that key by fieldpath.h's rule: whole pieces while the
 * shown text stays within 64 bytes, then "..." when some are left. */
static void want_key(char *out, size_t n, const piece *t, size_t m) {
  size_t len = 2, text = 0, sl = strlen(t->shown), step = t->step ? t->step : sl;
  size_t pieces = n + sl / step + m;
  bool cut = false;
  memcpy(out, "[\"", 2);
  for (size_t i = 0; i < pieces && !cut; i++) {
    const char *p = i < n ? "a" : i < n + sl / step ? t->shown + (i - n) * step : "b";
    size_t pl = i < n || i >= n + sl / step ? 1 : step;
    if (text + pl > EVREC__PATH_KEY_MAX) {
      cut = true;
    } else {
      memcpy(out + len, p, pl);
      len += pl;
      text += pl;
    }
  }
  if (cut) memcpy(out + len, "...", 3), len += 3;
  memcpy(out + len, "\"]", 3);
}

/* The whole path by fieldpath.h's rule: mStringNested[key], `depth` x
 * .child, .b (not when the key is bad: then the key fails). Steps go in
 * from the innermost while they fit in EVREC_ERROR_PATH_MAX - 4 bytes
 * (counting the '.' of the first field); "..." before them if not all do. */
static void want_path(char *out, const char *key_step, size_t depth, bool bad_key) {
  const char *steps[128];
  size_t k = 0, total = 0, i;
  if (!bad_key) {
    steps[k++] = ".b";
    for (size_t d = 0; d < depth; d++) steps[k++] = ".child";
  }
  steps[k++] = key_step;
  steps[k++] = ".mStringNested";
  for (i = 0; i < k && total + strlen(steps[i]) <= EVREC_ERROR_PATH_MAX - 4; i++)
    total += strlen(steps[i]);
  strcpy(out, i < k ? "..." : "");
  for (size_t j = i; j-- > 0;) strcat(out, steps[j]);
  if (i == k) memmove(out, out + 1, strlen(out)); /* no '.' before the first field */
}

/* ---------------------------------------------------------------- the three codecs */

/* mStringNested[key] -> child^depth -> b = bad: encodes it (which must fail),
 * packs it and decodes that (which must fail), and checks both paths. */
static void from_memory(const char *key, size_t depth, const char *want, char *enc_path) {
  Nested *chain = calloc(depth + 1, sizeof *chain);
  assert_non_null(chain);
  for (size_t i = 0; i <= depth; i++) {
    evrec__test__nested__init(&chain[i]);
    if (i < depth) chain[i].child = &chain[i + 1];
  }
  chain[depth].b = (char *)"\xfe";
  Entry e, *pe = &e;
  evrec__test__all_types__mstring_nested_entry__init(&e);
  e.key = (char *)key;
  e.value = &chain[0];
  AllTypes m;
  evrec__test__all_types__init(&m);
  m.n_m_string_nested = 1;
  m.m_string_nested = &pe;

  evrec_error err;
  char *out = NULL;
  assert_int_equal(evrec_json_encode_alloc(&out, NULL, &m.base, NULL, &err), EVREC_E_UTF8);
  assert_clean(err.message, "encoder message");
  assert_clean(err.path, "encoder path");
  if (want && strcmp(err.path, want) != 0)
    fail_msg("encoder path\n  %s\nwant\n  %s", err.path, want);
  strcpy(enc_path, err.path);

  size_t n = protobuf_c_message_get_packed_size(&m.base);
  uint8_t *bin = malloc(n);
  assert_non_null(bin);
  protobuf_c_message_pack(&m.base, bin);
  evrec_arena *a = evrec_arena_new(0);
  ProtobufCMessage *dec = NULL;
  assert_int_equal(evrec_pb_decode(&dec, AT, bin, n, a, &err), EVREC_E_UTF8);
  assert_clean(err.message, "binary decoder message");
  assert_clean(err.path, "binary decoder path");
  if (strcmp(err.path, enc_path) != 0)
    fail_msg("binary decoder path\n  %s\nencoder path\n  %s", err.path, enc_path);

  /* the writers' check of a tree built in memory: the same again */
  assert_int_equal(evrec__check_utf8(&m.base, &err), EVREC_E_UTF8);
  assert_clean(err.path, "UTF-8 walk path");
  if (strcmp(err.path, enc_path) != 0)
    fail_msg("UTF-8 walk path\n  %s\nencoder path\n  %s", err.path, enc_path);
  evrec_arena_free(a);
  free(bin);
  free(chain);
}

/* The same place in JSON, where b holds a number: the decoder's path. */
static void from_json(const char *json_key, size_t depth, const char *want) {
  size_t cap = strlen(json_key) + 64 + depth * 12;
  char *json = malloc(cap), *p = json;
  assert_non_null(json);
  p += sprintf(p, "{\"mStringNested\":{\"%s\":", json_key);
  for (size_t i = 0; i < depth; i++) p += sprintf(p, "{\"child\":");
  p += sprintf(p, "{\"b\":1}");
  for (size_t i = 0; i < depth; i++) *p++ = '}';
  strcpy(p, "}}");
  evrec_arena *a = evrec_arena_new(0);
  ProtobufCMessage *m;
  evrec_error err;
  assert_int_equal(evrec_json_decode(&m, AT, json, strlen(json), a, NULL, &err), EVREC_E_SCHEMA);
  assert_clean(err.message, "JSON decoder message");
  assert_clean(err.path, "JSON decoder path");
  if (strcmp(err.path, want) != 0) fail_msg("JSON decoder path\n  %s\nwant\n  %s", err.path, want);
  evrec_arena_free(a);
  free(json);
}

/* The key of 60 + n bytes (n x 'a', a tail, m x 'b') in the encoder, the
 * binary decoder, the UTF-8 walk and (when JSON can carry it) the JSON
 * decoder: each path as the rule says. */
static void check_key(size_t n, const piece *t, size_t m, size_t depth) {
  char key[256], json_key[512], step[128], want[2 * EVREC_ERROR_PATH_MAX];
  char got[EVREC_ERROR_PATH_MAX];
  make_key(key, n, t, m);
  want_key(step, n, t, m);
  want_path(want, step, depth, t->json == NULL);
  assert_true(strlen(want) < EVREC_ERROR_PATH_MAX);
  from_memory(key, depth, want, got);
  if (!t->json) return;
  memset(json_key, 'a', n);
  sprintf(json_key + n, "%s%.*s", t->json, (int)m, "bb");
  from_json(json_key, depth, want);
}

/* Every key length around the cut, every kind of character there. */
static void test_keys_cut_whole(void **state) {
  (void)state;
  for (size_t t = 0; t < N_TAILS; t++)
    for (size_t n = 50; n <= 70; n++)
      for (size_t m = 0; m <= 2; m += 2) check_key(n, &tails[t], m, 0);
}

/* The report's case, spelled out. */
static void test_key_63_a_e_acute(void **state) {
  (void)state;
  char key[80], want[160], got[EVREC_ERROR_PATH_MAX];
  memset(key, 'a', 63);
  strcpy(key + 63, "\xc3\xa9");
  snprintf(want, sizeof want, "mStringNested[\"%.63s...\"].b", key);
  from_memory(key, 0, want, got);
  from_json(key, 0, want);
}

/* Long paths keep their innermost whole steps behind "...", the same in
 * every codec, whatever the key holds where the cut falls. */
static void test_long_paths(void **state) {
  (void)state;
  for (size_t t = 0; t < N_TAILS; t++)
    for (size_t depth = 20; depth <= 40; depth++) check_key(60, &tails[t], 0, depth);
}

/* ---------------------------------------------------------------- the formatter */

static void test_quote(void **state) {
  (void)state;
  char out[80];
  evrec__quote(out, sizeof out, "a\"b\\c\x01\x7f\xff\xc3\xa9", 10, 64);
  assert_string_equal(out, "\"a\\\"b\\\\c\\u0001\\u007f\\xff\xc3\xa9\"");
  /* at most `max` bytes of text, whole escapes only */
  evrec__quote(out, sizeof out, "abc\x01", 4, 8);
  assert_string_equal(out, "\"abc...\"");
  evrec__quote(out, sizeof out, "abc\x01", 4, 9);
  assert_string_equal(out, "\"abc\\u0001\"");
  evrec__quote(out, sizeof out, "", 0, 8);
  assert_string_equal(out, "\"\"");
  /* the room of `cap` bounds the text too */
  size_t n = evrec__quote(out, 12, "abcdefghijkl", 12, 64);
  assert_int_equal(n, 11);
  assert_string_equal(out, "\"abcdef...\"");
}

static void test_steps(void **state) {
  (void)state;
  evrec__fieldpath p;
  char out[EVREC_ERROR_PATH_MAX];
  evrec__fieldpath_init(&p);
  evrec__fieldpath_get(&p, out);
  assert_string_equal(out, "");
  evrec__fieldpath_field(&p, "actor_id", false);
  evrec__fieldpath_index(&p, 0);
  evrec__fieldpath_field(&p, "participants", false);
  evrec__fieldpath_index(&p, 1);
  evrec__fieldpath_name(&p, "events");
  evrec__fieldpath_get(&p, out);
  assert_string_equal(out, "events[1].participants[0].actorId");
  evrec__fieldpath_init(&p);
  evrec__fieldpath_field(&p, "actor_id", true);
  evrec__fieldpath_key_bool(&p, true);
  evrec__fieldpath_name(&p, "m");
  evrec__fieldpath_key_i64(&p, -5);
  evrec__fieldpath_key_u64(&p, UINT64_MAX);
  evrec__fieldpath_get(&p, out);
  assert_string_equal(out, "[\"18446744073709551615\"][\"-5\"].m[\"true\"].actor_id");
  /* another error's path as the innermost steps */
  evrec__fieldpath_init(&p);
  evrec__fieldpath_text(&p, "a.b[2]");
  evrec__fieldpath_name(&p, "any");
  evrec__fieldpath_get(&p, out);
  assert_string_equal(out, "any.a.b[2]");
  evrec__fieldpath_init(&p);
  evrec__fieldpath_text(&p, "[2].x");
  evrec__fieldpath_name(&p, "list");
  evrec__fieldpath_get(&p, out);
  assert_string_equal(out, "list[2].x");
  evrec__fieldpath_init(&p); /* a cut one stays as it is */
  evrec__fieldpath_text(&p, "....x.y");
  evrec__fieldpath_name(&p, "any");
  evrec__fieldpath_get(&p, out);
  assert_string_equal(out, "....x.y");
}

/* Up to EVREC__PATH_SHOWN_MAX bytes a path is whole; beyond, whole inner
 * steps behind "..."; a lone step too long keeps its end on a character
 * boundary. */
static void test_cut(void **state) {
  (void)state;
  evrec__fieldpath p;
  char out[EVREC_ERROR_PATH_MAX], want[EVREC_ERROR_PATH_MAX], name[400];
  /* "x" + 25 x ".abcdefghi" = 251 bytes: whole */
  evrec__fieldpath_init(&p);
  for (int i = 0; i < 25; i++) evrec__fieldpath_name(&p, "abcdefghi");
  evrec__fieldpath_name(&p, "x");
  evrec__fieldpath_get(&p, out);
  assert_int_equal(strlen(out), EVREC__PATH_SHOWN_MAX);
  assert_memory_equal(out, "x.abcdefghi.", 12);
  /* one more step: "..." and the steps so far, with the '.' of "x" */
  evrec__fieldpath_name(&p, "y");
  evrec__fieldpath_get(&p, out);
  strcpy(want, "....x");
  for (int i = 0; i < 25; i++) strcat(want, ".abcdefghi");
  assert_int_equal(strlen(want), EVREC_ERROR_PATH_MAX - 1);
  assert_string_equal(out, want);
  /* a field name longer than any path: its end, whole characters */
  for (size_t lead = 0; lead < 4; lead++) {
    memset(name, 'n', sizeof name);
    for (size_t i = lead; i + 2 < sizeof name; i += 2) memcpy(name + i, "\xc3\xa9", 2);
    name[sizeof name - 1] = '\0';
    evrec__fieldpath_init(&p);
    evrec__fieldpath_name(&p, name);
    evrec__fieldpath_get(&p, out);
    assert_true(utf8_ok(out));
    assert_memory_equal(out, "...", 3);
    assert_true(strlen(out) >= EVREC_ERROR_PATH_MAX - 2);
    assert_string_equal(out + 3, name + strlen(name) - strlen(out + 3));
  }
}

/* Messages: a cut never leaves half a character; bytes that are not UTF-8
 * and control characters, whatever put them there, are escaped. */
static void test_messages_clean(void **state) {
  (void)state;
  evrec_error err;
  char big[600];
  for (size_t n = 240; n < 260; n++) {
    memset(big, 'a', n);
    strcpy(big + n, "\xe2\x80\x9d\xe2\x80\x9d\xe2\x80\x9d");
    evrec__err(&err, EVREC_E_SCHEMA, "%s", big);
    assert_true(utf8_ok(err.message));
    size_t len = strlen(err.message);
    if (n + 9 < EVREC_ERROR_MESSAGE_MAX) /* whole */
      assert_int_equal(len, n + 9);
    else if (n < EVREC_ERROR_MESSAGE_MAX - 1) /* cut: the characters that fit whole */
      assert_int_equal(len, n + (EVREC_ERROR_MESSAGE_MAX - 1 - n) / 3 * 3);
    else
      assert_int_equal(len, EVREC_ERROR_MESSAGE_MAX - 1);
  }
  evrec__err(&err, EVREC_E_SCHEMA, "x \"%.5s\" y\tz\x1b[31m", "ab\xc3\xa9\xc3\xa9");
  assert_string_equal(err.message, "x \"ab\xc3\xa9\\xc3\" y\\u0009z\\u001b[31m");
  assert_int_equal(err.code, EVREC_E_SCHEMA);
  char out[8];
  assert_int_equal(evrec__text_clean(out, sizeof out, "abc\xff", 4), 7);
  assert_string_equal(out, "abc\\xff");
  assert_int_equal(evrec__text_clean(out, sizeof out, "abcd\xff", 5), 4);
  assert_string_equal(out, "abcd");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_quote),
      cmocka_unit_test(test_steps),
      cmocka_unit_test(test_cut),
      cmocka_unit_test(test_messages_clean),
      cmocka_unit_test(test_key_63_a_e_acute),
      cmocka_unit_test(test_keys_cut_whole),
      cmocka_unit_test(test_long_paths),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
