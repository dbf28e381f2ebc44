/*
 * diff.c -- the differences between two messages of one type
 * (evrec_record_diff), generic over descriptors like the JSON codec, with
 * entities matched by their local id.
 *
 * The walk goes down both messages at once, field by field in number order,
 * and reports a difference where a value is only in A (remove), only in B
 * (add) or in both but different (replace). What "a value" is follows the
 * canonical JSON, so that every reported value is what the JSON of A or B
 * holds at that path:
 *
 *   scalars        present when not at the default (proto3) or when set
 *                  (oneof members, proto2 optionals), as the encoder prints
 *                  them; compared by value (floats: within the tolerance;
 *                  NaN equals NaN; -0.0 equals 0.0)
 *   messages       recursed into; a well-known type (Timestamp, wrappers,
 *                  Struct, ...) is one value, replaced as a whole
 *   oneofs         same member: compared; else remove one, add the other
 *   maps           by key (a key repeated in binary input: the last entry,
 *                  as the encoder and the binary parsers do)
 *   entity lists   repeated messages with a string field "id": matched by
 *                  id, order ignored (evrec.v1: actors, places, events,
 *                  claims); an empty or repeated id -> an ordered list
 *   other lists    ordered: a longest common subsequence (after trimming
 *                  the common ends; LCS_MAX_CELLS bounds the table, beyond
 *                  which elements pair by position); between two kept
 *                  elements, removed and added elements pair up first
 *                  (message pairs are recursed into), the rest are removed
 *                  or added. EVREC_DIFF_IGNORE_ORDER: a multiset.
 *
 * Paths: three are kept as the walk goes down, each a string stack in an
 * evrec__buf (push appends, `unwind` truncates back to a mark): the
 * entity-keyed path (events[id=e2].participants[0].role), the field path
 * (events.participants.role) and, for EVREC_DIFF_JSON_PATCH, the JSON
 * pointer (/events/1/participants/0/role). Ignore globs are matched against
 * the first two at every step, so a pattern that matches a path ignores
 * everything below it.
 *
 * JSON pointers follow RFC 6902's sequential semantics: a running index `k`
 * counts the elements of the list as the ops so far have left it (a removal
 * does not advance it, an addition and a kept or paired element do), and
 * additions of entities and multiset elements append ("/-").
 *
 * Equality tests (elements in the LCS table, well-known types, map values)
 * run the same walk in "probe" mode: the first difference unwinds with
 * DW_FOUND instead of being reported, and no JSON pointer is built (no path
 * at all when there are no ignore globs).
 *
 * Values are printed by the JSON encoder itself, so they are exactly the
 * canonical JSON: a field alone is printed as a message of the parent's type
 * holding only that field ({"name":VALUE}), an element as that field with
 * one element, a map value as the map with one entry, and the wrapper is cut
 * off. Those temporary messages live in a scratch arena reset per record.
 *
 * Memory: the path and value buffers grow to the largest seen and are
 * reused; the LCS table is malloc'ed per list and freed. Recursion depth is
 * bounded by DW_MAX_DEPTH messages (readers already refuse records nested
 * more than 100 levels).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

#define DW_MAX_DEPTH 1000
/* Cells of the LCS table of one list (4 bytes each, 1 MiB): lists up to
 * 512 x 512 changed elements get the best alignment; longer ones pair
 * their elements by position. */
#define LCS_MAX_CELLS (1u << 18)
/* Internal status of a probe: a difference exists. */
#define DW_FOUND 3
#define NONE SIZE_MAX

struct evrec__dw {
  unsigned flags;
  bool pointer; /* EVREC_DIFF_JSON_PATCH */
  double tol;
  char **ignore;
  size_t n_ignore;
  evrec_diff_cb cb;
  void *payload;
  evrec_error *err;

  /* The record being compared. */
  const char *id;
  uint64_t a_record, b_record;
  size_t emitted;

  evrec__buf kp, fp, pp;    /* keyed path, field path, JSON pointer */
  evrec__buf oldv, newv;    /* values of the difference being reported */
  evrec__buf tmp;           /* encoder output before the wrapper is cut */
  evrec__buf ename;         /* JSON name of the entity list we are in */
  evrec_arena *scratch;     /* temporary messages; reset per record */
  const char *entity_id;    /* the entity we are in, or NULL */
  unsigned probe, depth;
};

typedef struct pmark {
  size_t k, f, p;
} pmark;

/* One side of a repeated field. */
typedef struct lst {
  const ProtobufCFieldDescriptor *f;
  const ProtobufCMessage *a, *b; /* the parents */
  const char *arr_a, *arr_b;
  size_t na, nb, size;
  bool entity; /* an entity list compared as an ordered list or multiset */
} lst;

/* A value to print as JSON: a field of m, one element of it, one map entry
 * of it, or m itself (f NULL). */
typedef struct vref {
  const ProtobufCMessage *m;
  const ProtobufCFieldDescriptor *f;
  size_t index;                  /* element, or NONE */
  const ProtobufCMessage *entry; /* map entry, or NULL */
} vref;

static int dw_message(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b);

/* ====================================================================== */
/* Descriptor facts                                                       */
/* ====================================================================== */

const ProtobufCFieldDescriptor *evrec__id_field(const ProtobufCMessageDescriptor *d) {
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, "id");
  if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
    return NULL;
  return f;
}

const char *evrec__record_id(const ProtobufCMessage *m) {
  const ProtobufCFieldDescriptor *f = m ? evrec__id_field(m->descriptor) : NULL;
  if (!f) return "";
  if (evrec__is_oneof(f) && *(const uint32_t *)evrec__quant_ptr(m, f) != f->id) return "";
  const char *s = *(char *const *)evrec__field_ptr(m, f);
  return s ? s : "";
}

bool evrec__is_entity_list(const ProtobufCFieldDescriptor *f) {
  return f->label == PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE &&
         !evrec__field_is_map(f) && evrec__id_field(f->descriptor) != NULL;
}

static const char *nz(const char *s) { return s ? s : ""; }

/* Is a singular (non-oneof) field set? As the JSON encoder decides. */
static bool field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  const void *p = evrec__field_ptr(m, f);
  if (f->label == PROTOBUF_C_LABEL_REQUIRED) return true;
  if (f->type == PROTOBUF_C_TYPE_MESSAGE) return *(const void *const *)p != NULL;
  if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
    if (f->type == PROTOBUF_C_TYPE_STRING) return *(const char *const *)p != NULL;
    return *(const protobuf_c_boolean *)evrec__quant_ptr(m, f) != 0;
  }
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING: return *nz(*(const char *const *)p) != '\0';
  case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)p)->len != 0;
  case PROTOBUF_C_TYPE_FLOAT: return *(const float *)p != 0;
  case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)p != 0;
  default: break;
  }
  return evrec__sizeof_type(f->type) == 8 ? *(const uint64_t *)p != 0
                                          : *(const uint32_t *)p != 0;
}

/* The member of f's oneof that m has set, as the encoder prints it, or NULL
 * (a string or message member that is NULL or the default is not set). */
static const ProtobufCFieldDescriptor *oneof_member(const ProtobufCMessage *m,
                                                    const ProtobufCFieldDescriptor *f0) {
  uint32_t c = *(const uint32_t *)evrec__quant_ptr(m, f0);
  const ProtobufCFieldDescriptor *f =
      c ? protobuf_c_message_descriptor_get_field(m->descriptor, c) : NULL;
  if (!f || !evrec__is_oneof(f) || f->quantifier_offset != f0->quantifier_offset) return NULL;
  if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) return f;
  const void *p = *(const void *const *)evrec__field_ptr(m, f);
  return p && p != f->default_value ? f : NULL;
}

/* True for the first member of its oneof in descriptor order. */
static bool oneof_first(const ProtobufCMessageDescriptor *d, unsigned i) {
  for (unsigned j = 0; j < i; j++)
    if (evrec__is_oneof(&d->fields[j]) &&
        d->fields[j].quantifier_offset == d->fields[i].quantifier_offset)
      return false;
  return true;
}

static size_t rep_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  return *(const size_t *)evrec__quant_ptr(m, f);
}

static const char *rep_array(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  return *(const char *const *)evrec__field_ptr(m, f);
}

/* ====================================================================== */
/* Scalars                                                                */
/* ====================================================================== */

static bool double_equal(double a, double b, double tol) {
  if (a == b || (isnan(a) && isnan(b))) return true;
  return tol > 0 && fabs(a - b) <= tol;
}

/* Equality of two scalar values of type t (not messages). */
static bool scalar_equal(ProtobufCType t, const void *pa, const void *pb, double tol) {
  switch (t) {
  case PROTOBUF_C_TYPE_FLOAT: return double_equal(*(const float *)pa, *(const float *)pb, tol);
  case PROTOBUF_C_TYPE_DOUBLE: return double_equal(*(const double *)pa, *(const double *)pb, tol);
  case PROTOBUF_C_TYPE_BOOL:
    return !*(const protobuf_c_boolean *)pa == !*(const protobuf_c_boolean *)pb;
  case PROTOBUF_C_TYPE_STRING:
    return strcmp(nz(*(char *const *)pa), nz(*(char *const *)pb)) == 0;
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *x = pa, *y = pb;
    return x->len == y->len && (x->len == 0 || memcmp(x->data, y->data, x->len) == 0);
  }
  case PROTOBUF_C_TYPE_MESSAGE: return false; /* not a scalar */
  default: break;
  }
  return evrec__sizeof_type(t) == 8 ? *(const uint64_t *)pa == *(const uint64_t *)pb
                                    : *(const uint32_t *)pa == *(const uint32_t *)pb;
}

/* ====================================================================== */
/* Paths                                                                  */
/* ====================================================================== */

static pmark mark(const evrec__dw *w) { return (pmark){w->kp.len, w->fp.len, w->pp.len}; }

static void unwind(evrec__dw *w, pmark m) {
  w->kp.len = m.k;
  w->fp.len = m.f;
  w->pp.len = m.p;
}

/* Probes need no path unless globs must see it. */
static bool want_paths(const evrec__dw *w) { return !w->probe || w->n_ignore; }

static void put_json_name(evrec__buf *b, const char *name) {
  if (evrec__buf_reserve(b, strlen(name) + 1)) b->len += evrec__json_name(name, b->data + b->len);
}

void evrec__diff_put_json_string(evrec__buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  evrec__buf_putc(b, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      evrec__buf_putc(b, '\\');
      evrec__buf_putc(b, (char)c);
    } else if (c < 0x20) {
      char e[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
      evrec__buf_append(b, e, 6);
    } else {
      evrec__buf_putc(b, (char)c);
    }
  }
  evrec__buf_putc(b, '"');
}

/* A JSON pointer token: '~' -> "~0", '/' -> "~1" (RFC 6901). */
static void put_pointer_token(evrec__buf *b, const char *s, size_t n) {
  evrec__buf_putc(b, '/');
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '~') evrec__buf_puts(b, "~0");
    else if (s[i] == '/') evrec__buf_puts(b, "~1");
    else evrec__buf_putc(b, s[i]);
  }
}

/* '*' any run, '?' one byte, '\\' quotes the next; the whole of s. */
static bool glob_match(const char *p, const char *s) {
  const char *star = NULL, *resume = NULL;
  while (*s) {
    bool lit = *p == '\\' && p[1];
    if (!lit && *p == '*') {
      star = ++p;
      resume = s;
      continue;
    }
    if (*p && (lit ? p[1] == *s : *p == '?' || *p == *s)) {
      p += lit ? 2 : 1;
      s++;
      continue;
    }
    if (!star) return false;
    p = star;
    s = ++resume;
  }
  while (*p == '*') p++;
  return *p == '\0';
}

/* True when an ignore glob matches the current keyed or field path. */
static bool ignored(evrec__dw *w) {
  if (!w->n_ignore) return false;
  const char *k = evrec__buf_cstr(&w->kp), *f = evrec__buf_cstr(&w->fp);
  if (!k || !f) return false; /* out of memory: reported when emitting */
  for (size_t i = 0; i < w->n_ignore; i++)
    if (glob_match(w->ignore[i], k) || glob_match(w->ignore[i], f)) return true;
  return false;
}

/* Steps into field f. @return true when the new path is ignored. */
static bool push_field(evrec__dw *w, const ProtobufCFieldDescriptor *f) {
  if (!want_paths(w)) return false;
  if (w->kp.len) evrec__buf_putc(&w->kp, '.');
  put_json_name(&w->kp, f->name);
  if (w->fp.len) evrec__buf_putc(&w->fp, '.');
  put_json_name(&w->fp, f->name);
  if (w->pointer && !w->probe) {
    evrec__buf_putc(&w->pp, '/');
    put_json_name(&w->pp, f->name);
  }
  return ignored(w);
}

/* "[i]" (keyed path) or "/i" (pointer; NONE = "/-", the end). */
static void put_index(evrec__buf *b, bool pointer, size_t i) {
  char t[32];
  int n = !pointer ? snprintf(t, sizeof t, "[%zu]", i)
          : i == NONE ? snprintf(t, sizeof t, "/-") : snprintf(t, sizeof t, "/%zu", i);
  evrec__buf_append(b, t, (size_t)n);
}

/* Steps into element `kidx` (keyed path) at running index `pidx` (JSON
 * pointer; NONE = "-", the end). */
static bool push_index(evrec__dw *w, size_t kidx, size_t pidx) {
  if (!want_paths(w)) return false;
  put_index(&w->kp, false, kidx);
  if (w->pointer && !w->probe) put_index(&w->pp, true, pidx);
  return ignored(w);
}

/* An id that needs no quotes in a path: letters, digits, "_-:/@+~". */
static bool plain_id(const char *s) {
  if (!*s) return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          strchr("_-:/@+~", *s)))
      return false;
  return true;
}

static bool push_entity(evrec__dw *w, const char *id, size_t pidx) {
  if (!want_paths(w)) return false;
  evrec__buf_puts(&w->kp, "[id=");
  if (plain_id(id)) evrec__buf_puts(&w->kp, id);
  else evrec__diff_put_json_string(&w->kp, id, strlen(id));
  evrec__buf_putc(&w->kp, ']');
  if (w->pointer && !w->probe) put_index(&w->pp, true, pidx);
  return ignored(w);
}

/* Map keys: ["text"] in the keyed path, /text in the pointer. */
static bool push_key(evrec__dw *w, const char *text, size_t n) {
  if (!want_paths(w)) return false;
  evrec__buf_putc(&w->kp, '[');
  evrec__diff_put_json_string(&w->kp, text, n);
  evrec__buf_putc(&w->kp, ']');
  if (w->pointer && !w->probe) put_pointer_token(&w->pp, text, n);
  return ignored(w);
}

/* Entering an element of an entity list: the first one on the way down
 * names the entity of every difference below. */
typedef struct ectx {
  size_t ename_len;
  const char *id;
} ectx;

static ectx enter_entity(evrec__dw *w, const ProtobufCFieldDescriptor *f,
                         const ProtobufCMessage *elem) {
  ectx saved = {w->ename.len, w->entity_id};
  if (!w->entity_id && !w->probe) { /* probes report nothing */
    w->ename.len = 0;
    put_json_name(&w->ename, f->name);
    evrec__buf_cstr(&w->ename);
    w->entity_id = evrec__record_id(elem);
  }
  return saved;
}

static void leave_entity(evrec__dw *w, ectx saved) {
  w->ename.len = saved.ename_len;
  w->entity_id = saved.id;
}

/* ====================================================================== */
/* Values as canonical JSON                                               */
/* ====================================================================== */

/* An instance of d with its defaults, in the arena. */
static ProtobufCMessage *new_instance(evrec_arena *a, const ProtobufCMessageDescriptor *d) {
  ProtobufCMessage *t = evrec__arena_alloc(a, d->sizeof_message);
  if (t) d->message_init(t);
  return t;
}

/* Copies field f (value slot and quantifier) from m into t; a oneof
 * member that m does not have set leaves t with none. */
static void copy_field(ProtobufCMessage *t, const ProtobufCMessage *m,
                       const ProtobufCFieldDescriptor *f) {
  bool rep = f->label == PROTOBUF_C_LABEL_REPEATED;
  if (evrec__is_oneof(f) && *(const uint32_t *)evrec__quant_ptr(m, f) != f->id) {
    *(uint32_t *)evrec__quant_ptr(t, f) = 0;
    return;
  }
  memcpy((char *)t + f->offset, (const char *)m + f->offset,
         rep ? sizeof(void *) : evrec__sizeof_type(f->type));
  if (rep)
    *(size_t *)evrec__quant_ptr(t, f) = rep_count(m, f);
  else if (evrec__is_oneof(f))
    *(uint32_t *)evrec__quant_ptr(t, f) = *(const uint32_t *)evrec__quant_ptr(m, f);
  else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset)
    *(protobuf_c_boolean *)evrec__quant_ptr(t, f) =
        *(const protobuf_c_boolean *)evrec__quant_ptr(m, f);
}

/* Skips a JSON string token at s[i] (which is '"'); @return the index after it. */
static size_t skip_json_string(const char *s, size_t n, size_t i) {
  for (i++; i < n && s[i] != '"'; i++)
    if (s[i] == '\\') i++;
  return i + 1;
}

/* Cuts VALUE out of the encoder's {"name":VALUE} (and [X] or {"k":X} when
 * an element or an entry was printed), appending it to out. */
static int cut_value(evrec__buf *out, const evrec__buf *tmp, const ProtobufCFieldDescriptor *f,
                     const vref *v, evrec_error *err) {
  size_t jl = 0, n = tmp->len;
  for (const char *c = f->name; *c; c++) jl += *c != '_'; /* evrec__json_name's length */
  size_t start = 2 + jl + 2;
  const char *s = tmp->data;
  if (n < start + 1 || s[0] != '{' || s[1] != '"' || s[2 + jl] != '"' || s[3 + jl] != ':')
    return evrec__err(err, EVREC_E_INVALID_ARG, "field %s has no value to print", f->name);
  size_t end = n - 1; /* the closing '}' */
  if (v->index != NONE) {
    start++, end--; /* [X] */
  } else if (v->entry) {
    start = skip_json_string(s, end, start + 1) + 1; /* {"key":X} */
    end--;
  }
  if (start > end) return evrec__err(err, EVREC_E_INVALID_ARG, "bad value of %s", f->name);
  return evrec__buf_append(out, s + start, end - start) ? EVREC_OK
                                                        : evrec__err(err, EVREC_E_NOMEM, "out of memory");
}

/* Appends the canonical JSON of v to out, using tmp and scratch. */
static int vref_json(evrec__buf *out, evrec__buf *tmp, evrec_arena *scratch, const vref *v,
                     evrec_error *err) {
  if (!v->f) return evrec__json_encode_buf(out, v->m, NULL, NULL, err);
  ProtobufCMessage *t = new_instance(scratch, v->m->descriptor);
  if (!t) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  const ProtobufCFieldDescriptor *f = v->f;
  copy_field(t, v->m, f);
  if (v->index != NONE) {
    *(size_t *)evrec__quant_ptr(t, f) = 1;
    *(const char **)evrec__field_ptr(t, f) =
        rep_array(v->m, f) + v->index * evrec__sizeof_type(f->type);
  } else if (v->entry) {
    const ProtobufCMessage **one = evrec__arena_alloc(scratch, sizeof *one);
    if (!one) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
    *one = v->entry;
    *(size_t *)evrec__quant_ptr(t, f) = 1;
    *(const ProtobufCMessage ***)evrec__field_ptr(t, f) = one;
  }
  tmp->len = 0;
  int rc = evrec__json_encode_buf(tmp, t, NULL, NULL, err);
  return rc ? rc : cut_value(out, tmp, f, v, err);
}

int evrec__value_json(evrec__buf *out, const ProtobufCMessage *m,
                      const ProtobufCFieldDescriptor *f, size_t index,
                      const ProtobufCMessage *entry, evrec_arena *scratch, evrec_error *err) {
  evrec__buf tmp;
  evrec__buf_init(&tmp);
  vref v = {m, f, f ? index : NONE, f ? entry : NULL};
  int rc = vref_json(out, &tmp, scratch, &v, err);
  evrec__buf_free(&tmp);
  return rc;
}

ProtobufCMessage *evrec__new_instance(evrec_arena *a, const ProtobufCMessageDescriptor *d) {
  return new_instance(a, d);
}

void evrec__copy_field(ProtobufCMessage *t, const ProtobufCMessage *m,
                       const ProtobufCFieldDescriptor *f) {
  copy_field(t, m, f);
}

bool evrec__field_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  if (f->label == PROTOBUF_C_LABEL_REPEATED) return rep_count(m, f) != 0;
  if (evrec__is_oneof(f)) return oneof_member(m, f) == f;
  return field_present(m, f);
}

static evrec_arena *scratch(evrec__dw *w) {
  if (!w->scratch) w->scratch = evrec_arena_new(0);
  return w->scratch;
}

/* ====================================================================== */
/* Reporting                                                              */
/* ====================================================================== */

static int emit(evrec__dw *w, evrec_diff_op op, const vref *ov, const vref *nv, bool whole) {
  if (w->probe) return DW_FOUND;
  evrec_error *err = w->err;
  if (!scratch(w)) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  w->oldv.len = w->newv.len = 0;
  int rc = ov ? vref_json(&w->oldv, &w->tmp, w->scratch, ov, err) : EVREC_OK;
  if (rc == EVREC_OK && nv) rc = vref_json(&w->newv, &w->tmp, w->scratch, nv, err);
  if (rc) return rc;
  evrec_difference d;
  memset(&d, 0, sizeof d);
  d.op = op;
  d.id = w->id;
  d.path = evrec__buf_cstr(w->pointer ? &w->pp : &w->kp);
  d.field = evrec__buf_cstr(&w->fp);
  d.old_value = ov ? evrec__buf_cstr(&w->oldv) : NULL;
  d.old_len = ov ? w->oldv.len : 0;
  d.new_value = nv ? evrec__buf_cstr(&w->newv) : NULL;
  d.new_len = nv ? w->newv.len : 0;
  if (!d.path || !d.field || (ov && !d.old_value) || (nv && !d.new_value) || w->ename.oom)
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (w->entity_id) {
    d.entity = w->ename.data;
    d.entity_id = w->entity_id;
    d.entity_whole = whole;
  }
  d.a_record = w->a_record;
  d.b_record = w->b_record;
  w->emitted++;
  return w->cb && w->cb(&d, w->payload) ? EVREC_STOPPED : EVREC_OK;
}

/* ====================================================================== */
/* Messages and singular fields                                           */
/* ====================================================================== */

/* Runs the walk on a and b as a probe. @return 1 equal, 0 not, < 0 error. */
static int probe_equal(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b) {
  pmark m = mark(w);
  w->probe++;
  int rc = dw_message(w, a, b);
  w->probe--;
  unwind(w, m);
  if (rc == DW_FOUND) return 0;
  return rc < 0 ? rc : 1;
}

/* Two present sub-messages: a well-known type is one value. */
static int dw_submessage(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                         const vref *va, const vref *vb) {
  if (evrec__wkt_of(a->descriptor) == EVREC__WKT_NONE) return dw_message(w, a, b);
  int eq = probe_equal(w, a, b);
  if (eq < 0) return eq;
  return eq ? EVREC_OK : emit(w, EVREC_DIFF_REPLACE, va, vb, false);
}

/* A message slot that may be NULL (map values): the default instance then. */
static const ProtobufCMessage *or_default(evrec__dw *w, const ProtobufCMessage *m,
                                          const ProtobufCMessageDescriptor *d) {
  return m ? m : scratch(w) ? new_instance(w->scratch, d) : NULL;
}

/* A field present on both sides (a oneof member). */
static int dw_both_present(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                           const ProtobufCFieldDescriptor *f) {
  vref va = {a, f, NONE, NULL}, vb = {b, f, NONE, NULL};
  const void *pa = evrec__field_ptr(a, f), *pb = evrec__field_ptr(b, f);
  if (f->type == PROTOBUF_C_TYPE_MESSAGE)
    return dw_submessage(w, *(const ProtobufCMessage *const *)pa,
                         *(const ProtobufCMessage *const *)pb, &va, &vb);
  if (scalar_equal(f->type, pa, pb, w->tol)) return EVREC_OK;
  return emit(w, EVREC_DIFF_REPLACE, &va, &vb, false);
}

static int dw_singular(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                       const ProtobufCFieldDescriptor *f) {
  bool ha = field_present(a, f), hb = field_present(b, f);
  vref va = {a, f, NONE, NULL}, vb = {b, f, NONE, NULL};
  if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_OPTIONAL) {
    if (!ha && !hb) return EVREC_OK;
    if (!ha) return emit(w, EVREC_DIFF_ADD, NULL, &vb, false);
    if (!hb) return emit(w, EVREC_DIFF_REMOVE, &va, NULL, false);
    return dw_both_present(w, a, b, f);
  }
  /* proto3 scalars: absent is the default value, which a tolerance may
   * find equal to a present one. */
  if (scalar_equal(f->type, evrec__field_ptr(a, f), evrec__field_ptr(b, f), w->tol) ||
      (!ha && !hb))
    return EVREC_OK;
  evrec_diff_op op = !ha ? EVREC_DIFF_ADD : !hb ? EVREC_DIFF_REMOVE : EVREC_DIFF_REPLACE;
  return emit(w, op, ha ? &va : NULL, hb ? &vb : NULL, false);
}

static int dw_oneof(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                    const ProtobufCFieldDescriptor *f0) {
  const ProtobufCFieldDescriptor *fa = oneof_member(a, f0), *fb = oneof_member(b, f0);
  pmark m = mark(w);
  int rc = EVREC_OK;
  if (fa && fa == fb) {
    if (!push_field(w, fa)) rc = dw_both_present(w, a, b, fa);
    unwind(w, m);
    return rc;
  }
  if (fa && !push_field(w, fa)) rc = emit(w, EVREC_DIFF_REMOVE, &(vref){a, fa, NONE, NULL}, NULL, false);
  unwind(w, m);
  if (rc == EVREC_OK && fb && !push_field(w, fb))
    rc = emit(w, EVREC_DIFF_ADD, NULL, &(vref){b, fb, NONE, NULL}, false);
  unwind(w, m);
  return rc;
}

/* ====================================================================== */
/* Lists                                                                  */
/* ====================================================================== */

static const void *elem_ptr(const lst *L, bool b_side, size_t i) {
  return (b_side ? L->arr_b : L->arr_a) + i * L->size;
}

static const ProtobufCMessage *elem_msg(const lst *L, bool b_side, size_t i) {
  return *(const ProtobufCMessage *const *)elem_ptr(L, b_side, i);
}

/* Equality of A[i] and B[j]. @return 1, 0, or < 0 on error. */
static int elem_equal(evrec__dw *w, const lst *L, size_t i, size_t j) {
  if (L->f->type != PROTOBUF_C_TYPE_MESSAGE)
    return scalar_equal(L->f->type, elem_ptr(L, false, i), elem_ptr(L, true, j), w->tol);
  const ProtobufCMessage *a = or_default(w, elem_msg(L, false, i), L->f->descriptor);
  const ProtobufCMessage *b = or_default(w, elem_msg(L, true, j), L->f->descriptor);
  if (!a || !b) return evrec__err(w->err, EVREC_E_NOMEM, "out of memory");
  pmark m = mark(w);
  int rc = push_index(w, i, i) ? 1 : probe_equal(w, a, b);
  unwind(w, m);
  return rc;
}

/* Steps into element i of one side; sets the entity context when the list
 * holds entities. */
static bool push_elem(evrec__dw *w, const lst *L, bool b_side, size_t i, size_t pidx,
                      ectx *saved) {
  if (L->entity) *saved = enter_entity(w, L->f, elem_msg(L, b_side, i));
  return push_index(w, i, pidx);
}

/* A[i] and B[j] in the same place: recurse into messages, else replace. */
static int dw_pair(evrec__dw *w, const lst *L, size_t i, size_t j, size_t k) {
  ectx saved = {w->ename.len, w->entity_id};
  pmark m = mark(w);
  int rc = EVREC_OK;
  if (!push_elem(w, L, false, i, k, &saved)) {
    vref va = {L->a, L->f, i, NULL}, vb = {L->b, L->f, j, NULL};
    if (L->f->type == PROTOBUF_C_TYPE_MESSAGE) {
      const ProtobufCMessage *a = or_default(w, elem_msg(L, false, i), L->f->descriptor);
      const ProtobufCMessage *b = or_default(w, elem_msg(L, true, j), L->f->descriptor);
      rc = a && b ? dw_submessage(w, a, b, &va, &vb) : evrec__err(w->err, EVREC_E_NOMEM, "out of memory");
    } else if (!scalar_equal(L->f->type, elem_ptr(L, false, i), elem_ptr(L, true, j), w->tol)) {
      rc = emit(w, EVREC_DIFF_REPLACE, &va, &vb, false);
    }
  }
  unwind(w, m);
  leave_entity(w, saved);
  return rc;
}

/* Element i of one side removed (A) or added (B), at pointer index pidx. */
static int dw_lone(evrec__dw *w, const lst *L, bool b_side, size_t i, size_t pidx) {
  ectx saved = {w->ename.len, w->entity_id};
  pmark m = mark(w);
  int rc = EVREC_OK;
  if (!push_elem(w, L, b_side, i, pidx, &saved)) {
    vref v = {b_side ? L->b : L->a, L->f, i, NULL};
    rc = b_side ? emit(w, EVREC_DIFF_ADD, NULL, &v, L->entity)
                : emit(w, EVREC_DIFF_REMOVE, &v, NULL, L->entity);
  }
  unwind(w, m);
  leave_entity(w, saved);
  return rc;
}

/* Between two kept elements: A[a0..a1) and B[b0..b1) pair up by position,
 * the rest are removed or added; *k is the running pointer index. */
static int dw_gap(evrec__dw *w, const lst *L, size_t a0, size_t a1, size_t b0, size_t b1,
                  size_t *k) {
  size_t np = a1 - a0 < b1 - b0 ? a1 - a0 : b1 - b0;
  int rc = EVREC_OK;
  for (size_t t = 0; rc == EVREC_OK && t < np; t++) rc = dw_pair(w, L, a0 + t, b0 + t, (*k)++);
  for (size_t i = a0 + np; rc == EVREC_OK && i < a1; i++) rc = dw_lone(w, L, false, i, *k);
  for (size_t j = b0 + np; rc == EVREC_OK && j < b1; j++) rc = dw_lone(w, L, true, j, (*k)++);
  return rc;
}

/* The LCS table of A[p..p+m1) and B[p..p+m2): t[i][j] = length of the LCS
 * of the suffixes from i and j; eq holds the equality bits. */
static int lcs_fill(evrec__dw *w, const lst *L, size_t p, size_t m1, size_t m2, uint32_t *t,
                    unsigned char *eq) {
  size_t cols = m2 + 1;
  for (size_t i = m1; i-- > 0;)
    for (size_t j = m2; j-- > 0;) {
      int e = elem_equal(w, L, p + i, p + j);
      if (e < 0) return e;
      if (e) eq[(i * m2 + j) >> 3] |= (unsigned char)(1u << ((i * m2 + j) & 7));
      uint32_t down = t[(i + 1) * cols + j], right = t[i * cols + j + 1];
      t[i * cols + j] = e ? t[(i + 1) * cols + j + 1] + 1 : down > right ? down : right;
    }
  return EVREC_OK;
}

/* Walks the table from the start: kept pairs close the gaps before them. */
static int lcs_walk(evrec__dw *w, const lst *L, size_t p, size_t m1, size_t m2,
                    const uint32_t *t, const unsigned char *eq, size_t *k) {
  size_t cols = m2 + 1, i = 0, j = 0, gi = 0, gj = 0;
  int rc = EVREC_OK;
  while (rc == EVREC_OK && i < m1 && j < m2) {
    bool e = eq[(i * m2 + j) >> 3] & (1u << ((i * m2 + j) & 7));
    if (e && t[i * cols + j] == t[(i + 1) * cols + j + 1] + 1) {
      rc = dw_gap(w, L, p + gi, p + i, p + gj, p + j, k);
      (*k)++;
      gi = ++i;
      gj = ++j;
    } else if (t[(i + 1) * cols + j] >= t[i * cols + j + 1]) {
      i++;
    } else {
      j++;
    }
  }
  return rc ? rc : dw_gap(w, L, p + gi, p + m1, p + gj, p + m2, k);
}

static int dw_lcs(evrec__dw *w, const lst *L, size_t p, size_t m1, size_t m2, size_t *k) {
  uint32_t *t = calloc((m1 + 1) * (m2 + 1), sizeof *t);
  unsigned char *eq = calloc((m1 * m2 + 7) / 8, 1);
  int rc = t && eq ? lcs_fill(w, L, p, m1, m2, t, eq)
                   : evrec__err(w->err, EVREC_E_NOMEM, "out of memory");
  if (rc == EVREC_OK) rc = lcs_walk(w, L, p, m1, m2, t, eq, k);
  free(t);
  free(eq);
  return rc;
}

/* An ordered list: common ends, then the LCS of the middle. */
static int dw_ordered(evrec__dw *w, const lst *L) {
  size_t p = 0, s = 0, k, na = L->na, nb = L->nb;
  int e;
  while (p < na && p < nb && (e = elem_equal(w, L, p, p)) != 0) {
    if (e < 0) return e;
    p++;
  }
  while (s < na - p && s < nb - p && (e = elem_equal(w, L, na - 1 - s, nb - 1 - s)) != 0) {
    if (e < 0) return e;
    s++;
  }
  size_t m1 = na - p - s, m2 = nb - p - s;
  k = p;
  if (m1 && m2 && m1 <= LCS_MAX_CELLS / m2) return dw_lcs(w, L, p, m1, m2, &k);
  return dw_gap(w, L, p, p + m1, p, p + m2, &k);
}

/* A multiset: each A element takes the first equal unused B element. */
static int dw_multiset(evrec__dw *w, const lst *L) {
  size_t na = L->na, nb = L->nb, k = 0;
  if (!nb || na > LCS_MAX_CELLS / nb) return dw_ordered(w, L); /* empty, or too large */
  unsigned char *used = calloc(nb, 1), *kept = calloc(na, 1);
  int rc = used && kept ? EVREC_OK : evrec__err(w->err, EVREC_E_NOMEM, "out of memory");
  for (size_t i = 0; rc == EVREC_OK && i < na; i++)
    for (size_t j = 0; j < nb; j++) {
      if (used[j]) continue;
      int e = elem_equal(w, L, i, j);
      if (e < 0) rc = e;
      if (e) {
        used[j] = kept[i] = e > 0;
        break;
      }
    }
  for (size_t i = 0; rc == EVREC_OK && i < na; i++)
    if (kept[i]) k++;
    else rc = dw_lone(w, L, false, i, k);
  for (size_t j = 0; rc == EVREC_OK && j < nb; j++)
    if (!used[j]) rc = dw_lone(w, L, true, j, NONE);
  free(used);
  free(kept);
  return rc;
}

/* ====================================================================== */
/* Entities                                                               */
/* ====================================================================== */

typedef struct idx_id {
  const char *id;
  size_t i;
} idx_id;

static int idx_id_cmp(const void *x, const void *y) {
  const idx_id *a = x, *b = y;
  int c = strcmp(a->id, b->id);
  return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

/* Sorts one side's entities by id. @return false when an id is empty or
 * repeated (or an element is NULL). */
static bool sort_ids(const lst *L, bool b_side, idx_id *v) {
  size_t n = b_side ? L->nb : L->na;
  for (size_t i = 0; i < n; i++) {
    const ProtobufCMessage *e = elem_msg(L, b_side, i);
    v[i].id = e ? evrec__record_id(e) : "";
    v[i].i = i;
    if (!*v[i].id) return false;
  }
  qsort(v, n, sizeof *v, idx_id_cmp);
  for (size_t i = 1; i < n; i++)
    if (strcmp(v[i - 1].id, v[i].id) == 0) return false;
  return true;
}

static const idx_id *find_id(const idx_id *v, size_t n, const char *id) {
  idx_id key = {id, 0};
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(v[mid].id, key.id);
    if (c == 0) return &v[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* Entity i of A matched with B's entity j (or removed when j is NONE). */
static int dw_entity(evrec__dw *w, const lst *L, size_t i, size_t j, size_t k) {
  const ProtobufCMessage *a = elem_msg(L, false, i);
  ectx saved = enter_entity(w, L->f, a);
  pmark m = mark(w);
  int rc = EVREC_OK;
  if (!push_entity(w, evrec__record_id(a), k)) {
    if (j == NONE) rc = emit(w, EVREC_DIFF_REMOVE, &(vref){L->a, L->f, i, NULL}, NULL, true);
    else rc = dw_message(w, a, elem_msg(L, true, j));
  }
  unwind(w, m);
  leave_entity(w, saved);
  return rc;
}

static int dw_entity_added(evrec__dw *w, const lst *L, size_t j) {
  const ProtobufCMessage *b = elem_msg(L, true, j);
  ectx saved = enter_entity(w, L->f, b);
  pmark m = mark(w);
  int rc = EVREC_OK;
  if (!push_entity(w, evrec__record_id(b), NONE))
    rc = emit(w, EVREC_DIFF_ADD, NULL, &(vref){L->b, L->f, j, NULL}, true);
  unwind(w, m);
  leave_entity(w, saved);
  return rc;
}

static int dw_entities_by_id(evrec__dw *w, const lst *L, const idx_id *va, const idx_id *vb) {
  size_t k = 0;
  int rc = EVREC_OK;
  for (size_t i = 0; rc == EVREC_OK && i < L->na; i++) {
    const idx_id *hit = find_id(vb, L->nb, evrec__record_id(elem_msg(L, false, i)));
    rc = dw_entity(w, L, i, hit ? hit->i : NONE, k);
    if (hit) k++;
  }
  for (size_t j = 0; rc == EVREC_OK && j < L->nb; j++)
    if (!find_id(va, L->na, evrec__record_id(elem_msg(L, true, j))))
      rc = dw_entity_added(w, L, j);
  return rc;
}

static int dw_entities(evrec__dw *w, lst *L) {
  idx_id *va = malloc((L->na + 1) * sizeof *va), *vb = malloc((L->nb + 1) * sizeof *vb);
  int rc;
  if (!va || !vb) {
    rc = evrec__err(w->err, EVREC_E_NOMEM, "out of memory");
  } else if (sort_ids(L, false, va) && sort_ids(L, true, vb)) {
    rc = dw_entities_by_id(w, L, va, vb);
  } else {
    L->entity = true; /* empty or repeated ids: by position after all */
    rc = w->flags & EVREC_DIFF_IGNORE_ORDER ? dw_multiset(w, L) : dw_ordered(w, L);
  }
  free(va);
  free(vb);
  return rc;
}

/* ====================================================================== */
/* Maps                                                                   */
/* ====================================================================== */

/* A map key made comparable (as the JSON encoder orders keys). */
typedef struct mkey {
  uint64_t k;
  const char *s;
  size_t idx;
  const ProtobufCMessage *entry;
} mkey;

static mkey key_of(const ProtobufCFieldDescriptor *kf, const ProtobufCMessage *e, size_t idx) {
  mkey k = {0, NULL, idx, e};
  k.k = evrec__map_key_order(kf, e, &k.s);
  return k;
}

static int mkey_cmp(const mkey *a, const mkey *b) {
  if (a->s) return strcmp(a->s, b->s);
  return a->k < b->k ? -1 : a->k > b->k;
}

static int mkey_sort(const void *x, const void *y) {
  const mkey *a = x, *b = y;
  int c = mkey_cmp(a, b);
  return c ? c : a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The entries of map field f of m sorted by key, one per key (the last).
 * @return their number, or SIZE_MAX when out of memory (*out NULL). */
static size_t map_sorted(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                         mkey **out) {
  size_t n = rep_count(m, f), kept = 0;
  ProtobufCMessage *const *ents = *(ProtobufCMessage *const *const *)evrec__field_ptr(m, f);
  const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
  mkey *v = *out = malloc((n + 1) * sizeof *v);
  if (!v) return SIZE_MAX;
  for (size_t i = 0; i < n; i++) v[i] = key_of(kf, ents[i], i);
  qsort(v, n, sizeof *v, mkey_sort);
  for (size_t i = 0; i < n; i++)
    if (i + 1 == n || mkey_cmp(&v[i], &v[i + 1]) != 0) v[kept++] = v[i];
  return kept;
}

/* The key as text: the string, or the number, or true/false. */
static size_t key_text(const ProtobufCFieldDescriptor *kf, const mkey *k, char *buf,
                       size_t cap, const char **text) {
  const void *p = evrec__field_ptr(k->entry, kf);
  int n;
  switch (kf->type) {
  case PROTOBUF_C_TYPE_STRING: *text = k->s; return strlen(k->s);
  case PROTOBUF_C_TYPE_BOOL: *text = k->k ? "true" : "false"; return strlen(*text);
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32: n = snprintf(buf, cap, "%ld", (long)*(const int32_t *)p); break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32: n = snprintf(buf, cap, "%lu", (unsigned long)*(const uint32_t *)p); break;
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: n = snprintf(buf, cap, "%llu", (unsigned long long)*(const uint64_t *)p); break;
  default: n = snprintf(buf, cap, "%lld", (long long)*(const int64_t *)p); break;
  }
  *text = buf;
  return (size_t)n;
}

/* One key: only in A (ea), only in B (eb), or in both. */
static int dw_map_entry(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                        const ProtobufCFieldDescriptor *f, const mkey *ka, const mkey *kb) {
  const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
  const ProtobufCFieldDescriptor *vf = evrec__map_value(f->descriptor);
  char buf[32];
  const char *text;
  size_t n = key_text(kf, ka ? ka : kb, buf, sizeof buf, &text);
  pmark m = mark(w);
  int rc = EVREC_OK;
  vref va = {a, f, NONE, ka ? ka->entry : NULL}, vb = {b, f, NONE, kb ? kb->entry : NULL};
  if (push_key(w, text, n)) {
    /* ignored */
  } else if (!kb) {
    rc = emit(w, EVREC_DIFF_REMOVE, &va, NULL, false);
  } else if (!ka) {
    rc = emit(w, EVREC_DIFF_ADD, NULL, &vb, false);
  } else if (vf->type == PROTOBUF_C_TYPE_MESSAGE) {
    const ProtobufCMessage *x = or_default(w, *(ProtobufCMessage *const *)evrec__field_ptr(ka->entry, vf), vf->descriptor);
    const ProtobufCMessage *y = or_default(w, *(ProtobufCMessage *const *)evrec__field_ptr(kb->entry, vf), vf->descriptor);
    rc = x && y ? dw_submessage(w, x, y, &va, &vb) : evrec__err(w->err, EVREC_E_NOMEM, "out of memory");
  } else if (!scalar_equal(vf->type, evrec__field_ptr(ka->entry, vf),
                           evrec__field_ptr(kb->entry, vf), w->tol)) {
    rc = emit(w, EVREC_DIFF_REPLACE, &va, &vb, false);
  }
  unwind(w, m);
  return rc;
}

static int dw_map(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                  const ProtobufCFieldDescriptor *f) {
  mkey *ka = NULL, *kb = NULL;
  size_t na = map_sorted(a, f, &ka), nb = map_sorted(b, f, &kb), i = 0, j = 0;
  int rc = ka && kb ? EVREC_OK : evrec__err(w->err, EVREC_E_NOMEM, "out of memory");
  while (rc == EVREC_OK && (i < na || j < nb)) {
    int c = i == na ? 1 : j == nb ? -1 : mkey_cmp(&ka[i], &kb[j]);
    rc = dw_map_entry(w, a, b, f, c <= 0 ? &ka[i] : NULL, c >= 0 ? &kb[j] : NULL);
    i += c <= 0;
    j += c >= 0;
  }
  free(ka);
  free(kb);
  return rc;
}

/* ====================================================================== */
/* Fields                                                                 */
/* ====================================================================== */

static int dw_repeated(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                       const ProtobufCFieldDescriptor *f) {
  lst L = {f, a, b, rep_array(a, f), rep_array(b, f), rep_count(a, f), rep_count(b, f),
           evrec__sizeof_type(f->type), false};
  if (!L.na && !L.nb) return EVREC_OK;
  bool map = evrec__field_is_map(f), ent = !map && evrec__is_entity_list(f);
  /* An absent list or map is one value to add or remove, except that
   * entity-keyed paths name entities and map entries one by one. */
  if ((!L.na || !L.nb) && (w->pointer || (!map && !ent))) {
    vref v = {L.na ? a : b, f, NONE, NULL};
    return L.na ? emit(w, EVREC_DIFF_REMOVE, &v, NULL, false)
                : emit(w, EVREC_DIFF_ADD, NULL, &v, false);
  }
  if (map) return dw_map(w, a, b, f);
  if (ent) return dw_entities(w, &L);
  return w->flags & EVREC_DIFF_IGNORE_ORDER ? dw_multiset(w, &L) : dw_ordered(w, &L);
}

static int dw_field(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                    const ProtobufCFieldDescriptor *f) {
  pmark m = mark(w);
  int rc = EVREC_OK;
  if (!push_field(w, f))
    rc = f->label == PROTOBUF_C_LABEL_REPEATED ? dw_repeated(w, a, b, f) : dw_singular(w, a, b, f);
  unwind(w, m);
  return rc;
}

static int dw_message(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b) {
  const ProtobufCMessageDescriptor *d = a->descriptor;
  if (w->depth >= DW_MAX_DEPTH)
    return evrec__err(w->err, EVREC_E_LIMIT, "messages nested deeper than %d levels",
                      DW_MAX_DEPTH);
  w->depth++;
  int rc = EVREC_OK;
  for (unsigned i = 0; rc == EVREC_OK && i < d->n_fields; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (!evrec__is_oneof(f)) rc = dw_field(w, a, b, f);
    else if (oneof_first(d, i)) rc = dw_oneof(w, a, b, f);
  }
  w->depth--;
  return rc;
}

/* ====================================================================== */
/* Entry points                                                           */
/* ====================================================================== */

static int check_options(const evrec_diff_options *o, evrec_error *err) {
  if (o->version != EVREC_DIFF_OPTIONS_VERSION)
    return evrec__err(err, EVREC_E_INVALID_ARG, "unsupported diff options version %u", o->version);
  if (o->flags & ~(EVREC_DIFF_IGNORE_ORDER | EVREC_DIFF_JSON_PATCH))
    return evrec__err(err, EVREC_E_INVALID_ARG, "unknown diff flags 0x%x",
                      o->flags & ~(EVREC_DIFF_IGNORE_ORDER | EVREC_DIFF_JSON_PATCH));
  if (!(o->float_tolerance >= 0) || isinf(o->float_tolerance))
    return evrec__err(err, EVREC_E_INVALID_ARG, "float_tolerance must be finite and >= 0");
  if (o->n_ignore && !o->ignore)
    return evrec__err(err, EVREC_E_INVALID_ARG, "ignore is NULL but n_ignore is %zu", o->n_ignore);
  for (size_t i = 0; i < o->n_ignore; i++)
    if (!o->ignore[i]) return evrec__err(err, EVREC_E_INVALID_ARG, "ignore[%zu] is NULL", i);
  return EVREC_OK;
}

void evrec__dw_free(evrec__dw *w) {
  if (!w) return;
  for (size_t i = 0; i < w->n_ignore; i++) free(w->ignore[i]);
  free(w->ignore);
  evrec__buf *bufs[] = {&w->kp, &w->fp, &w->pp, &w->oldv, &w->newv, &w->tmp, &w->ename};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) evrec__buf_free(bufs[i]);
  evrec_arena_free(w->scratch);
  free(w);
}

int evrec__dw_new(evrec__dw **out, const evrec_diff_options *opts, evrec_diff_cb cb,
                  void *payload, evrec_error *err) {
  static const evrec_diff_options defaults = EVREC_DIFF_OPTIONS_INIT;
  *out = NULL;
  if (!opts) opts = &defaults;
  int rc = check_options(opts, err);
  if (rc) return rc;
  evrec__dw *w = calloc(1, sizeof *w);
  if (!w) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  w->flags = opts->flags;
  w->pointer = (opts->flags & EVREC_DIFF_JSON_PATCH) != 0;
  w->tol = opts->float_tolerance;
  w->cb = cb;
  w->payload = payload;
  w->err = err;
  w->ignore = opts->n_ignore ? calloc(opts->n_ignore, sizeof *w->ignore) : NULL;
  bool ok = !opts->n_ignore || w->ignore;
  for (size_t i = 0; ok && i < opts->n_ignore; i++, w->n_ignore++)
    ok = (w->ignore[i] = strdup(opts->ignore[i])) != NULL;
  if (!ok) {
    evrec__dw_free(w);
    return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  }
  *out = w;
  return EVREC_OK;
}

/* A path buffer that could not grow (paths are built for ignore globs even
 * where nothing is reported) fails the call. */
static int dw_oom(evrec__dw *w, int rc) {
  if (w->kp.oom || w->fp.oom || w->pp.oom || w->ename.oom)
    return evrec__err(w->err, EVREC_E_NOMEM, "out of memory");
  return rc;
}

/* Fresh per-record state. */
static void dw_start(evrec__dw *w, const char *id, uint64_t a_record, uint64_t b_record) {
  w->id = id;
  w->a_record = a_record;
  w->b_record = b_record;
  w->kp.len = w->fp.len = w->pp.len = w->ename.len = 0;
  w->entity_id = NULL;
  w->depth = w->probe = 0;
  w->emitted = 0;
  if (w->scratch) evrec_arena_reset(w->scratch);
}

int evrec__dw_records(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                      uint64_t a_record, uint64_t b_record, size_t *emitted) {
  dw_start(w, evrec__record_id(a), a_record, b_record);
  int rc;
  if (evrec__wkt_of(a->descriptor) == EVREC__WKT_NONE) {
    rc = dw_message(w, a, b);
  } else { /* a well-known type at the top: one value */
    rc = probe_equal(w, a, b);
    if (rc == 0) rc = emit(w, EVREC_DIFF_REPLACE, &(vref){a, NULL, NONE, NULL},
                           &(vref){b, NULL, NONE, NULL}, false);
    else if (rc > 0) rc = EVREC_OK;
  }
  if (emitted) *emitted = w->emitted;
  return rc >= 0 ? dw_oom(w, rc) : rc;
}

int evrec__dw_record_op(evrec__dw *w, evrec_diff_op op, const ProtobufCMessage *msg,
                        uint64_t a_record, uint64_t b_record) {
  dw_start(w, evrec__record_id(msg), a_record, b_record);
  vref v = {msg, NULL, NONE, NULL};
  return op == EVREC_DIFF_ADD ? emit(w, op, NULL, &v, false) : emit(w, op, &v, NULL, false);
}

static bool valid_message(const ProtobufCMessage *m) {
  return m && m->descriptor && m->descriptor->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC;
}

int evrec_record_diff(const ProtobufCMessage *a, const ProtobufCMessage *b,
                      const evrec_diff_options *opts, evrec_diff_cb cb, void *payload,
                      evrec_error *err) {
  if (!valid_message(a) || !valid_message(b))
    return evrec__err(err, EVREC_E_INVALID_ARG, "record_diff: a message is NULL or has no descriptor");
  if (a->descriptor != b->descriptor)
    return evrec__err(err, EVREC_E_INVALID_ARG, "record_diff: %s and %s are different types",
                      a->descriptor->name, b->descriptor->name);
  evrec__dw *w;
  int rc = evrec__dw_new(&w, opts, cb, payload, err);
  if (rc) return rc;
  rc = evrec__dw_records(w, a, b, EVREC_UNKNOWN, EVREC_UNKNOWN, NULL);
  evrec__dw_free(w);
  return rc;
}

int evrec__messages_equal(const ProtobufCMessage *a, const ProtobufCMessage *b, bool *equal,
                          evrec_error *err) {
  evrec__dw w;
  memset(&w, 0, sizeof w);
  w.err = err;
  w.probe = 1;
  int rc = a->descriptor == b->descriptor ? dw_message(&w, a, b) : DW_FOUND;
  *equal = rc == EVREC_OK;
  evrec_arena_free(w.scratch);
  evrec__buf_free(&w.ename); /* (probes build no path: nothing else to free) */
  return rc == DW_FOUND ? EVREC_OK : rc;
}
