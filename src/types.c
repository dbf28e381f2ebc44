/*
 * types.c -- evrec_types, the registry of message types that
 * google.protobuf.Any values may carry.
 *
 * A registry is built once (evrec_types_new) and never changes, so that one
 * registry can serve the decode and encode options, readers and writers of
 * any number of threads without a lock. It is a flat array of descriptors
 * sorted by full name, looked up by bisection with a name slice (the part
 * of an Any type URL after its last '/', which is not NUL-terminated).
 *
 * Registering a type registers every message type reachable through its
 * fields too (breadth-first over PROTOBUF_C_TYPE_MESSAGE fields, each
 * descriptor once): a caller lists the messages it puts into Any, not
 * their parts. Two different descriptors with one full name (two copies of
 * generated code) are refused: which one an Any value means would depend on
 * the order of registration.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct evrec_types {
  size_t n;
  const ProtobufCMessageDescriptor *desc[]; /* sorted by full name, unique */
};

/* A growing list of descriptors, for building. */
typedef struct types_list {
  const ProtobufCMessageDescriptor **d;
  size_t n, cap;
} types_list;

static bool list_has(const types_list *l, const ProtobufCMessageDescriptor *d) {
  for (size_t i = 0; i < l->n; i++)
    if (l->d[i] == d) return true;
  return false;
}

static bool list_push(types_list *l, const ProtobufCMessageDescriptor *d) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    const ProtobufCMessageDescriptor **p = realloc(l->d, cap * sizeof *p);
    if (!p) return false;
    l->d = p;
    l->cap = cap;
  }
  l->d[l->n++] = d;
  return true;
}

static bool is_message_desc(const ProtobufCMessageDescriptor *d) {
  return d && d->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC && d->name;
}

/* Adds d and, breadth-first, every message type its fields reach. The
 * list itself is the queue: entries after `done` still have their fields
 * to visit. */
static int list_add_closure(types_list *l, const ProtobufCMessageDescriptor *d, evrec_error *err) {
  if (list_has(l, d)) return EVREC_OK;
  size_t done = l->n;
  if (!list_push(l, d)) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
  for (; done < l->n; done++) {
    const ProtobufCMessageDescriptor *m = l->d[done];
    for (unsigned i = 0; i < m->n_fields; i++) {
      const ProtobufCFieldDescriptor *f = &m->fields[i];
      const ProtobufCMessageDescriptor *sub = f->descriptor;
      if (f->type != PROTOBUF_C_TYPE_MESSAGE || list_has(l, sub)) continue;
      if (!is_message_desc(sub))
        return evrec__err(err, EVREC_E_INVALID_ARG, "field %s.%s has no message descriptor",
                          m->name, f->name);
      if (!list_push(l, sub)) return evrec__err(err, EVREC_E_NOMEM, "out of memory");
    }
  }
  return EVREC_OK;
}

static int by_name(const void *a, const void *b) {
  const ProtobufCMessageDescriptor *x = *(const ProtobufCMessageDescriptor *const *)a;
  const ProtobufCMessageDescriptor *y = *(const ProtobufCMessageDescriptor *const *)b;
  return strcmp(x->name, y->name);
}

int evrec_types_new(evrec_types **out, const ProtobufCMessageDescriptor *const *descs, size_t n,
                    evrec_error *err) {
  if (out) *out = NULL;
  if (!out || (!descs && n))
    return evrec__err(err, EVREC_E_INVALID_ARG, "evrec_types_new: NULL argument");
  types_list l = {NULL, 0, 0};
  int rc = EVREC_OK;
  for (size_t i = 0; i < n && rc == EVREC_OK; i++) {
    if (!is_message_desc(descs[i]))
      rc = evrec__err(err, EVREC_E_INVALID_ARG, "type %zu is not a message descriptor", i);
    else
      rc = list_add_closure(&l, descs[i], err);
  }
  if (rc == EVREC_OK && l.n > 1) qsort(l.d, l.n, sizeof *l.d, by_name);
  for (size_t i = 1; i < l.n && rc == EVREC_OK; i++)
    if (strcmp(l.d[i - 1]->name, l.d[i]->name) == 0)
      rc = evrec__err(err, EVREC_E_INVALID_ARG,
                      "two different descriptors of type %.100s (two copies of its generated code?)",
                      l.d[i]->name);
  evrec_types *t = NULL;
  if (rc == EVREC_OK && !(t = malloc(sizeof *t + l.n * sizeof t->desc[0])))
    rc = evrec__err(err, EVREC_E_NOMEM, "out of memory");
  if (rc == EVREC_OK) {
    t->n = l.n;
    if (l.n) memcpy(t->desc, l.d, l.n * sizeof t->desc[0]);
    *out = t;
  }
  free(l.d);
  return rc;
}

void evrec_types_free(evrec_types *types) { free(types); }

size_t evrec_types_count(const evrec_types *types) { return types ? types->n : 0; }

/* strcmp of a NUL-terminated name against a slice that may hold NUL bytes. */
static int cmp_slice(const char *name, const char *s, size_t len) {
  size_t n = strlen(name);
  int c = memcmp(name, s, n < len ? n : len);
  return c ? c : n < len ? -1 : n > len ? 1 : 0;
}

const ProtobufCMessageDescriptor *evrec__types_lookup(const evrec_types *t, const char *name,
                                                     size_t len) {
  size_t lo = 0, hi = t ? t->n : 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp_slice(t->desc[mid]->name, name, len);
    if (c == 0) return t->desc[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

const ProtobufCMessageDescriptor *evrec_types_find(const evrec_types *types, const char *name) {
  if (!name) return NULL;
  const char *slash = strrchr(name, '/');
  if (slash) name = slash + 1;
  return evrec__find_type(name, strlen(name), types, NULL, 0);
}
