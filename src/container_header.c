/*
 * container_header.c -- the "EVRH" header blob of an .evr section
 * (docs/FORMAT.md, section 4): "EVRH", version, the JSON fields
 * (formatVersion, recordType, creator, createdAt, metadata) and the
 * FileDescriptorSet of the schema, sealed with a CRC-32 and cut into the
 * EH subfields of consecutive header members (container_member.c).
 *
 * The JSON is written by hand (a few fixed fields, metadata sorted by key,
 * so equal inputs give equal bytes) and read with the library's own JSON
 * decoder into a google.protobuf.Struct: one parser for all JSON, and a
 * header from a later version with more keys still reads (unknown keys are
 * ignored). Everything parsed lands in the caller's arena.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container_int.h"
#include "google/protobuf/struct.pb-c.h"

/* ====================================================================== */
/* Header blob                                                            */
/* ====================================================================== */

static void json_str(evrec__buf *b, const char *s) {
  evrec__buf_putc(b, '"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                    : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
    char u[8];
    if (!esc && c < 0x20) {
      snprintf(u, sizeof u, "\\u%04x", c);
      esc = u;
    }
    if (esc) evrec__buf_puts(b, esc);
    else evrec__buf_putc(b, (char)c);
  }
  evrec__buf_putc(b, '"');
}

/* Appends the "EVRH" blob: magic, version, JSON, FileDescriptorSet. */
void evr__header_blob(evrec__buf *b, const char *type, const char *created,
                        char *const *keys, char *const *vals, size_t n,
                        const void *schema, size_t schema_len) {
  evrec__buf j;
  evrec__buf_init(&j);
  evrec__buf_puts(&j, "{\"formatVersion\":1,\"recordType\":");
  json_str(&j, type);
  evrec__buf_puts(&j, ",\"creator\":\"evrec " EVREC_VERSION_STRING "\",\"createdAt\":");
  json_str(&j, created);
  evrec__buf_puts(&j, ",\"metadata\":{");
  for (size_t i = 0; i < n; i++) {
    if (i) evrec__buf_putc(&j, ',');
    json_str(&j, keys[i]);
    evrec__buf_putc(&j, ':');
    json_str(&j, vals[i]);
  }
  evrec__buf_puts(&j, "}}");
  uint8_t fix[12] = {'E', 'V', 'R', 'H', 1, 0, 0, 0};
  put32(fix + 8, (uint32_t)j.len);
  evrec__buf_append(b, fix, sizeof fix);
  evrec__buf_append(b, j.data, j.len);
  put32(fix, (uint32_t)schema_len);
  evrec__buf_append(b, fix, 4);
  if (schema_len) evrec__buf_append(b, schema, schema_len);
  if (j.oom) b->oom = true;
  evrec__buf_free(&j);
}

static const char *value_str(const Google__Protobuf__Value *v) {
  return v && v->kind_case == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE ? v->string_value : NULL;
}

static int meta_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Copies the "metadata" object into key-sorted arrays in the arena. */
static int header_meta(evrec_container_header *h, const Google__Protobuf__Struct *s,
                       evrec_arena *a, char *why) {
  size_t n = s ? s->n_fields : 0;
  const char **pairs = evrec__arena_alloc(a, (2 * n + 1) * sizeof *pairs);
  const char **keys = evrec__arena_alloc(a, (n + 1) * sizeof *keys);
  const char **vals = evrec__arena_alloc(a, (n + 1) * sizeof *vals);
  if (!pairs || !keys || !vals) return EVREC_E_NOMEM;
  for (size_t i = 0; i < n; i++) {
    pairs[2 * i] = s->fields[i]->key;
    pairs[2 * i + 1] = value_str(s->fields[i]->value);
    if (!pairs[2 * i + 1])
      return evr__why_fail(why, EVREC_E_CORRUPT, "header metadata value is not a string");
  }
  qsort(pairs, n, 2 * sizeof *pairs, meta_cmp);
  for (size_t i = 0; i < n; i++) keys[i] = pairs[2 * i], vals[i] = pairs[2 * i + 1];
  h->meta_keys = keys;
  h->meta_values = vals;
  h->n_meta = n;
  return EVREC_OK;
}

/* One field of the header JSON. */
static int header_field(evrec_container_header *h, const Google__Protobuf__Struct__FieldsEntry *f,
                        evrec_arena *a, char *why) {
  const Google__Protobuf__Value *v = f->value;
  if (strcmp(f->key, "formatVersion") == 0) {
    if (!v || v->kind_case != GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE || v->number_value < 0 ||
        v->number_value > 255)
      return evr__why_fail(why, EVREC_E_CORRUPT, "header formatVersion is not a small number");
    h->format_version = (uint32_t)v->number_value;
  } else if (strcmp(f->key, "recordType") == 0) {
    h->record_type = value_str(v);
  } else if (strcmp(f->key, "creator") == 0) {
    h->creator = value_str(v);
  } else if (strcmp(f->key, "createdAt") == 0) {
    h->created_at = value_str(v);
  } else if (strcmp(f->key, "metadata") == 0) {
    if (!v || v->kind_case != GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE)
      return evr__why_fail(why, EVREC_E_CORRUPT, "header metadata is not an object");
    return header_meta(h, v->struct_value, a, why);
  } /* other keys: added by later versions, ignored */
  return EVREC_OK;
}

/* Parses the "EVRH" blob into *h; every pointer lands in the arena.
 * @return EVREC_OK, EVREC_E_CORRUPT (`why` says what is wrong) or
 *         EVREC_E_NOMEM. */
int evr__header_parse(evrec_container_header *h, const uint8_t *b, size_t len,
                        evrec_arena *a, char *why) {
  memset(h, 0, sizeof *h);
  if (!evr__blob_unseal(b, &len))
    return evr__why_fail(why, EVREC_E_CORRUPT, "header checksum mismatch");
  if (len < 12 || memcmp(b, "EVRH", 4) != 0)
    return evr__why_fail(why, EVREC_E_CORRUPT, "bad header magic");
  if (b[4] > EVREC_CONTAINER_VERSION)
    return evr__why_fail(why, EVREC_E_CORRUPT, "header version %u is newer than supported", b[4]);
  size_t jl = le32(b + 8);
  if (jl > len - 12 || len - 12 - jl < 4 || le32(b + 12 + jl) != len - 16 - jl)
    return evr__why_fail(why, EVREC_E_CORRUPT, "header lengths do not add up");
  char *json = evrec__arena_strndup(a, (const char *)b + 12, jl);
  void *schema = evrec__arena_alloc(a, len - 16 - jl);
  if (!json || !schema) return EVREC_E_NOMEM;
  memcpy(schema, b + 16 + jl, len - 16 - jl);
  ProtobufCMessage *m = NULL;
  evrec_error e;
  int rc = evrec_json_decode(&m, &google__protobuf__struct__descriptor, json, jl, a, NULL, &e);
  if (rc == EVREC_E_NOMEM) return rc;
  if (rc) return evr__why_fail(why, EVREC_E_CORRUPT, "header JSON: %.80s", e.message);
  const Google__Protobuf__Struct *s = (const Google__Protobuf__Struct *)m;
  for (size_t i = 0; i < s->n_fields; i++)
    if ((rc = header_field(h, s->fields[i], a, why)) != EVREC_OK) return rc;
  if (!h->record_type || !h->meta_keys)
    return evr__why_fail(why, EVREC_E_CORRUPT, "header lacks recordType or metadata");
  h->json = json;
  h->json_len = jl;
  h->schema = schema;
  h->schema_len = len - 16 - jl;
  if (!h->creator) h->creator = "";
  if (!h->created_at) h->created_at = "";
  return EVREC_OK;
}

