/*
 * desc.c -- facts about protoc-c descriptors that the generic codec needs.
 *
 * protobuf-c 1.4.1 keeps neither json_name nor a map flag nor a "well-known
 * type" marker in its descriptors, so they are derived here:
 *  - well-known types by full name (any copy of their generated code works);
 *  - map fields by shape (repeated <Field>Entry message with key=1, value=2);
 *  - JSON names on the fly (protoc's rule: drop '_', upper-case the next
 *    letter), compared against input keys without building strings, so no
 *    per-descriptor cache -- and no global mutable state -- is needed.
 */
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------ well-known */

static const struct {
  const char *name;
  evrec__wkt wkt;
} wkt_names[] = {
    {"google.protobuf.Any", EVREC__WKT_ANY},
    {"google.protobuf.Timestamp", EVREC__WKT_TIMESTAMP},
    {"google.protobuf.Duration", EVREC__WKT_DURATION},
    {"google.protobuf.FieldMask", EVREC__WKT_FIELD_MASK},
    {"google.protobuf.Struct", EVREC__WKT_STRUCT},
    {"google.protobuf.Value", EVREC__WKT_VALUE},
    {"google.protobuf.ListValue", EVREC__WKT_LIST_VALUE},
    {"google.protobuf.Empty", EVREC__WKT_EMPTY},
    {"google.protobuf.DoubleValue", EVREC__WKT_DOUBLE_VALUE},
    {"google.protobuf.FloatValue", EVREC__WKT_FLOAT_VALUE},
    {"google.protobuf.Int64Value", EVREC__WKT_INT64_VALUE},
    {"google.protobuf.UInt64Value", EVREC__WKT_UINT64_VALUE},
    {"google.protobuf.Int32Value", EVREC__WKT_INT32_VALUE},
    {"google.protobuf.UInt32Value", EVREC__WKT_UINT32_VALUE},
    {"google.protobuf.BoolValue", EVREC__WKT_BOOL_VALUE},
    {"google.protobuf.StringValue", EVREC__WKT_STRING_VALUE},
    {"google.protobuf.BytesValue", EVREC__WKT_BYTES_VALUE},
};

evrec__wkt evrec__wkt_of(const ProtobufCMessageDescriptor *d) {
  const char *n = d->name;
  /* Fast reject: every well-known type lives in package google.protobuf. */
  if (n[0] != 'g' || strncmp(n, "google.protobuf.", 16) != 0) return EVREC__WKT_NONE;
  /* Records hold Timestamps and the like, so this runs per message: compare
   * the first letter after the package before calling strcmp. */
  for (size_t i = 0; i < sizeof wkt_names / sizeof wkt_names[0]; i++)
    if (n[16] == wkt_names[i].name[16] && strcmp(n + 16, wkt_names[i].name + 16) == 0)
      return wkt_names[i].wkt;
  return EVREC__WKT_NONE;
}

const ProtobufCFieldDescriptor *evrec__wkt_field(const ProtobufCMessageDescriptor *d,
                                                 unsigned id) {
  /* The WKTs number their fields 1..n, so index id-1 is the usual hit. */
  if (id - 1 < d->n_fields && d->fields[id - 1].id == id) return &d->fields[id - 1];
  for (unsigned i = 0; i < d->n_fields; i++)
    if (d->fields[i].id == id) return &d->fields[i];
  return NULL;
}

bool evrec__is_null_value_enum(const ProtobufCEnumDescriptor *e) {
  return e->name[0] == 'g' && strcmp(e->name, "google.protobuf.NullValue") == 0;
}

/* ------------------------------------------------------------ maps */

static const ProtobufCFieldDescriptor *field_numbered(
    const ProtobufCMessageDescriptor *d, unsigned number) {
  for (unsigned i = 0; i < d->n_fields; i++)
    if (d->fields[i].id == number) return &d->fields[i];
  return NULL;
}

const ProtobufCFieldDescriptor *evrec__map_key(const ProtobufCMessageDescriptor *e) {
  return field_numbered(e, 1);
}

const ProtobufCFieldDescriptor *evrec__map_value(const ProtobufCMessageDescriptor *e) {
  return field_numbered(e, 2);
}

/* protoc names the entry type CamelCase(field name) + "Entry". */
static bool entry_name_matches(const char *field, const char *short_name) {
  bool upper = true;
  const char *s = short_name;
  for (const char *f = field; *f; f++) {
    if (*f == '_') {
      upper = true;
      continue;
    }
    char want = *f;
    if (upper && want >= 'a' && want <= 'z') want = (char)(want - 'a' + 'A');
    upper = false;
    if (*s++ != want) return false;
  }
  return strcmp(s, "Entry") == 0;
}

bool evrec__field_is_map(const ProtobufCFieldDescriptor *f) {
  if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
    return false;
  const ProtobufCMessageDescriptor *e = f->descriptor;
  if (e->n_fields != 2 || !evrec__map_key(e) || !evrec__map_value(e)) return false;
  return entry_name_matches(f->name, e->short_name);
}

/* ------------------------------------------------------------ names */

/* The next character of the JSON name of a proto name (protoc's rule: drop
 * each '_', upper-case the letter after it), advancing *p; '\0' at the end.
 * Both the builder and the comparator below walk names through it. */
static char json_name_next(const char **p) {
  bool upper = false;
  while (**p == '_') upper = true, (*p)++;
  char c = **p;
  if (!c) return '\0';
  (*p)++;
  return upper && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

size_t evrec__json_name(const char *name, char *out) {
  size_t n = 0;
  for (char c; (c = json_name_next(&name)) != '\0';) out[n++] = c;
  out[n] = '\0';
  return n;
}

/* Compares a key slice with the JSON name of `name` without building it. */
static bool json_name_equals(const char *name, const char *key, size_t len) {
  size_t i = 0;
  for (char c; (c = json_name_next(&name)) != '\0'; i++)
    if (i >= len || key[i] != c) return false;
  return i == len;
}

/* Compares a NUL-terminated name with a slice, strcmp style. The slice
 * may hold NUL bytes (a key with "\u0000"): the name then ends first. */
static int name_cmp(const char *name, const char *key, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char a = (unsigned char)name[i], b = (unsigned char)key[i];
    if (a == 0) return -1;
    if (a != b) return a < b ? -1 : 1;
  }
  return name[len] ? 1 : 0;
}

const ProtobufCFieldDescriptor *evrec__field_by_key(
    const ProtobufCMessageDescriptor *d, const char *key, size_t len) {
  if (len == 0) return NULL; /* no field has an empty name */
  /* Proto names: binary search over protoc-c's sorted index. */
  unsigned lo = 0, hi = d->n_fields;
  while (lo < hi) {
    unsigned mid = lo + (hi - lo) / 2;
    const ProtobufCFieldDescriptor *f = &d->fields[d->fields_sorted_by_name[mid]];
    int c = name_cmp(f->name, key, len);
    if (c == 0) return f;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  /* Not a proto name: try JSON names. json_name_equals stops at the first
   * differing byte, which is usually the first one. (A field whose name has
   * no '_' has JSON name == proto name and cannot match here.) */
  for (unsigned i = 0; i < d->n_fields; i++)
    if (d->fields[i].name[0] == key[0] || d->fields[i].name[0] == '_')
      if (json_name_equals(d->fields[i].name, key, len)) return &d->fields[i];
  return NULL;
}

const ProtobufCEnumValue *evrec__enum_by_name(const ProtobufCEnumDescriptor *e,
                                              const char *name, size_t len) {
  unsigned lo = 0, hi = e->n_value_names;
  while (lo < hi) {
    unsigned mid = lo + (hi - lo) / 2;
    int c = name_cmp(e->values_by_name[mid].name, name, len);
    if (c == 0) return &e->values[e->values_by_name[mid].index];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

const ProtobufCEnumValue *evrec__enum_by_number(const ProtobufCEnumDescriptor *e,
                                                int value) {
  return protobuf_c_enum_descriptor_get_value(e, value);
}

/* ------------------------------------------------------------ sizes */

size_t evrec__sizeof_type(ProtobufCType t) {
  switch (t) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_SINT32:
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_FLOAT:
  case PROTOBUF_C_TYPE_ENUM: return 4;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_DOUBLE: return 8;
  case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
  case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
  case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
  case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
  }
  return 0;
}

/* ------------------------------------------------------------ registry */

/* Generated at build time from the protoc-c headers: every message type
 * linked into the library (evrec.v1 and the well-known types). */
extern const ProtobufCMessageDescriptor *const evrec__builtin_types[];
extern const size_t evrec__n_builtin_types;

static bool full_name_is(const ProtobufCMessageDescriptor *d, const char *n, size_t len) {
  /* not strncmp: n may hold NUL bytes, and d->name[len] must be in bounds */
  return strlen(d->name) == len && memcmp(d->name, n, len) == 0;
}

const ProtobufCMessageDescriptor *evrec__find_type(
    const char *full_name, size_t len, const evrec_types *types,
    const ProtobufCMessageDescriptor *const *extra, size_t n_extra) {
  const ProtobufCMessageDescriptor *t = evrec__types_lookup(types, full_name, len);
  if (t) return t;
  for (size_t i = 0; i < n_extra; i++)
    if (extra[i] && full_name_is(extra[i], full_name, len)) return extra[i];
  for (size_t i = 0; i < evrec__n_builtin_types; i++)
    if (full_name_is(evrec__builtin_types[i], full_name, len))
      return evrec__builtin_types[i];
  return NULL;
}
