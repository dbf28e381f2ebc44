/*
 * format.c -- record stream format names, extensions and detection.
 *
 * Detection looks at the first bytes of a stream and, failing that, at its
 * name. The content decides wherever it can, because names lie (stdin has
 * none, and people save JSON as ".txt"); the exceptions are binary formats,
 * whose first byte can be anything:
 *
 *   1. gzip magic 1f 8b                     -> evr (the container). A pb/pbd
 *      stream never starts so: 0x1f is field 3 with the invalid wire type 7,
 *      and 0x8b after a length byte would open a group, which proto3 lacks.
 *   2. a .pb / .pbd name                    -> pb / pbd
 *   3. JSON-looking content                 -> json (ndjson for .ndjson/.jsonl)
 *   4. any other known extension            -> that format
 *   5. otherwise                            -> undecided (EVREC_FORMAT_AUTO)
 *
 * "JSON-looking" is stricter than "first non-blank byte is { or [": a pb
 * record whose first field is a 123-byte string starts with "\n{" (tag 0x0a
 * is a newline, length 123 is '{'). So the byte after the bracket must fit
 * too: after '{' (and blanks) comes '"' or '}', after '[' comes '{' or ']'.
 * A leading UTF-8 byte order mark is skipped (RFC 8259 lets parsers ignore
 * it; the reader does).
 *
 * Empty or all-blank content decides nothing; readers treat it as JSON with
 * zero records.
 */
#include <string.h>
#include <strings.h>

#include "internal.h"

/* ====================================================================== */
/* Names and extensions                                                   */
/* ====================================================================== */

const char *evrec_format_name(evrec_format format) {
  switch (format) {
  case EVREC_FORMAT_AUTO: return "auto";
  case EVREC_FORMAT_JSON: return "json";
  case EVREC_FORMAT_NDJSON: return "ndjson";
  case EVREC_FORMAT_PB: return "pb";
  case EVREC_FORMAT_PBD: return "pbd";
  case EVREC_FORMAT_EVR: return "evr";
  }
  return "?";
}

static const struct {
  const char *name;
  evrec_format format;
} format_names[] = {
    {"json", EVREC_FORMAT_JSON}, {"ndjson", EVREC_FORMAT_NDJSON},
    {"jsonl", EVREC_FORMAT_NDJSON}, {"pb", EVREC_FORMAT_PB},
    {"pbd", EVREC_FORMAT_PBD}, {"evr", EVREC_FORMAT_EVR},
};

evrec_format evrec_format_from_name(const char *name) {
  if (!name) return EVREC_FORMAT_AUTO;
  for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
    if (strcmp(name, format_names[i].name) == 0) return format_names[i].format;
  return EVREC_FORMAT_AUTO;
}

/* Extensions compare case-insensitively: "RECORDS.JSON" is JSON too. */
evrec_format evrec_format_from_path(const char *path) {
  if (!path) return EVREC_FORMAT_AUTO;
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  if (!dot || dot == base) return EVREC_FORMAT_AUTO; /* no extension, or a dot file */
  for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
    if (strcasecmp(dot + 1, format_names[i].name) == 0) return format_names[i].format;
  return EVREC_FORMAT_AUTO;
}

/* ====================================================================== */
/* Content sniffing                                                       */
/* ====================================================================== */

typedef enum sniff { SNIFF_NO, SNIFF_YES, SNIFF_MORE } sniff;

static bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Index of the first non-blank byte at or after i, or len. */
static size_t skip_ws(const unsigned char *s, size_t len, size_t i) {
  while (i < len && is_ws(s[i])) i++;
  return i;
}

/* Does the content look like JSON records? At the end of the input a lone
 * bracket counts as JSON (the decoder will then say what is missing). */
static sniff looks_like_json(const unsigned char *s, size_t len, bool at_eof) {
  size_t i = 0;
  if (len < 3 && len > 0 && s[0] == 0xEF && !at_eof) return SNIFF_MORE; /* a BOM, maybe */
  if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) i = 3;
  i = skip_ws(s, len, i);
  if (i == len) return at_eof ? SNIFF_NO : SNIFF_MORE;
  if (s[i] != '{' && s[i] != '[') return SNIFF_NO;
  char open = (char)s[i];
  i = skip_ws(s, len, i + 1);
  if (i == len) return at_eof ? SNIFF_YES : SNIFF_MORE;
  if (open == '{') return s[i] == '"' || s[i] == '}' ? SNIFF_YES : SNIFF_NO;
  return s[i] == '{' || s[i] == ']' ? SNIFF_YES : SNIFF_NO;
}

evrec_format evrec__format_sniff(const void *head, size_t len, const char *path,
                                 bool at_eof, bool *more) {
  const unsigned char *s = head;
  evrec_format by_name = evrec_format_from_path(path);
  *more = false;
  if (len >= 2 && s[0] == 0x1f && s[1] == 0x8b) return EVREC_FORMAT_EVR;
  if (len < 2 && !at_eof && (len == 0 || s[0] == 0x1f)) {
    *more = true;
    return EVREC_FORMAT_AUTO;
  }
  if (by_name == EVREC_FORMAT_PB || by_name == EVREC_FORMAT_PBD) return by_name;
  sniff j = looks_like_json(s, len, at_eof);
  if (j == SNIFF_MORE) {
    *more = true;
    return EVREC_FORMAT_AUTO;
  }
  if (j == SNIFF_YES) return by_name == EVREC_FORMAT_NDJSON ? EVREC_FORMAT_NDJSON : EVREC_FORMAT_JSON;
  return by_name; /* AUTO when the name says nothing either */
}

evrec_format evrec_format_detect(const void *head, size_t len, const char *path) {
  bool more;
  if (!head) len = 0;
  evrec_format f = evrec__format_sniff(head ? head : "", len, path, false, &more);
  if (f == EVREC_FORMAT_AUTO && more) /* a prefix too short to be sure: best guess */
    f = evrec__format_sniff(head ? head : "", len, path, true, &more);
  return f;
}
