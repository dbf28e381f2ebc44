/*
 * patch.c -- the JSON delta form of differences (evrec_difference_format,
 * evrec_difference_parse) and applying the differences of one record
 * (evrec_record_patch).
 *
 * Delta lines are small flat objects whose "old"/"new" members hold
 * canonical JSON of any shape; the parser here only finds the members and
 * copies the raw JSON text of the values. The values are decoded later,
 * by the JSON decoder itself, as the field they belong to.
 *
 * Applying: the record is copied into the caller's arena (pack + decode),
 * then each op's path is resolved in the copy -- field names, list
 * elements by index, entities by id, map entries by key -- and checked:
 * the old value must equal what is there (deep equality as the diff sees
 * it), an addition must find nothing there. Replacements and removals of
 * singular fields take effect at once; changes to lists and maps are
 * collected per list ("pending") and made at the end, so every index in
 * every path means the record as it came: removals drop the marked
 * elements, then additions go in at their B indices in ascending order
 * (entities and keyed additions at the end). Removing the marked elements
 * of A and inserting B's at B's indices rebuilds B's order exactly when the
 * kept elements are in order, which the diff's alignment guarantees.
 *
 * A value is decoded by wrapping its JSON text as the only member of an
 * object of the parent's type, {"name":VALUE} ({"name":[VALUE]} for an
 * element, {"name":{"key":VALUE}} for a map value), and taking the field
 * from the decoded message.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "fieldpath.h"

#define SHOW_MAX 60 /* bytes of a value quoted in a message */

static const char *op_name(evrec_diff_op op) {
  switch (op) {
  case EVREC_DIFF_ADD: return "add";
  case EVREC_DIFF_REMOVE: return "remove";
  case EVREC_DIFF_REPLACE: return "replace";
  }
  return "?";
}

/* ====================================================================== */
/* JSON text helpers                                                      */
/* ====================================================================== */

/* Appends at most SHOW_MAX bytes of s (cut on a UTF-8 boundary, "..."). */
static void put_short(evrec__buf *b, const char *s, size_t n) {
  if (n <= SHOW_MAX) {
    evrec__buf_append(b, s, n);
    return;
  }
  size_t k = SHOW_MAX;
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  evrec__buf_append(b, s, k);
  evrec__buf_puts(b, "...");
}

int evrec_difference_format(char **out, size_t *out_len, const evrec_difference *d,
                            evrec_error *err) {
  if (out) *out = NULL;
  if (out_len) *out_len = 0;
  if (!out || !d || !d->id || !d->path || d->op < EVREC_DIFF_ADD || d->op > EVREC_DIFF_REPLACE)
    return evrec__err(err, EVREC_E_INVALID_ARG, "difference_format: bad argument");
  evrec__buf b;
  evrec__buf_init(&b);
  evrec__buf_puts(&b, "{\"op\":\"");
  evrec__buf_puts(&b, op_name(d->op));
  evrec__buf_puts(&b, "\",\"id\":");
  evrec__diff_put_json_string(&b, d->id, strlen(d->id));
  evrec__buf_puts(&b, ",\"path\":");
  evrec__diff_put_json_string(&b, d->path, strlen(d->path));
  if (d->old_value) {
    evrec__buf_puts(&b, ",\"old\":");
    evrec__buf_append(&b, d->old_value, d->old_len);
  }
  if (d->new_value) {
    evrec__buf_puts(&b, ",\"new\":");
    evrec__buf_append(&b, d->new_value, d->new_len);
  }
  evrec__buf_putc(&b, '}');
  if (!evrec__buf_cstr(&b)) {
    evrec__buf_free(&b);
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  }
  *out = b.data;
  if (out_len) *out_len = b.len;
  return EVREC_OK;
}

/* ====================================================================== */
/* Parsing a delta line                                                   */
/* ====================================================================== */

typedef struct lex {
  const char *s;
  size_t n, i;
  evrec_arena *arena;
  evrec_error *err;
} lex;

static int lex_fail(lex *x, int code, const char *what) {
  evrec__err(x->err, code, "%s", what);
  if (x->err) x->err->offset = x->i;
  return code;
}

static void lex_ws(lex *x) {
  while (x->i < x->n && (x->s[x->i] == ' ' || x->s[x->i] == '\t' || x->s[x->i] == '\n' ||
                         x->s[x->i] == '\r'))
    x->i++;
}

static int hex4(const char *p, uint32_t *v) {
  *v = 0;
  for (int k = 0; k < 4; k++) {
    char c = p[k];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    *v = *v << 4 | (uint32_t)d;
  }
  return 0;
}

/* One escape after '\\' at s[i]; appends its UTF-8. @return bytes used. */
static size_t unescape(const char *s, size_t n, size_t i, evrec__buf *b) {
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  if (i + 1 >= n) return 0;
  const char *e = strchr(from, s[i + 1]);
  if (e && s[i + 1]) return evrec__buf_putc(b, to[e - from]), 2;
  uint32_t cp, lo;
  if (s[i + 1] != 'u' || i + 6 > n || hex4(s + i + 2, &cp)) return 0;
  size_t used = 6;
  if (cp >= 0xD800 && cp <= 0xDBFF && i + 12 <= n && s[i + 6] == '\\' && s[i + 7] == 'u' &&
      !hex4(s + i + 8, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    used = 12;
  }
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) return 0; /* lone surrogate; NUL */
  char u[4];
  evrec__buf_append(b, u, (size_t)evrec__utf8_encode(cp, u));
  return used;
}

/* A JSON string at x->i, decoded into the arena (NUL-terminated). */
static int lex_string(lex *x, const char **out) {
  evrec__buf b;
  evrec__buf_init(&b);
  int rc = EVREC_OK;
  if (x->i >= x->n || x->s[x->i] != '"') return lex_fail(x, EVREC_E_SYNTAX, "expected a string");
  x->i++;
  while (rc == EVREC_OK) {
    size_t start = x->i;
    while (x->i < x->n && x->s[x->i] != '"' && x->s[x->i] != '\\' && (unsigned char)x->s[x->i] >= 0x20)
      x->i++;
    if (evrec__utf8_valid_prefix(x->s + start, x->i - start) != x->i - start) {
      x->i = start + evrec__utf8_valid_prefix(x->s + start, x->i - start);
      rc = lex_fail(x, EVREC_E_UTF8, "invalid UTF-8");
      break;
    }
    evrec__buf_append(&b, x->s + start, x->i - start);
    if (x->i >= x->n || (unsigned char)x->s[x->i] < 0x20) {
      rc = lex_fail(x, EVREC_E_SYNTAX, "unterminated string");
    } else if (x->s[x->i] == '"') {
      x->i++;
      break;
    } else {
      size_t used = unescape(x->s, x->n, x->i, &b);
      if (!used) rc = lex_fail(x, EVREC_E_SYNTAX, "invalid escape in a string");
      x->i += used;
    }
  }
  if (rc == EVREC_OK) {
    *out = evrec__arena_strndup(x->arena, b.data ? b.data : "", b.len);
    if (b.oom || !*out) rc = evrec__err(x->err, EVREC_E_NOMEM, "out of memory");
  }
  evrec__buf_free(&b);
  return rc;
}

/* Skips one JSON value (strings, nesting, literals); the decoder checks it
 * when it reads it as a field. */
static int lex_skip_value(lex *x) {
  size_t depth = 0;
  do {
    lex_ws(x);
    if (x->i >= x->n) return lex_fail(x, EVREC_E_SYNTAX, "unexpected end of the line");
    char c = x->s[x->i];
    if (c == '"') {
      for (x->i++; x->i < x->n && x->s[x->i] != '"'; x->i++)
        if (x->s[x->i] == '\\') x->i++;
      if (x->i >= x->n) return lex_fail(x, EVREC_E_SYNTAX, "unterminated string");
      x->i++;
    } else if (c == '{' || c == '[') {
      depth++, x->i++;
    } else if (c == '}' || c == ']') {
      if (!depth) return lex_fail(x, EVREC_E_SYNTAX, "unexpected bracket");
      depth--, x->i++;
    } else if (c == ',' || c == ':') {
      if (!depth) return lex_fail(x, EVREC_E_SYNTAX, "expected a value");
      x->i++;
    } else {
      size_t start = x->i;
      while (x->i < x->n && strchr("+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", x->s[x->i]) && x->s[x->i])
        x->i++;
      if (x->i == start) return lex_fail(x, EVREC_E_SYNTAX, "expected a value");
    }
  } while (depth);
  return EVREC_OK;
}

static int member_value(lex *x, evrec_difference *d, const char *key, const char **op) {
  if (!strcmp(key, "op")) return lex_string(x, op);
  if (!strcmp(key, "id")) return lex_string(x, &d->id);
  if (!strcmp(key, "path")) return lex_string(x, &d->path);
  bool old = !strcmp(key, "old"), nw = !strcmp(key, "new");
  size_t start = x->i;
  int rc = lex_skip_value(x);
  if (rc || (!old && !nw)) return rc;
  while (start < x->i && (x->s[start] == ' ' || x->s[start] == '\t')) start++;
  char *v = evrec__arena_strndup(x->arena, x->s + start, x->i - start);
  if (!v) return evrec__err(x->err, EVREC_E_NOMEM, "out of memory");
  *(old ? &d->old_value : &d->new_value) = v;
  *(old ? &d->old_len : &d->new_len) = x->i - start;
  return EVREC_OK;
}

static int parse_members(lex *x, evrec_difference *d, const char **op) {
  lex_ws(x);
  if (x->i >= x->n || x->s[x->i] != '{') return lex_fail(x, EVREC_E_SYNTAX, "expected '{'");
  x->i++;
  lex_ws(x);
  if (x->i < x->n && x->s[x->i] == '}') return x->i++, EVREC_OK;
  for (;;) {
    const char *key;
    lex_ws(x);
    int rc = lex_string(x, &key);
    lex_ws(x);
    if (rc == EVREC_OK && (x->i >= x->n || x->s[x->i++] != ':'))
      rc = lex_fail(x, EVREC_E_SYNTAX, "expected ':'");
    lex_ws(x);
    if (rc == EVREC_OK) rc = member_value(x, d, key, op);
    lex_ws(x);
    if (rc) return rc;
    if (x->i < x->n && x->s[x->i] == ',') {
      x->i++;
      continue;
    }
    if (x->i < x->n && x->s[x->i] == '}') return x->i++, EVREC_OK;
    return lex_fail(x, EVREC_E_SYNTAX, "expected ',' or '}'");
  }
}

/* The members each op needs. */
static int check_members(evrec_difference *d, const char *op, evrec_error *err) {
  if (!op || !d->id || !d->path)
    return evrec__err(err, EVREC_E_SCHEMA, "a difference needs \"op\", \"id\" and \"path\"");
  if (!strcmp(op, "add")) d->op = EVREC_DIFF_ADD;
  else if (!strcmp(op, "remove")) d->op = EVREC_DIFF_REMOVE;
  else if (!strcmp(op, "replace")) d->op = EVREC_DIFF_REPLACE;
  else return evrec__err(err, EVREC_E_SCHEMA, "unknown op \"%.40s\" (add, remove, replace)", op);
  if (d->op != EVREC_DIFF_ADD && !d->old_value)
    return evrec__err(err, EVREC_E_SCHEMA, "%s needs \"old\"", op);
  if (d->op != EVREC_DIFF_REMOVE && !d->new_value)
    return evrec__err(err, EVREC_E_SCHEMA, "%s needs \"new\"", op);
  return EVREC_OK;
}

int evrec_difference_parse(evrec_difference *out, const char *json, size_t len,
                           evrec_arena *arena, evrec_error *err) {
  if (!out || (!json && len) || !arena)
    return evrec__err(err, EVREC_E_INVALID_ARG, "difference_parse: bad argument");
  memset(out, 0, sizeof *out);
  out->a_record = out->b_record = EVREC_UNKNOWN;
  lex x = {json ? json : "", len, 0, arena, err};
  const char *op = NULL;
  int rc = parse_members(&x, out, &op);
  lex_ws(&x);
  if (rc == EVREC_OK && x.i < x.n) rc = lex_fail(&x, EVREC_E_SYNTAX, "unexpected data after the object");
  return rc ? rc : check_members(out, op, err);
}

/* ====================================================================== */
/* Paths                                                                  */
/* ====================================================================== */

typedef enum { STEP_FIELD, STEP_INDEX, STEP_ID, STEP_KEY } step_kind;

typedef struct step {
  step_kind kind;
  const char *s; /* field name (not terminated: n bytes), id or key (terminated) */
  size_t n;
  size_t index;
} step;

typedef struct pstate {
  const evrec_difference *op;
  evrec_arena *arena;
  evrec_error *err;
  evrec__buf tmp; /* wrapped JSON values, messages */
  struct pending *pend; /* every list or map an op touched */
  size_t npend, cap_pend;
  size_t *tab;          /* (message, field) -> 1 + index in pend; 0 = empty */
  size_t cap_tab;       /* a power of 2, at least twice npend */
} pstate;

static int pfail(pstate *p, int code, const char *fmt, ...) EVREC__PRINTF(3, 4);

/* An error about the current op: "replace at PATH: ...", err->path = PATH. */
static int pfail(pstate *p, int code, const char *fmt, ...) {
  char what[EVREC_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  char at[101]; /* the path, 100 bytes at most, cut on a character */
  evrec__text_clean(at, sizeof at, p->op->path, strlen(p->op->path));
  evrec__err(p->err, code, "%s at %s: %s", op_name(p->op->op), at, what);
  if (p->err)
    evrec__text_clean(p->err->path, sizeof p->err->path, p->op->path, strlen(p->op->path));
  return code;
}

/* A selector: [N], [id=X], [id="X"] or ["key"]; s points after '['. */
static int parse_selector(pstate *p, const char *s, size_t *used, step *st) {
  const char *q = s;
  if (*q >= '0' && *q <= '9') {
    st->kind = STEP_INDEX;
    for (st->index = 0; *q >= '0' && *q <= '9'; q++) {
      if (st->index > (SIZE_MAX - 9) / 10) return pfail(p, EVREC_E_SCHEMA, "index too large");
      st->index = st->index * 10 + (size_t)(*q - '0');
    }
  } else {
    bool id = strncmp(q, "id=", 3) == 0;
    st->kind = id ? STEP_ID : STEP_KEY;
    q += id ? 3 : 0;
    if (*q == '"') {
      lex x = {q, strlen(q), 0, p->arena, NULL};
      int rc = lex_string(&x, &st->s);
      if (rc == EVREC_E_NOMEM) return evrec__err(p->err, rc, "out of memory");
      if (rc) return pfail(p, EVREC_E_SCHEMA, "bad string in the path");
      q += x.i;
    } else if (id) {
      size_t n = strcspn(q, "]");
      st->s = evrec__arena_strndup(p->arena, q, n);
      if (!st->s) return evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
      q += n;
    } else {
      return pfail(p, EVREC_E_SCHEMA, "bad selector in the path");
    }
  }
  if (*q != ']') return pfail(p, EVREC_E_SCHEMA, "expected ']' in the path");
  *used = (size_t)(q + 1 - s);
  return EVREC_OK;
}

/* Splits a path into steps (in the arena). */
static int parse_path(pstate *p, const char *path, step **out, size_t *n) {
  size_t cap = 1;
  for (const char *c = path; *c; c++) cap += *c == '.' || *c == '[';
  step *v = evrec__arena_alloc(p->arena, cap * sizeof *v);
  if (!v) return evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
  size_t k = 0;
  const char *s = path;
  if (*s == '/') return pfail(p, EVREC_E_SCHEMA, "a JSON pointer: evrec patch reads the delta of --format json");
  while (*s) {
    size_t len = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    if (!len || k == cap) return pfail(p, EVREC_E_SCHEMA, "expected a field name in the path");
    v[k++] = (step){STEP_FIELD, s, len, 0};
    s += len;
    while (*s == '[' && k < cap) {
      size_t used = 0;
      int rc = parse_selector(p, s + 1, &used, &v[k]);
      if (rc) return rc;
      k++;
      s += 1 + used;
    }
    if (*s == '.') s++;
    else if (*s) return pfail(p, EVREC_E_SCHEMA, "unexpected '%c' in the path", *s);
  }
  if (!k) return pfail(p, EVREC_E_SCHEMA, "empty path");
  *out = v;
  *n = k;
  return EVREC_OK;
}

/* ====================================================================== */
/* Pending list changes                                                   */
/* ====================================================================== */

/* The changes to one list or map, made at the end. */
typedef struct insert {
  size_t at;      /* B index, or SIZE_MAX = append */
  size_t seq;     /* op order, for a stable sort */
  const void *slot; /* element value (a slot of the field's type) */
  const evrec_difference *op; /* for errors */
} insert;

/* An element's id or a map entry's key as text, sorted for lookups. */
typedef struct kent {
  const char *text;
  size_t i;
} kent;

typedef struct pending {
  ProtobufCMessage *m;
  const ProtobufCFieldDescriptor *f;
  unsigned char *removed; /* one flag per original element */
  insert *ins;
  size_t nins, capins;
  kent *keys; /* entities by id, map entries by key; built on first use */
  bool touched; /* an element removed or added: rebuild at the end */
} pending;

static size_t tab_home(const pstate *p, const ProtobufCMessage *m,
                       const ProtobufCFieldDescriptor *f) {
  uint64_t x = (uint64_t)(uintptr_t)m * UINT64_C(0x9E3779B97F4A7C15) ^ (uint64_t)(uintptr_t)f;
  return (size_t)(x ^ (x >> 29)) & (p->cap_tab - 1);
}

/* Doubles the table and places every list again. */
static bool tab_grow(pstate *p) {
  size_t cap = p->cap_tab ? p->cap_tab * 2 : 64;
  size_t *t = calloc(cap, sizeof *t);
  if (!t) return false;
  free(p->tab);
  p->tab = t;
  p->cap_tab = cap;
  for (size_t k = 0; k < p->npend; k++) {
    size_t h = tab_home(p, p->pend[k].m, p->pend[k].f);
    while (t[h]) h = (h + 1) & (cap - 1);
    t[h] = k + 1;
  }
  return true;
}

static pending *pending_new(pstate *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  if (p->npend == p->cap_pend) {
    size_t cap = p->cap_pend ? p->cap_pend * 2 : 8;
    pending *v = realloc(p->pend, cap * sizeof *v);
    if (!v) return NULL;
    p->pend = v;
    p->cap_pend = cap;
  }
  size_t n = *(size_t *)evrec__quant_ptr(m, f);
  pending *q = &p->pend[p->npend];
  memset(q, 0, sizeof *q);
  q->m = m;
  q->f = f;
  q->removed = evrec__arena_alloc(p->arena, n + 1);
  if (!q->removed) return NULL;
  memset(q->removed, 0, n + 1);
  p->npend++;
  return q;
}

/* The state of list f of m, created on first use (hashed: a delta may
 * touch many lists of one record). NULL when out of memory. */
static pending *pending_of(pstate *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  if (2 * (p->npend + 1) > p->cap_tab && !tab_grow(p)) return NULL;
  size_t h = tab_home(p, m, f);
  for (; p->tab[h]; h = (h + 1) & (p->cap_tab - 1)) {
    pending *q = &p->pend[p->tab[h] - 1];
    if (q->m == m && q->f == f) return q;
  }
  if (!pending_new(p, m, f)) return NULL;
  p->tab[h] = p->npend;
  return &p->pend[p->npend - 1];
}

static int pending_insert(pstate *p, pending *q, size_t at, const void *slot) {
  if (q->nins == q->capins) {
    size_t cap = q->capins ? q->capins * 2 : 4;
    insert *v = evrec__arena_alloc(p->arena, cap * sizeof *v);
    if (!v) return evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
    if (q->nins) memcpy(v, q->ins, q->nins * sizeof *v);
    q->ins = v;
    q->capins = cap;
  }
  q->ins[q->nins] = (insert){at, q->nins, slot, p->op};
  q->nins++;
  q->touched = true;
  return EVREC_OK;
}

static int insert_cmp(const void *x, const void *y) {
  const insert *a = x, *b = y;
  if (a->at != b->at) return a->at < b->at ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Rebuilds one list: kept elements, then insertions in ascending index. */
static int pending_apply(pstate *p, pending *q) {
  if (!q->touched) return EVREC_OK; /* only looked up */
  size_t n = *(size_t *)evrec__quant_ptr(q->m, q->f), size = evrec__sizeof_type(q->f->type);
  const char *old = *(char **)evrec__field_ptr(q->m, q->f);
  char *v = evrec__arena_alloc(p->arena, (n + q->nins + 1) * size);
  if (!v) return evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!q->removed[i]) memcpy(v + k++ * size, old + i * size, size);
  if (q->nins) qsort(q->ins, q->nins, sizeof *q->ins, insert_cmp);
  for (size_t t = 0; t < q->nins; t++) {
    size_t at = q->ins[t].at == SIZE_MAX ? k : q->ins[t].at;
    if (at > k) {
      p->op = q->ins[t].op;
      return pfail(p, EVREC_E_NOT_FOUND, "index %zu is past the end of the list (%zu elements)",
                   at, k);
    }
    memmove(v + (at + 1) * size, v + at * size, (k - at) * size);
    memcpy(v + at * size, q->ins[t].slot, size);
    k++;
  }
  *(size_t *)evrec__quant_ptr(q->m, q->f) = k;
  *(char **)evrec__field_ptr(q->m, q->f) = v;
  return EVREC_OK;
}

/* ====================================================================== */
/* Values                                                                 */
/* ====================================================================== */

/* Element i of a repeated message field, or NULL. */
static ProtobufCMessage *elem_msg(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                                  size_t i) {
  return (*(ProtobufCMessage ***)evrec__field_ptr(m, f))[i];
}

/* Where an op lands. */
typedef struct target {
  ProtobufCMessage *m;              /* the message holding the field */
  const ProtobufCFieldDescriptor *f;
  step_kind kind;                   /* FIELD: f itself; INDEX/ID: an element; KEY: an entry */
  size_t index;                     /* element, or NONE when absent (ID/KEY) */
  const char *key;                  /* ID or KEY text */
  size_t b_index;                   /* INDEX of an addition: B's index */
} target;

#define NONE SIZE_MAX

/* Decodes VALUE as target t's field: a message of the parent's type
 * holding just that field (one element or entry for selectors). */
static int decode_value(pstate *p, const target *t, const char *json, size_t len,
                        ProtobufCMessage **out) {
  evrec__buf *b = &p->tmp;
  b->len = 0;
  evrec__buf_puts(b, "{\"");
  if (evrec__buf_reserve(b, strlen(t->f->name) + 1))
    b->len += evrec__json_name(t->f->name, b->data + b->len);
  evrec__buf_puts(b, "\":");
  if (t->kind == STEP_KEY) {
    evrec__buf_putc(b, '{');
    evrec__diff_put_json_string(b, t->key, strlen(t->key));
    evrec__buf_putc(b, ':');
  } else if (t->kind != STEP_FIELD) {
    evrec__buf_putc(b, '[');
  }
  evrec__buf_append(b, json, len);
  evrec__buf_puts(b, t->kind == STEP_KEY ? "}}" : t->kind != STEP_FIELD ? "]}" : "}");
  if (b->oom) return evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
  evrec_error e;
  int rc = evrec_json_decode(out, t->m->descriptor, b->data, b->len, p->arena, NULL, &e);
  if (rc == EVREC_E_NOMEM) return evrec__err(p->err, rc, "out of memory");
  if (rc) return pfail(p, EVREC_E_SCHEMA, "the value does not fit the field: %s", e.message);
  if (t->kind != STEP_FIELD && *(size_t *)evrec__quant_ptr(*out, t->f) != 1)
    return pfail(p, EVREC_E_SCHEMA, "the value is not one element");
  return EVREC_OK;
}

/* The target's current value alone, in a message of the parent's type
 * (as decode_value() builds the op's values). */
static int current_value(pstate *p, const target *t, ProtobufCMessage **out) {
  ProtobufCMessage *c = evrec__new_instance(p->arena, t->m->descriptor);
  if (!c) return evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
  evrec__copy_field(c, t->m, t->f);
  if (t->kind != STEP_FIELD) {
    const char *arr = *(char **)evrec__field_ptr(t->m, t->f);
    *(size_t *)evrec__quant_ptr(c, t->f) = 1;
    *(const char **)evrec__field_ptr(c, t->f) = arr + t->index * evrec__sizeof_type(t->f->type);
  }
  *out = c;
  return EVREC_OK;
}

/* The current value as JSON for a message (shortened). */
static void show_current(pstate *p, const target *t, evrec__buf *out) {
  evrec_error e;
  size_t start = out->len;
  const ProtobufCMessage *entry = t->kind == STEP_KEY ? elem_msg(t->m, t->f, t->index) : NULL;
  evrec__buf v;
  evrec__buf_init(&v);
  if (evrec__value_json(&v, t->m, t->f, t->kind == STEP_INDEX || t->kind == STEP_ID ? t->index : NONE,
                        entry, p->arena, &e) == EVREC_OK)
    put_short(out, v.data ? v.data : "", v.len);
  else
    out->len = start;
  evrec__buf_free(&v);
}

/* The old value must be what the record holds. */
static int check_old(pstate *p, const target *t) {
  ProtobufCMessage *have = NULL, *want = NULL;
  int rc = current_value(p, t, &have);
  if (rc == EVREC_OK) rc = decode_value(p, t, p->op->old_value, p->op->old_len, &want);
  bool same = false;
  if (rc == EVREC_OK) rc = evrec__messages_equal(have, want, &same, p->err);
  if (rc || same) return rc;
  evrec__buf msg;
  evrec__buf_init(&msg);
  show_current(p, t, &msg);
  evrec__buf_puts(&msg, ", not ");
  put_short(&msg, p->op->old_value, p->op->old_len);
  const char *text = evrec__buf_cstr(&msg);
  rc = pfail(p, EVREC_E_CONFLICT, "the record has %s", text ? text : "?");
  evrec__buf_free(&msg);
  return rc;
}

/* ====================================================================== */
/* Resolving a path                                                       */
/* ====================================================================== */

/* A map key as text: the string, the number, true or false. */
static const char *key_text(pstate *p, const ProtobufCMessage *entry,
                            const ProtobufCFieldDescriptor *kf) {
  const void *k = evrec__field_ptr(entry, kf);
  char buf[32];
  switch (kf->type) {
  case PROTOBUF_C_TYPE_STRING: return *(char *const *)k ? *(char *const *)k : "";
  case PROTOBUF_C_TYPE_BOOL: return *(const protobuf_c_boolean *)k ? "true" : "false";
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32: snprintf(buf, sizeof buf, "%ld", (long)*(const int32_t *)k); break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
    snprintf(buf, sizeof buf, "%lu", (unsigned long)*(const uint32_t *)k);
    break;
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)*(const uint64_t *)k);
    break;
  default: snprintf(buf, sizeof buf, "%lld", (long long)*(const int64_t *)k); break;
  }
  return evrec__arena_strndup(p->arena, buf, strlen(buf));
}

static int kent_cmp(const void *x, const void *y) {
  const kent *a = x, *b = y;
  int c = strcmp(a->text, b->text);
  return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

/* The sorted ids (entities) or keys (map) of list q, built once. */
static int list_keys(pstate *p, pending *q) {
  if (q->keys) return EVREC_OK;
  size_t n = *(size_t *)evrec__quant_ptr(q->m, q->f);
  bool map = evrec__field_is_map(q->f);
  q->keys = evrec__arena_alloc(p->arena, (n + 1) * sizeof *q->keys);
  if (!q->keys) return evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) {
    const ProtobufCMessage *e = elem_msg(q->m, q->f, i);
    q->keys[i].i = i;
    q->keys[i].text = !e ? "" : map ? key_text(p, e, evrec__map_key(q->f->descriptor))
                                    : evrec__record_id(e);
    if (!q->keys[i].text) return evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
  }
  if (n) qsort(q->keys, n, sizeof *q->keys, kent_cmp);
  return EVREC_OK;
}

/* The first index in q->keys whose text is `text`, or the element count. */
static size_t keys_find(const pending *q, const char *text) {
  size_t lo = 0, hi = *(size_t *)evrec__quant_ptr(q->m, q->f);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(q->keys[mid].text, text) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* The element whose id or key is `text`: NONE when none. Entities: two
 * with the id are an error. Maps: the last entry with the key (the last
 * wins, as in the binary parsers). */
static int find_elem(pstate *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                     const char *text, size_t *out) {
  bool map = evrec__field_is_map(f);
  *out = NONE;
  if (!map && !evrec__is_entity_list(f))
    return pfail(p, EVREC_E_SCHEMA, "%s holds no entities", f->name);
  pending *q = pending_of(p, m, f);
  int rc = q ? list_keys(p, q) : evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
  if (rc) return rc;
  size_t n = *(size_t *)evrec__quant_ptr(m, f);
  for (size_t k = keys_find(q, text); k < n && !strcmp(q->keys[k].text, text); k++) {
    if (*out != NONE && !map) return pfail(p, EVREC_E_CONFLICT, "two entities have the id");
    *out = q->keys[k].i;
  }
  return EVREC_OK;
}

/* Applies selector st to repeated field f of m into t. */
static int select_elem(pstate *p, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                       const step *st, target *t) {
  size_t n = *(size_t *)evrec__quant_ptr(m, f);
  bool map = evrec__field_is_map(f);
  *t = (target){m, f, st->kind, NONE, st->s, NONE};
  if (f->label != PROTOBUF_C_LABEL_REPEATED || map != (st->kind == STEP_KEY))
    return pfail(p, EVREC_E_SCHEMA, "%s is not a %s", f->name,
                 st->kind == STEP_KEY ? "map" : "list");
  if (st->kind == STEP_INDEX) {
    t->b_index = st->index;
    t->index = st->index < n ? st->index : NONE;
    return EVREC_OK;
  }
  return find_elem(p, m, f, st->s, &t->index);
}

/* The message an inner step leads to (it must exist). */
static int descend(pstate *p, const target *t, ProtobufCMessage **next) {
  const ProtobufCFieldDescriptor *f = t->f;
  ProtobufCMessage *m = NULL;
  if (f->type != PROTOBUF_C_TYPE_MESSAGE)
    return pfail(p, EVREC_E_SCHEMA, "%s is not a message", f->name);
  if (t->kind == STEP_FIELD && f->label != PROTOBUF_C_LABEL_REPEATED) {
    if (evrec__field_set(t->m, f)) m = *(ProtobufCMessage **)evrec__field_ptr(t->m, f);
  } else if (t->kind == STEP_KEY && t->index != NONE) {
    const ProtobufCFieldDescriptor *vf = evrec__map_value(f->descriptor);
    ProtobufCMessage *e = elem_msg(t->m, f, t->index);
    if (vf->type != PROTOBUF_C_TYPE_MESSAGE) return pfail(p, EVREC_E_SCHEMA, "%s values are not messages", f->name);
    m = *(ProtobufCMessage **)evrec__field_ptr(e, vf);
  } else if (t->kind != STEP_FIELD && t->kind != STEP_KEY && t->index != NONE) {
    m = elem_msg(t->m, f, t->index);
  }
  if (!m) return pfail(p, EVREC_E_NOT_FOUND, "the record has no %s there", f->name);
  *next = m;
  return EVREC_OK;
}

/* Walks the steps from the record down to the op's target. */
static int resolve(pstate *p, ProtobufCMessage *root, const step *v, size_t n, target *t) {
  ProtobufCMessage *m = root;
  for (size_t s = 0; s < n; s++) {
    if (v[s].kind != STEP_FIELD) return pfail(p, EVREC_E_SCHEMA, "a selector without a field");
    const ProtobufCFieldDescriptor *f = evrec__field_by_key(m->descriptor, v[s].s, v[s].n);
    if (!f)
      return pfail(p, EVREC_E_SCHEMA, "%s has no field \"%.*s\"", m->descriptor->name,
                   (int)(v[s].n > 64 ? 64 : v[s].n), v[s].s);
    int rc = EVREC_OK;
    *t = (target){m, f, STEP_FIELD, NONE, NULL, NONE};
    if (s + 1 < n && v[s + 1].kind != STEP_FIELD) rc = select_elem(p, m, f, &v[++s], t);
    if (rc == EVREC_OK && s + 1 < n) rc = descend(p, t, &m);
    if (rc) return rc;
  }
  return EVREC_OK;
}

/* ====================================================================== */
/* Ops                                                                    */
/* ====================================================================== */

static int op_field(pstate *p, const target *t) {
  const evrec_difference *d = p->op;
  bool set = evrec__field_set(t->m, t->f);
  if (d->op == EVREC_DIFF_ADD && set) return pfail(p, EVREC_E_CONFLICT, "the record has a value there");
  if (d->op != EVREC_DIFF_ADD && !set) return pfail(p, EVREC_E_NOT_FOUND, "the record has no value there");
  int rc = d->op == EVREC_DIFF_ADD ? EVREC_OK : check_old(p, t);
  ProtobufCMessage *src = NULL;
  if (rc == EVREC_OK && d->op == EVREC_DIFF_REMOVE) {
    src = evrec__new_instance(p->arena, t->m->descriptor); /* the defaults */
    if (!src) rc = evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
  } else if (rc == EVREC_OK) {
    rc = decode_value(p, t, d->new_value, d->new_len, &src);
  }
  if (rc == EVREC_OK) evrec__copy_field(t->m, src, t->f);
  return rc;
}

/* The slot of element 0 of the field in a decoded value. */
static const void *first_slot(const ProtobufCMessage *v, const ProtobufCFieldDescriptor *f) {
  return *(char *const *)evrec__field_ptr(v, f);
}

static int op_elem(pstate *p, const target *t) {
  const evrec_difference *d = p->op;
  bool add = d->op == EVREC_DIFF_ADD;
  if (!add && t->index == NONE) return pfail(p, EVREC_E_NOT_FOUND, "the record has no such element");
  if (add && t->kind != STEP_INDEX && t->index != NONE)
    return pfail(p, EVREC_E_CONFLICT, "the record has one already");
  int rc = add ? EVREC_OK : check_old(p, t);
  ProtobufCMessage *v = NULL;
  if (rc == EVREC_OK && d->op != EVREC_DIFF_REMOVE) rc = decode_value(p, t, d->new_value, d->new_len, &v);
  if (rc) return rc;
  if (t->kind == STEP_ID && v && strcmp(evrec__record_id(*(ProtobufCMessage *const *)first_slot(v, t->f)), t->key) != 0)
    return pfail(p, EVREC_E_SCHEMA, "the new entity's id is not \"%.60s\"", t->key);
  size_t size = evrec__sizeof_type(t->f->type);
  if (d->op == EVREC_DIFF_REPLACE) {
    char *arr = *(char **)evrec__field_ptr(t->m, t->f);
    memcpy(arr + t->index * size, first_slot(v, t->f), size);
    return EVREC_OK;
  }
  pending *q = pending_of(p, t->m, t->f);
  if (!q) return evrec__err(p->err, EVREC_E_NOMEM, "out of memory");
  if (!add && t->kind == STEP_KEY) { /* binary input may repeat a key: drop them all */
    size_t n = *(size_t *)evrec__quant_ptr(t->m, t->f);
    for (size_t k = keys_find(q, t->key); k < n && !strcmp(q->keys[k].text, t->key); k++)
      q->removed[q->keys[k].i] = 1;
    q->touched = true;
    return EVREC_OK;
  }
  if (!add) {
    q->removed[t->index] = 1;
    q->touched = true;
    return EVREC_OK;
  }
  return pending_insert(p, q, t->kind == STEP_INDEX ? t->b_index : SIZE_MAX, first_slot(v, t->f));
}

static int apply_op(pstate *p, ProtobufCMessage *root) {
  step *v = NULL;
  size_t n = 0;
  target t;
  if (!p->op->path || !*p->op->path)
    return evrec__err(p->err, EVREC_E_INVALID_ARG, "record_patch: an op on the whole record");
  int rc = parse_path(p, p->op->path, &v, &n);
  if (rc == EVREC_OK) rc = resolve(p, root, v, n, &t);
  if (rc) return rc;
  if (t.kind == STEP_FIELD) return op_field(p, &t);
  return op_elem(p, &t);
}

/* A deep copy of msg in the arena: packed and decoded again. */
static int copy_record(const ProtobufCMessage *msg, evrec_arena *arena, ProtobufCMessage **out,
                       evrec_error *err) {
  evrec__buf b;
  evrec__buf_init(&b);
  int rc = evrec__pack(&b, msg) == SIZE_MAX ? evrec__err(err, EVREC_E_NOMEM, "out of memory")
                                              : EVREC_OK;
  if (rc == EVREC_OK)
    rc = evrec_pb_decode(out, msg->descriptor, b.data ? b.data : "", b.len, arena, err);
  evrec__buf_free(&b);
  return rc;
}

int evrec_record_patch(ProtobufCMessage **out, const ProtobufCMessage *msg,
                       const evrec_difference *ops, size_t n_ops, evrec_arena *arena,
                       evrec_error *err) {
  if (out) *out = NULL;
  if (!out || !msg || !msg->descriptor || (!ops && n_ops) || !arena)
    return evrec__err(err, EVREC_E_INVALID_ARG, "record_patch: bad argument");
  ProtobufCMessage *copy;
  int rc = copy_record(msg, arena, &copy, err);
  if (rc) return rc;
  pstate p;
  memset(&p, 0, sizeof p);
  p.arena = arena;
  p.err = err;
  evrec__buf_init(&p.tmp);
  for (size_t i = 0; rc == EVREC_OK && i < n_ops; i++) {
    p.op = &ops[i];
    rc = apply_op(&p, copy);
  }
  for (size_t i = 0; rc == EVREC_OK && i < p.npend; i++) rc = pending_apply(&p, &p.pend[i]);
  free(p.pend);
  free(p.tab);
  evrec__buf_free(&p.tmp);
  if (rc == EVREC_OK) *out = copy;
  return rc;
}
