/*
 * fieldpath.c -- the text of errors: field paths, quoted strings, clean
 * messages (the rules are in fieldpath.h).
 *
 * A path is built right to left at the end of a fixed buffer: each step is
 * formatted on its own, then put in front of the steps so far if it fits
 * with room left for the "..." of a cut; the first step that does not fit
 * ends the path. So a cut always falls between steps, never inside a key
 * or a character, and nothing is moved twice. Only error paths come here.
 */
#include "fieldpath.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define CUT "..."
#define CUT_LEN 3

/* ---------------------------------------------------------------- characters */

/* The text of the character at s (n > 0 bytes left) in quoted (`quote`:
 * '"' and '\\' escaped) or cleaned text, into out (8 bytes): *len gets its
 * length. @return the bytes of s it stands for. */
static size_t piece(const unsigned char *s, size_t n, bool quote, char *out, size_t *len) {
  static const char hex[] = "0123456789abcdef";
  unsigned c = s[0];
  if (c < 0x20 || c == 0x7f) {
    memcpy(out, "\\u00", 4);
    out[4] = hex[c >> 4];
    out[5] = hex[c & 15];
    *len = 6;
    return 1;
  }
  if (quote && (c == '"' || c == '\\')) {
    out[0] = '\\';
    out[1] = (char)c;
    *len = 2;
    return 1;
  }
  if (c < 0x80) {
    out[0] = (char)c;
    *len = 1;
    return 1;
  }
  size_t w = c >= 0xC2 && c <= 0xDF   ? 2
             : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4
                                      : 0;
  if (w && w <= n && evrec__utf8_valid_prefix((const char *)s, w) == w) {
    memcpy(out, s, w);
    *len = w;
    return w;
  }
  memcpy(out, "\\x", 2); /* not UTF-8: the byte's value */
  out[2] = hex[c >> 4];
  out[3] = hex[c & 15];
  *len = 4;
  return 1;
}

size_t evrec__quote(char *out, size_t cap, const char *s, size_t n, size_t max) {
  const unsigned char *u = (const unsigned char *)s;
  size_t len = 0, i = 0;
  if (max > cap - 6) max = cap - 6; /* room for "", "..." and the NUL */
  out[len++] = '"';
  while (i < n) {
    char t[8];
    size_t tl, used = piece(u + i, n - i, true, t, &tl);
    if (len - 1 + tl > max) break;
    memcpy(out + len, t, tl);
    len += tl;
    i += used;
  }
  if (i < n) {
    memcpy(out + len, CUT, CUT_LEN);
    len += CUT_LEN;
  }
  out[len++] = '"';
  out[len] = '\0';
  return len;
}

size_t evrec__text_clean(char *out, size_t cap, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t len = 0, i = 0;
  while (i < n) {
    if (u[i] >= 0x20 && u[i] < 0x7f) { /* printable ASCII: most of every message */
      if (len + 1 > cap - 1) break;
      out[len++] = (char)u[i++];
      continue;
    }
    char t[8];
    size_t tl, used = piece(u + i, n - i, false, t, &tl);
    if (len + tl > cap - 1) break;
    memcpy(out + len, t, tl);
    len += tl;
    i += used;
  }
  out[len] = '\0';
  return len;
}

/* Length of s[0..n) without a character that a cut left incomplete at its
 * end. */
static size_t whole_chars(const char *s, size_t n) {
  size_t i = n, k = 0;
  while (i > 0 && k < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--, k++;
  if (i == 0) return n;
  unsigned c = (unsigned char)s[i - 1];
  size_t w = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  return w > 1 && k + 1 < w ? i - 1 : n;
}

size_t evrec__text_vformat(char *out, size_t cap, const char *fmt, va_list ap) {
  char text[EVREC_ERROR_MESSAGE_MAX];
  int n = vsnprintf(text, sizeof text, fmt, ap);
  size_t len = n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : whole_chars(text, sizeof text - 1);
  return evrec__text_clean(out, cap, text, len);
}

/* ---------------------------------------------------------------- paths */

void evrec__fieldpath_init(evrec__fieldpath *p) {
  p->pos = sizeof p->buf - 1;
  p->cut = false;
  p->buf[p->pos] = '\0';
}

/* Puts the step t[0..n) in front of the path, or ends the path there. */
static void push(evrec__fieldpath *p, const char *t, size_t n) {
  if (p->cut) return;
  if (n + CUT_LEN <= p->pos) {
    p->pos -= n;
    memcpy(p->buf + p->pos, t, n);
    return;
  }
  p->cut = true;
  if (p->pos < sizeof p->buf - 1) return; /* the steps so far are the path */
  size_t keep = p->pos - CUT_LEN;         /* a lone step too long: its end */
  const char *s = t + n - keep;
  while (keep && ((unsigned char)*s & 0xC0) == 0x80) s++, keep--;
  p->pos -= keep;
  memcpy(p->buf + p->pos, s, keep);
}

void evrec__fieldpath_name(evrec__fieldpath *p, const char *name) {
  char t[EVREC_ERROR_PATH_MAX];
  size_t n = strlen(name);
  if (n + 1 >= sizeof t) { /* cut whatever comes: no need of the '.' */
    push(p, name, n);
    return;
  }
  t[0] = '.';
  memcpy(t + 1, name, n);
  push(p, t, n + 1);
}

void evrec__fieldpath_field(evrec__fieldpath *p, const char *proto_name, bool as_proto) {
  char json[EVREC_ERROR_PATH_MAX];
  if (!as_proto && strlen(proto_name) < sizeof json) {
    evrec__json_name(proto_name, json);
    proto_name = json;
  }
  evrec__fieldpath_name(p, proto_name);
}

void evrec__fieldpath_index(evrec__fieldpath *p, size_t i) {
  char t[32];
  int n = snprintf(t, sizeof t, "[%zu]", i);
  push(p, t, (size_t)n);
}

void evrec__fieldpath_key(evrec__fieldpath *p, const char *s, size_t n) {
  char t[EVREC__PATH_KEY_MAX + 8];
  size_t len = 1;
  t[0] = '[';
  len += evrec__quote(t + 1, sizeof t - 2, s, n, EVREC__PATH_KEY_MAX);
  t[len++] = ']';
  push(p, t, len);
}

void evrec__fieldpath_key_i64(evrec__fieldpath *p, int64_t v) {
  char t[32];
  int n = snprintf(t, sizeof t, "[\"%" PRId64 "\"]", v);
  push(p, t, (size_t)n);
}

void evrec__fieldpath_key_u64(evrec__fieldpath *p, uint64_t v) {
  char t[32];
  int n = snprintf(t, sizeof t, "[\"%" PRIu64 "\"]", v);
  push(p, t, (size_t)n);
}

void evrec__fieldpath_key_bool(evrec__fieldpath *p, bool v) {
  if (v)
    push(p, "[\"true\"]", 8);
  else
    push(p, "[\"false\"]", 9);
}

void evrec__fieldpath_text(evrec__fieldpath *p, const char *path) {
  size_t n = strlen(path);
  if (n >= CUT_LEN && memcmp(path, CUT, CUT_LEN) == 0) { /* cut already: nothing goes before */
    push(p, path + CUT_LEN, n - CUT_LEN);
    p->cut = true;
  } else if (path[0] == '[') {
    push(p, path, n);
  } else if (n) {
    evrec__fieldpath_name(p, path);
  }
}

void evrec__fieldpath_get(const evrec__fieldpath *p, char *out) {
  const char *s = p->buf + p->pos;
  size_t n = sizeof p->buf - 1 - p->pos;
  if (p->cut) {
    memcpy(out, CUT, CUT_LEN);
    out += CUT_LEN;
  } else if (n && *s == '.') { /* the outermost field: no '.' before it */
    s++;
    n--;
  }
  memcpy(out, s, n);
  out[n] = '\0';
}
