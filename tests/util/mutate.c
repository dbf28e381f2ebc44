/*
 * mutate.c -- seeded random edits of a message (see mutate.h).
 *
 * The walk picks a place by descending from the root: at each message, with
 * a chance it stops there, else it steps into a random present sub-message
 * (singular, element or map value; not into well-known types). Arrays are
 * never edited in place: an edit builds a new array in the arena, so the
 * original message (and the donor) stay as they were.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mutate.h"
#include "randmsg.h"

typedef struct mgen {
  uint64_t state;
  evrec_arena *a;
  unsigned serial; /* fresh entity ids */
  bool ok;
} mgen;

static uint64_t next(mgen *g) {
  uint64_t z = (g->state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static size_t below(mgen *g, size_t n) { return n ? (size_t)(next(g) % n) : 0; }

static void *alloc(mgen *g, size_t n) {
  void *p = evrec__arena_alloc(g->a, n ? n : 1);
  if (!p) g->ok = false;
  return p;
}

static size_t *count_of(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  return (size_t *)evrec__quant_ptr(m, f);
}

static char **array_of(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  return (char **)evrec__field_ptr(m, f);
}

static const ProtobufCFieldDescriptor *id_field(const ProtobufCMessageDescriptor *d) {
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, "id");
  return f && f->type == PROTOBUF_C_TYPE_STRING && f->label == PROTOBUF_C_LABEL_NONE &&
                 !evrec__is_oneof(f)
             ? f
             : NULL;
}

static bool is_entity_list(const ProtobufCFieldDescriptor *f) {
  return f->label == PROTOBUF_C_LABEL_REPEATED && f->type == PROTOBUF_C_TYPE_MESSAGE &&
         !evrec__field_is_map(f) && id_field(f->descriptor);
}

/* A message of the same type with random content. */
static ProtobufCMessage *donor(mgen *g, const ProtobufCMessageDescriptor *d) {
  randmsg_options o = RANDMSG_OPTIONS_INIT;
  o.fill_percent = 90;
  o.max_depth = 2;
  ProtobufCMessage *m = randmsg_new(d, next(g), g->a, &o);
  if (!m) g->ok = false;
  return m;
}

/* Copies field f (slot and quantifier) from src into m; for a oneof, the
 * member src has set (if any), whichever it is. */
static void copy_field(ProtobufCMessage *m, const ProtobufCMessage *src,
                       const ProtobufCFieldDescriptor *f) {
  if (evrec__is_oneof(f)) {
    uint32_t c = *(const uint32_t *)evrec__quant_ptr(src, f);
    const ProtobufCFieldDescriptor *g =
        c ? protobuf_c_message_descriptor_get_field(src->descriptor, c) : NULL;
    if (g) memcpy((char *)m + g->offset, (const char *)src + g->offset, evrec__sizeof_type(g->type));
    *(uint32_t *)evrec__quant_ptr(m, f) = g ? c : 0;
    return;
  }
  bool rep = f->label == PROTOBUF_C_LABEL_REPEATED;
  memcpy((char *)m + f->offset, (const char *)src + f->offset,
         rep ? sizeof(void *) : evrec__sizeof_type(f->type));
  if (rep) *count_of(m, f) = *(const size_t *)evrec__quant_ptr(src, f);
}

/* ---------------------------------------------------------------- lists */

/* A copy of f's array with room for one more element. */
static char *array_copy(mgen *g, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  size_t n = *count_of(m, f), size = evrec__sizeof_type(f->type);
  char *v = alloc(g, (n + 1) * size);
  if (v && n) memcpy(v, *array_of(m, f), n * size);
  return v;
}

/* Gives an entity a fresh id (the donor's element is ours to change). */
static void fresh_id(mgen *g, ProtobufCMessage *e) {
  const ProtobufCFieldDescriptor *idf = id_field(e->descriptor);
  char *id = alloc(g, 24);
  if (!id || !idf) return;
  snprintf(id, 24, "new%u", g->serial++);
  *(char **)evrec__field_ptr(e, idf) = id;
}

static void list_insert(mgen *g, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  ProtobufCMessage *d = donor(g, m->descriptor);
  size_t dn = d ? *count_of(d, f) : 0, n = *count_of(m, f), size = evrec__sizeof_type(f->type);
  char *v = dn ? array_copy(g, m, f) : NULL;
  if (!v) return;
  size_t at = below(g, n + 1);
  memmove(v + (at + 1) * size, v + at * size, (n - at) * size);
  memcpy(v + at * size, *array_of(d, f) + below(g, dn) * size, size);
  if (is_entity_list(f)) fresh_id(g, *(ProtobufCMessage **)(v + at * size));
  *array_of(m, f) = v;
  *count_of(m, f) = n + 1;
}

static void list_delete(mgen *g, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  size_t n = *count_of(m, f), size = evrec__sizeof_type(f->type);
  char *v = n ? array_copy(g, m, f) : NULL;
  if (!v) return;
  size_t at = below(g, n);
  memmove(v + at * size, v + (at + 1) * size, (n - at - 1) * size);
  *array_of(m, f) = v;
  *count_of(m, f) = n - 1;
}

static void list_shuffle(mgen *g, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f,
                         bool all) {
  size_t n = *count_of(m, f), size = evrec__sizeof_type(f->type);
  char *v = n > 1 ? array_copy(g, m, f) : NULL, t[64];
  if (!v || size > sizeof t) return;
  for (size_t i = n - 1; i > 0; i--) {
    size_t j = below(g, i + 1);
    memcpy(t, v + i * size, size);
    memcpy(v + i * size, v + j * size, size);
    memcpy(v + j * size, t, size);
    if (!all) break; /* one swap */
  }
  *array_of(m, f) = v;
}

static void list_replace(mgen *g, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  ProtobufCMessage *d = donor(g, m->descriptor);
  size_t dn = d ? *count_of(d, f) : 0, n = *count_of(m, f), size = evrec__sizeof_type(f->type);
  char *v = n && dn ? array_copy(g, m, f) : NULL;
  if (!v || is_entity_list(f)) return; /* an entity keeps its id: edits go inside */
  memcpy(v + below(g, n) * size, *array_of(d, f) + below(g, dn) * size, size);
  *array_of(m, f) = v;
}

/* ---------------------------------------------------------------- maps */

static bool same_key(const ProtobufCFieldDescriptor *kf, const ProtobufCMessage *x,
                     const ProtobufCMessage *y) {
  const void *a = evrec__field_ptr(x, kf), *b = evrec__field_ptr(y, kf);
  if (kf->type == PROTOBUF_C_TYPE_STRING)
    return strcmp(*(char *const *)a ? *(char *const *)a : "", *(char *const *)b ? *(char *const *)b : "") == 0;
  if (kf->type == PROTOBUF_C_TYPE_BOOL)
    return !*(const protobuf_c_boolean *)a == !*(const protobuf_c_boolean *)b;
  return memcmp(a, b, evrec__sizeof_type(kf->type)) == 0;
}

static void map_edit(mgen *g, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  const ProtobufCFieldDescriptor *kf = evrec__map_key(f->descriptor);
  const ProtobufCFieldDescriptor *vf = evrec__map_value(f->descriptor);
  size_t n = *count_of(m, f), what = below(g, 3);
  if (what == 0 && n) {
    list_delete(g, m, f);
    return;
  }
  ProtobufCMessage *d = donor(g, m->descriptor);
  size_t dn = d ? *count_of(d, f) : 0;
  if (!dn) return;
  ProtobufCMessage *de = ((ProtobufCMessage **)*array_of(d, f))[below(g, dn)];
  ProtobufCMessage **ents = (ProtobufCMessage **)*array_of(m, f);
  if (what == 1 && n) { /* a new value for an existing key */
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    ProtobufCMessage *e = alloc(g, ed->sizeof_message);
    if (!e) return;
    ProtobufCMessage **v = (ProtobufCMessage **)array_copy(g, m, f);
    if (!v) return;
    size_t at = below(g, n);
    memcpy(e, ents[at], ed->sizeof_message);
    copy_field(e, de, vf);
    v[at] = e;
    *array_of(m, f) = (char *)v;
    return;
  }
  for (size_t i = 0; i < n; i++)
    if (same_key(kf, ents[i], de)) return; /* keys stay unique */
  ProtobufCMessage **v = (ProtobufCMessage **)array_copy(g, m, f);
  if (!v) return;
  v[n] = de;
  *array_of(m, f) = (char *)v;
  *count_of(m, f) = n + 1;
}

/* ---------------------------------------------------------------- one edit */

static void edit_field(mgen *g, ProtobufCMessage *m, const ProtobufCFieldDescriptor *f) {
  if (f->label != PROTOBUF_C_LABEL_REPEATED) {
    ProtobufCMessage *src = below(g, 3) ? donor(g, m->descriptor) : NULL;
    if (!src) {
      src = alloc(g, m->descriptor->sizeof_message);
      if (src) m->descriptor->message_init(src); /* cleared */
    }
    if (src) copy_field(m, src, f);
    return;
  }
  if (evrec__field_is_map(f)) {
    map_edit(g, m, f);
    return;
  }
  switch (below(g, is_entity_list(f) ? 5 : 4)) {
  case 0: list_insert(g, m, f); break;
  case 1: list_delete(g, m, f); break;
  case 2: list_shuffle(g, m, f, false); break;
  case 3: list_replace(g, m, f); break;
  default: list_shuffle(g, m, f, true); break;
  }
}

/* The present sub-messages of m that an edit may go into. */
static size_t children(ProtobufCMessage *m, ProtobufCMessage **out, size_t cap) {
  const ProtobufCMessageDescriptor *d = m->descriptor;
  size_t k = 0;
  for (unsigned i = 0; i < d->n_fields && k < cap; i++) {
    const ProtobufCFieldDescriptor *f = &d->fields[i];
    if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
      if (evrec__is_oneof(f) && *(uint32_t *)evrec__quant_ptr(m, f) != f->id) continue;
      ProtobufCMessage *c = *(ProtobufCMessage **)evrec__field_ptr(m, f);
      if (c && evrec__wkt_of(c->descriptor) == EVREC__WKT_NONE) out[k++] = c;
      continue;
    }
    bool map = evrec__field_is_map(f);
    const ProtobufCFieldDescriptor *vf = map ? evrec__map_value(f->descriptor) : NULL;
    if (map && vf->type != PROTOBUF_C_TYPE_MESSAGE) continue;
    size_t n = *count_of(m, f);
    ProtobufCMessage **v = (ProtobufCMessage **)*array_of(m, f);
    for (size_t j = 0; j < n && k < cap; j++) {
      ProtobufCMessage *c = v[j];
      if (c && map) c = *(ProtobufCMessage **)evrec__field_ptr(c, vf);
      if (c && evrec__wkt_of(c->descriptor) == EVREC__WKT_NONE) out[k++] = c;
    }
  }
  return k;
}

static void edit_somewhere(mgen *g, ProtobufCMessage *root, bool keep_id) {
  ProtobufCMessage *m = root, *kids[64];
  size_t k;
  while (below(g, 3) && (k = children(m, kids, 64)) > 0) m = kids[below(g, k)];
  const ProtobufCMessageDescriptor *d = m->descriptor;
  if (!d->n_fields) return;
  const ProtobufCFieldDescriptor *f = &d->fields[below(g, d->n_fields)];
  if (m == root && keep_id && f == id_field(d)) return;
  if (m != root && f == id_field(d)) return; /* entities keep their ids */
  edit_field(g, m, f);
}

ProtobufCMessage *mutate_message(const ProtobufCMessage *m, uint64_t seed, unsigned n,
                                 bool keep_id, evrec_arena *a) {
  size_t len = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(len ? len : 1);
  ProtobufCMessage *copy = NULL;
  if (!buf) return NULL;
  protobuf_c_message_pack(m, buf);
  int rc = evrec_pb_decode(&copy, m->descriptor, buf, len, a, NULL);
  free(buf);
  if (rc) return NULL;
  mgen g = {seed, a, 0, true};
  for (unsigned i = 0; i < n && g.ok; i++) edit_somewhere(&g, copy, keep_id);
  return g.ok ? copy : NULL;
}
