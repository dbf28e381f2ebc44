/*
 * todict.c -- a decoded message as Python dicts, lists, str, int, float,
 * bool and None, walked by its descriptor (src/json_encode.c's rules).
 *
 * The result is what json.loads() makes of the message's canonical JSON,
 * with two differences a Python user wants: 64-bit integers are int (JSON
 * quotes them), and double/float values are float, NaN and infinities too
 * (JSON spells those "NaN", "Infinity"). Everything else follows the
 * encoder: lowerCamelCase keys, fields at their default left out, oneof
 * members when set, enums by name (unknown numbers as int, NullValue as
 * None), map keys as str (last entry wins), bytes as base64 str, and the
 * well-known types in their JSON form (Timestamp and Duration as RFC 3339
 * and "1.5s" text, wrappers as the bare value, Struct/Value/ListValue as
 * dict/value/list, FieldMask as text, Any with "@type"). What the encoder
 * refuses (a Timestamp out of range, a Value without kind ...) raises the
 * evrec error it would return, with the field path.
 *
 * Keys: one interned str per field descriptor and per enum value, made on
 * first use and kept in a pointer-keyed table for the life of the process,
 * so a record costs no string creation for its keys.
 */
#include "evrecpy.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "internal.h"

#define MAX_DEPTH 1000 /* as the JSON encoder: bounds the C recursion */

/* ====================================================================== */
/* Caches of interned keys                                                */
/* ====================================================================== */

typedef struct cslot {
  const void *key;
  int tag;
  PyObject *val;
} cslot;

static cslot *cache;
static size_t cache_cap, cache_n;

static size_t cache_hash(const void *key, int tag) {
  uint64_t h = (uint64_t)(uintptr_t)key * UINT64_C(0x9E3779B97F4A7C15) + (uint64_t)tag;
  return (size_t)(h >> 20);
}

static PyObject *cache_get(const void *key, int tag) {
  if (!cache_cap) return NULL;
  for (size_t i = cache_hash(key, tag) & (cache_cap - 1);; i = (i + 1) & (cache_cap - 1)) {
    if (!cache[i].key) return NULL;
    if (cache[i].key == key && cache[i].tag == tag) return cache[i].val;
  }
}

static void cache_insert(cslot *tab, size_t cap, cslot s) {
  size_t i = cache_hash(s.key, s.tag) & (cap - 1);
  while (tab[i].key) i = (i + 1) & (cap - 1);
  tab[i] = s;
}

/* Keeps `val` (a new reference, stolen) under (key, tag). */
static PyObject *cache_put(const void *key, int tag, PyObject *val) {
  if (!val) return NULL;
  if (2 * (cache_n + 1) > cache_cap) {
    size_t cap = cache_cap ? 2 * cache_cap : 256;
    cslot *t = PyMem_Calloc(cap, sizeof *t);
    if (!t) {
      Py_DECREF(val);
      return PyErr_NoMemory();
    }
    for (size_t i = 0; i < cache_cap; i++)
      if (cache[i].key) cache_insert(t, cap, cache[i]);
    PyMem_Free(cache);
    cache = t;
    cache_cap = cap;
  }
  cache_insert(cache, cache_cap, (cslot){key, tag, val});
  cache_n++;
  return val;
}

PyObject *evpy_field_key(const ProtobufCFieldDescriptor *f) {
  PyObject *k = cache_get(f, 0);
  if (k) return k;
  size_t n = strlen(f->name);
  char stack[128], *name = n < sizeof stack ? stack : PyMem_Malloc(n + 1);
  if (!name) return PyErr_NoMemory();
  evrec__json_name(f->name, name);
  k = PyUnicode_InternFromString(name);
  if (name != stack) PyMem_Free(name);
  return cache_put(f, 0, k);
}

PyObject *evpy_enum_name(const ProtobufCEnumDescriptor *ed, const ProtobufCEnumValue *v,
                         int short_name) {
  PyObject *k = cache_get(v, 1 + short_name);
  if (k) return k;
  const char *name = v->name;
  if (short_name) { /* the zero value is "<PREFIX>UNSPECIFIED" */
    const ProtobufCEnumValue *z = protobuf_c_enum_descriptor_get_value(ed, 0);
    const char *u = z ? strstr(z->name, "UNSPECIFIED") : NULL;
    size_t plen = u ? (size_t)(u - z->name) : 0;
    if (plen && strncmp(name, z->name, plen) == 0 && name[plen]) name += plen;
  }
  return cache_put(v, 1 + short_name, PyUnicode_InternFromString(name));
}

/* ====================================================================== */
/* Walk state and error paths                                             */
/* ====================================================================== */

typedef enum { FR_FIELD, FR_INDEX, FR_KEY } frame_kind;

typedef struct frame {
  const struct frame *up;
  frame_kind kind;
  const ProtobufCFieldDescriptor *field; /* FR_FIELD */
  size_t index;                          /* FR_INDEX */
  PyObject *key;                         /* FR_KEY: the map key as str */
} frame;

typedef struct walk {
  const frame *top;
  unsigned depth;
  evrec_arena *scratch; /* Any payloads, default instances; lazily made */
} walk;

/* Fills the path of the innermost frame, outer steps first. */
static void path_text(const walk *w, char *out, size_t cap) {
  const frame *v[64];
  size_t n = 0;
  for (const frame *f = w->top; f && n < 64; f = f->up) v[n++] = f;
  size_t len = 0;
  out[0] = '\0';
  for (size_t i = n; i-- > 0 && len + 1 < cap;) {
    const frame *f = v[i];
    int k = 0;
    if (f->kind == FR_INDEX) {
      k = snprintf(out + len, cap - len, "[%zu]", f->index);
    } else if (f->kind == FR_KEY) {
      const char *s = f->key ? PyUnicode_AsUTF8(f->key) : NULL;
      if (!s) PyErr_Clear();
      k = snprintf(out + len, cap - len, "[\"%.64s\"]", s ? s : "?");
    } else {
      char name[EVREC_ERROR_PATH_MAX];
      const char *s = f->field->name;
      if (strlen(s) < sizeof name) evrec__json_name(s, name), s = name;
      k = snprintf(out + len, cap - len, "%s%.100s", len ? "." : "", s);
    }
    if (k < 0) break;
    len += (size_t)k;
    if (len >= cap) len = cap - 1;
  }
}

/* Raises the evrec error `code` at the current path; returns NULL. */
static PyObject *fail(const walk *w, int code, const char *fmt, ...) {
  evrec_error e;
  evrec_error_clear(&e);
  e.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e.message, sizeof e.message, fmt, ap);
  va_end(ap);
  path_text(w, e.path, sizeof e.path);
  return evpy_raise(&e, NULL);
}

static evrec_arena *scratch(walk *w) {
  if (!w->scratch) w->scratch = evrec_arena_new(4096);
  if (!w->scratch) PyErr_NoMemory();
  return w->scratch;
}

/* ====================================================================== */
/* Scalars                                                                */
/* ====================================================================== */

static PyObject *base64_str(const ProtobufCBinaryData *b) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = b->len, out_len = (n + 2) / 3 * 4;
  PyObject *s = PyUnicode_New((Py_ssize_t)out_len, 127);
  if (!s) return NULL;
  char *p = (char *)PyUnicode_1BYTE_DATA(s);
  const uint8_t *d = b->data;
  size_t i = 0;
  for (; n - i >= 3; i += 3, p += 4) {
    uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
    p[0] = tab[v >> 18], p[1] = tab[(v >> 12) & 63], p[2] = tab[(v >> 6) & 63], p[3] = tab[v & 63];
  }
  if (n - i) {
    uint32_t v = (uint32_t)d[i] << 16 | (n - i == 2 ? (uint32_t)d[i + 1] << 8 : 0);
    p[0] = tab[v >> 18], p[1] = tab[(v >> 12) & 63];
    p[2] = n - i == 2 ? tab[(v >> 6) & 63] : '=';
    p[3] = '=';
  }
  return s;
}

/* A float field as the double its shortest text denotes (0.1f -> 0.1), as
 * the JSON encoder prints it (format_float: from 6 digits, from 1 for
 * subnormals; near FLT_MAX only a text whose double is a float) and as
 * Google's MessageToDict returns it. */
static PyObject *float_value(float v) {
  if (!isfinite(v) || (fabsf(v) < 1e6f && v == truncf(v))) return PyFloat_FromDouble((double)v);
  for (int prec = fabsf(v) < FLT_MIN ? 1 : FLT_DIG; prec < 12; prec++) {
    char *s = PyOS_double_to_string((double)v, 'g', prec, 0, NULL);
    if (!s) return NULL;
    double d = PyOS_string_to_double(s, NULL, NULL);
    PyMem_Free(s);
    if (d == -1.0 && PyErr_Occurred()) return NULL;
    if ((float)d == v && (fabsf(v) < 3.4e38f || fabs(d) <= FLT_MAX)) return PyFloat_FromDouble(d);
  }
  return PyFloat_FromDouble((double)v);
}

static PyObject *enum_value(const ProtobufCEnumDescriptor *ed, int32_t v) {
  if (strcmp(ed->name, "google.protobuf.NullValue") == 0) Py_RETURN_NONE;
  const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(ed, v);
  if (!ev) return PyLong_FromLong(v); /* open enums: unknown numbers are legal */
  PyObject *s = evpy_enum_name(ed, ev, 0);
  Py_XINCREF(s);
  return s;
}

static PyObject *message_value(walk *w, const ProtobufCMessageDescriptor *d,
                               const ProtobufCMessage *m);

/* One value of field f's type stored at p. */
static PyObject *value_of(walk *w, const ProtobufCFieldDescriptor *f, const void *p) {
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32: return PyLong_FromLong(*(const int32_t *)p);
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32: return PyLong_FromUnsignedLong(*(const uint32_t *)p);
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64: return PyLong_FromLongLong(*(const int64_t *)p);
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64: return PyLong_FromUnsignedLongLong(*(const uint64_t *)p);
  case PROTOBUF_C_TYPE_FLOAT: return float_value(*(const float *)p);
  case PROTOBUF_C_TYPE_DOUBLE: return PyFloat_FromDouble(*(const double *)p);
  case PROTOBUF_C_TYPE_BOOL: return PyBool_FromLong(*(const protobuf_c_boolean *)p != 0);
  case PROTOBUF_C_TYPE_ENUM: return enum_value(f->descriptor, *(const int32_t *)p);
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(char *const *)p;
    if (!s) s = "";
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), NULL);
  }
  case PROTOBUF_C_TYPE_BYTES: return base64_str((const ProtobufCBinaryData *)p);
  case PROTOBUF_C_TYPE_MESSAGE:
    return message_value(w, f->descriptor, *(const ProtobufCMessage *const *)p);
  }
  return fail(w, EVREC_E_SCHEMA, "field %s has an unknown type", f->name);
}

/* A singular field's value as the binary encoding has it (a -0.0 that
 * pack() drops is 0.0), as the encoder's put_singular(). */
static PyObject *singular_of(walk *w, const ProtobufCMessage *m,
                             const ProtobufCFieldDescriptor *f) {
  const void *p = evrec__field_ptr(m, f);
  if (f->type == PROTOBUF_C_TYPE_DOUBLE && *(const double *)p == 0) return PyFloat_FromDouble(0.0);
  if (f->type == PROTOBUF_C_TYPE_FLOAT && *(const float *)p == 0) return PyFloat_FromDouble(0.0);
  return value_of(w, f, p);
}

/* ====================================================================== */
/* Repeated fields and maps                                               */
/* ====================================================================== */

static PyObject *list_of(walk *w, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  size_t n = *(const size_t *)evrec__quant_ptr(m, f);
  const char *arr = *(char *const *)evrec__field_ptr(m, f);
  size_t size = evrec__sizeof_type(f->type);
  PyObject *list = PyList_New((Py_ssize_t)n);
  if (!list) return NULL;
  frame fr = {w->top, FR_INDEX, NULL, 0, NULL};
  w->top = &fr;
  for (size_t i = 0; i < n; i++) {
    fr.index = i;
    PyObject *v = value_of(w, f, arr + i * size);
    if (!v) {
      w->top = fr.up;
      Py_DECREF(list);
      return NULL;
    }
    PyList_SET_ITEM(list, (Py_ssize_t)i, v);
  }
  w->top = fr.up;
  return list;
}

/* A map key as the JSON object key it prints as. */
static PyObject *map_key(const ProtobufCFieldDescriptor *kf, const ProtobufCMessage *entry) {
  const void *p = evrec__field_ptr(entry, kf);
  switch (kf->type) {
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(char *const *)p;
    if (!s) s = "";
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), NULL);
  }
  case PROTOBUF_C_TYPE_BOOL: return PyUnicode_FromString(*(const protobuf_c_boolean *)p ? "true" : "false");
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32: return PyUnicode_FromFormat("%d", (int)*(const int32_t *)p);
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32: return PyUnicode_FromFormat("%u", (unsigned)*(const uint32_t *)p);
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
    return PyUnicode_FromFormat("%llu", (unsigned long long)*(const uint64_t *)p);
  default: return PyUnicode_FromFormat("%lld", (long long)*(const int64_t *)p);
  }
}

/* A map as a dict; a key repeated in binary input: the last entry wins. */
static PyObject *dict_of_map(walk *w, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  size_t n = *(const size_t *)evrec__quant_ptr(m, f);
  ProtobufCMessage *const *ents = *(ProtobufCMessage *const *const *)evrec__field_ptr(m, f);
  const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
  const ProtobufCFieldDescriptor *vf = evrec__map_value(f->descriptor);
  PyObject *d = PyDict_New();
  if (!d) return NULL;
  frame fr = {w->top, FR_KEY, NULL, 0, NULL};
  w->top = &fr;
  for (size_t i = 0; i < n; i++) {
    PyObject *k = map_key(kf, ents[i]);
    fr.key = k;
    PyObject *v = k ? singular_of(w, ents[i], vf) : NULL;
    int rc = v ? PyDict_SetItem(d, k, v) : -1;
    Py_XDECREF(k);
    Py_XDECREF(v);
    if (rc) {
      w->top = fr.up;
      Py_DECREF(d);
      return NULL;
    }
  }
  w->top = fr.up;
  return d;
}

/* ====================================================================== */
/* Messages                                                               */
/* ====================================================================== */

/* Is a non-repeated, non-oneof field set? (json_encode.c's field_present) */
static int field_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  const void *p = evrec__field_ptr(m, f);
  if (f->label == PROTOBUF_C_LABEL_REQUIRED) return 1;
  if (f->type == PROTOBUF_C_TYPE_MESSAGE) return *(const void *const *)p != NULL;
  if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
    if (f->type == PROTOBUF_C_TYPE_STRING) return *(const char *const *)p != NULL;
    return *(const protobuf_c_boolean *)evrec__quant_ptr(m, f) != 0;
  }
  switch (f->type) {
  case PROTOBUF_C_TYPE_STRING: {
    const char *s = *(const char *const *)p;
    return s && *s;
  }
  case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)p)->len != 0;
  case PROTOBUF_C_TYPE_FLOAT: return *(const float *)p != 0;
  case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)p != 0;
  default: break;
  }
  return evrec__sizeof_type(f->type) == 8 ? *(const uint64_t *)p != 0 : *(const uint32_t *)p != 0;
}

/* A oneof member is set when the case names it, unless pack() would drop
 * it (a NULL or default string/message pointer). */
static int oneof_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  if (*(const uint32_t *)evrec__quant_ptr(m, f) != f->id) return 0;
  if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) return 1;
  const void *p = *(const void *const *)evrec__field_ptr(m, f);
  return p != NULL && p != f->default_value;
}

/* Adds the set fields of m to dict d. */
static int add_fields(walk *w, PyObject *d, const ProtobufCMessage *m) {
  const ProtobufCMessageDescriptor *desc = m->descriptor;
  frame fr = {w->top, FR_FIELD, NULL, 0, NULL};
  w->top = &fr;
  int rc = 0;
  for (unsigned i = 0; i < desc->n_fields && rc == 0; i++) {
    const ProtobufCFieldDescriptor *f = &desc->fields[i];
    PyObject *v;
    fr.field = f;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
      if (*(const size_t *)evrec__quant_ptr(m, f) == 0) continue;
      v = evrec__field_is_map(f) ? dict_of_map(w, m, f) : list_of(w, m, f);
    } else if (evrec__is_oneof(f)) {
      if (!oneof_present(m, f)) continue;
      v = value_of(w, f, evrec__field_ptr(m, f));
    } else {
      if (!field_present(m, f)) continue;
      v = singular_of(w, m, f);
    }
    PyObject *k = v ? evpy_field_key(f) : NULL;
    rc = k ? PyDict_SetItem(d, k, v) : -1;
    Py_XDECREF(v);
  }
  w->top = fr.up;
  return rc;
}

static PyObject *object_of(walk *w, const ProtobufCMessage *m) {
  PyObject *d = PyDict_New();
  if (d && add_fields(w, d, m)) Py_CLEAR(d);
  return d;
}

static const ProtobufCFieldDescriptor *wkt_field(const ProtobufCMessage *m, unsigned id) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  if (id <= d->n_fields && d->fields[id - 1].id == id) return &d->fields[id - 1];
  for (unsigned i = 0; i < d->n_fields; i++)
    if (d->fields[i].id == id) return &d->fields[i];
  return NULL;
}

/* The RFC 3339 / "1.5s" / FieldMask text of a message, by the encoder. */
static PyObject *json_text_of(walk *w, const ProtobufCMessage *m) {
  evrec_json_encode_options o = EVREC_JSON_ENCODE_OPTIONS_INIT;
  evrec_error e;
  char small[128];
  size_t len = 0;
  int rc = evrec_json_encode(small, sizeof small, &len, m, &o, &e);
  if (rc) {
    char sub[EVREC_ERROR_PATH_MAX];
    path_text(w, sub, sizeof sub);
    if (sub[0]) snprintf(e.path, sizeof e.path, "%s", sub);
    return evpy_raise(&e, NULL);
  }
  if (len < 2 || len >= sizeof small) /* FieldMask texts may be long */
    return fail(w, EVREC_E_LIMIT, "%s text longer than %zu bytes", m->descriptor->name, sizeof small);
  return PyUnicode_DecodeUTF8(small + 1, (Py_ssize_t)len - 2, NULL); /* without the quotes */
}

static PyObject *long_json_text_of(walk *w, const ProtobufCMessage *m) {
  char *s = NULL;
  size_t len = 0;
  evrec_error e;
  if (evrec_json_encode_alloc(&s, &len, m, NULL, &e)) {
    char sub[EVREC_ERROR_PATH_MAX];
    path_text(w, sub, sizeof sub);
    if (sub[0]) snprintf(e.path, sizeof e.path, "%s", sub);
    return evpy_raise(&e, NULL);
  }
  PyObject *r = PyUnicode_DecodeUTF8(s + 1, (Py_ssize_t)len - 2, NULL);
  free(s);
  return r;
}

static PyObject *value_wkt(walk *w, const ProtobufCMessage *m) {
  const ProtobufCFieldDescriptor *f1 = wkt_field(m, 1);
  uint32_t kind = f1 ? *(const uint32_t *)evrec__quant_ptr(m, f1) : 0;
  const ProtobufCFieldDescriptor *f = kind ? wkt_field(m, kind) : NULL;
  if (!f || !oneof_present(m, f)) return fail(w, EVREC_E_SCHEMA, "google.protobuf.Value has no kind set");
  const void *p = evrec__field_ptr(m, f);
  if (kind == 1) Py_RETURN_NONE;
  if (f->type == PROTOBUF_C_TYPE_DOUBLE && !isfinite(*(const double *)p))
    return fail(w, EVREC_E_RANGE, "google.protobuf.Value number is NaN or infinite");
  return value_of(w, f, p);
}

/* {"@type": url, fields...} or {"@type": url, "value": x}; {} when empty. */
static PyObject *any_of(walk *w, const ProtobufCMessage *m) {
  const ProtobufCFieldDescriptor *fu = wkt_field(m, 1), *fv = wkt_field(m, 2);
  if (!fu || !fv) return fail(w, EVREC_E_SCHEMA, "malformed google.protobuf.Any descriptor");
  const char *url = *(char *const *)evrec__field_ptr(m, fu);
  const ProtobufCBinaryData *val = evrec__field_ptr(m, fv);
  if (!url) url = "";
  if (!*url && val->len == 0) return PyDict_New();
  if (evrec__utf8_valid_prefix(url, strlen(url)) != strlen(url))
    return fail(w, EVREC_E_UTF8, "string is not valid UTF-8");
  const char *slash = strrchr(url, '/'), *name = slash ? slash + 1 : url;
  const ProtobufCMessageDescriptor *t = evrec__find_type(name, strlen(name), NULL, NULL, 0);
  if (!t) return fail(w, EVREC_E_UNSUPPORTED, "Any type \"%.100s\" is unknown", url);
  evrec_arena *a = scratch(w);
  if (!a) return NULL;
  ProtobufCMessage *payload = NULL;
  evrec_error e;
  int rc = evrec_pb_decode(&payload, t, val->data, val->len, a, &e);
  if (rc == EVREC_E_UTF8) return fail(w, rc, "string is not valid UTF-8");
  if (rc == EVREC_E_NOMEM) return PyErr_NoMemory();
  if (rc) return fail(w, EVREC_E_SYNTAX, "Any value is not a valid %s", t->name);
  PyObject *d = PyDict_New(), *u = d ? PyUnicode_DecodeUTF8(url, (Py_ssize_t)strlen(url), NULL) : NULL;
  rc = u ? PyDict_SetItemString(d, "@type", u) : -1;
  Py_XDECREF(u);
  evrec__wkt k = evrec__wkt_of(t);
  if (rc == 0 && k != EVREC__WKT_NONE && k != EVREC__WKT_EMPTY) {
    PyObject *v = message_value(w, t, payload);
    rc = v ? PyDict_SetItemString(d, "value", v) : -1;
    Py_XDECREF(v);
  } else if (rc == 0) {
    rc = add_fields(w, d, payload);
  }
  if (rc) Py_CLEAR(d);
  return d;
}

static PyObject *known_of(walk *w, const ProtobufCMessage *m) {
  evrec__wkt k = evrec__wkt_of(m->descriptor);
  const ProtobufCFieldDescriptor *f;
  switch (k) {
  case EVREC__WKT_NONE:
  case EVREC__WKT_EMPTY: return object_of(w, m);
  case EVREC__WKT_ANY: return any_of(w, m);
  case EVREC__WKT_TIMESTAMP:
  case EVREC__WKT_DURATION: return json_text_of(w, m);
  case EVREC__WKT_FIELD_MASK: return long_json_text_of(w, m);
  case EVREC__WKT_STRUCT:
    return (f = wkt_field(m, 1)) ? dict_of_map(w, m, f) : fail(w, EVREC_E_SCHEMA, "malformed Struct");
  case EVREC__WKT_LIST_VALUE:
    return (f = wkt_field(m, 1)) ? list_of(w, m, f) : fail(w, EVREC_E_SCHEMA, "malformed ListValue");
  case EVREC__WKT_VALUE: return value_wkt(w, m);
  default: /* wrappers: the bare value */
    return (f = wkt_field(m, 1)) ? singular_of(w, m, f) : fail(w, EVREC_E_SCHEMA, "malformed wrapper");
  }
}

/* Message m of type d; NULL (an absent map value) is the default instance. */
static PyObject *message_value(walk *w, const ProtobufCMessageDescriptor *d,
                               const ProtobufCMessage *m) {
  if (++w->depth > MAX_DEPTH) {
    w->depth--;
    return fail(w, EVREC_E_LIMIT, "message nesting deeper than %d levels", MAX_DEPTH);
  }
  PyObject *r;
  if (m) {
    r = known_of(w, m);
  } else {
    evrec_arena *a = scratch(w);
    ProtobufCMessage *def = a ? evrec__arena_alloc(a, d->sizeof_message) : NULL;
    if (a && !def) PyErr_NoMemory();
    if (def) d->message_init(def);
    r = def ? known_of(w, def) : NULL;
  }
  w->depth--;
  return r;
}

/* The cyclic garbage collector is paused while one record's objects are
 * built: they are fresh dicts, lists and scalars that cannot form a cycle,
 * yet every 700 container allocations CPython would traverse the young
 * objects, and every 10th and 100th pass the older ones -- the whole list
 * of records a caller keeps -- so collection took 60% of
 * `list(evrec.open(f))` on the 64 MB corpus and grew faster than the file.
 * Re-enabling lets the next allocation collect as usual (one pass per
 * record instead of one per 700 objects). The GIL is held throughout, so
 * no other thread sees the pause; a caller's own gc.disable() stays. */
PyObject *evpy_message_to_dict(const ProtobufCMessage *msg) {
  walk w = {NULL, 0, NULL};
  int was_enabled = PyGC_Disable();
  PyObject *r = message_value(&w, msg->descriptor, msg);
  if (was_enabled) PyGC_Enable();
  evrec_arena_free(w.scratch);
  return r;
}
