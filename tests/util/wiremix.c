/*
 * wiremix.c -- merge-heavy re-encodings of a message (see wiremix.h).
 *
 * One level at a time: the fields of a message body are cut into chunks
 * (one occurrence, or a decoy, or a piece of a packed run), each tagged
 * with its ordering group (the field number; for oneof members the oneof),
 * written into a scratch buffer, then copied out in a random interleaving
 * that keeps each group's order. Sub-messages are mixed before their chunk
 * is made, so that their lengths are final.
 */
#include "util/wiremix.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { WT_VARINT = 0, WT_64BIT = 1, WT_LEN = 2, WT_32BIT = 5 };

typedef struct wbuf {
  uint8_t *p;
  size_t len, cap;
  bool oom;
} wbuf;

typedef struct chunk {
  size_t off, len;
  uint64_t group;
} chunk;

typedef struct mixer {
  uint64_t state; /* splitmix64 */
  unsigned percent;
} mixer;

static uint64_t rnd(mixer *x) {
  uint64_t z = (x->state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static bool chance(mixer *x) { return rnd(x) % 100 < x->percent; }

/* ---------------------------------------------------------------- buffers */

static void put(wbuf *b, const void *p, size_t n) {
  if (b->oom) return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->len + n) cap *= 2;
    uint8_t *q = realloc(b->p, cap);
    if (!q) {
      b->oom = true;
      return;
    }
    b->p = q;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, p, n);
  b->len += n;
}

static void put_varint(wbuf *b, uint64_t v) {
  uint8_t t[10];
  size_t n = 0;
  while (v >= 0x80) {
    t[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  t[n++] = (uint8_t)v;
  put(b, t, n);
}

static void put_tag(wbuf *b, uint32_t num, int wt) { put_varint(b, (uint64_t)num << 3 | (unsigned)wt); }

static void put_len_field(wbuf *b, uint32_t num, const uint8_t *body, size_t n) {
  put_tag(b, num, WT_LEN);
  put_varint(b, n);
  put(b, body, n);
}

/* ---------------------------------------------------------------- reading */

static const uint8_t *get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned i = 0; i < 10 && p < end; i++) {
    uint8_t c = *p++;
    x |= (uint64_t)(c & 0x7f) << (7 * i);
    if (c < 0x80) {
      *v = x;
      return p;
    }
  }
  return NULL;
}

/* One field at p: number, wire type, value [*v, *vend), end of the field. */
static const uint8_t *get_field(const uint8_t *p, const uint8_t *end, uint32_t *num, int *wt,
                                const uint8_t **v, const uint8_t **vend) {
  uint64_t t, len;
  if (!(p = get_varint(p, end, &t))) return NULL;
  *num = (uint32_t)(t >> 3);
  *wt = (int)(t & 7);
  switch (*wt) {
  case WT_VARINT:
    *v = p;
    if (!(p = get_varint(p, end, &len))) return NULL;
    break;
  case WT_64BIT: *v = p; p += 8; break;
  case WT_32BIT: *v = p; p += 4; break;
  case WT_LEN:
    if (!(p = get_varint(p, end, &len)) || len > (uint64_t)(end - p)) return NULL;
    *v = p;
    p += len;
    break;
  default: return NULL;
  }
  if (p > end) return NULL;
  *vend = p;
  return p;
}

/* ---------------------------------------------------------------- types */

static int wire_type_of(ProtobufCType t) {
  switch (t) {
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_DOUBLE: return WT_64BIT;
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_FLOAT: return WT_32BIT;
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_BYTES:
  case PROTOBUF_C_TYPE_MESSAGE: return WT_LEN;
  default: return WT_VARINT;
  }
}

/* A map field: repeated message of a nested "...Entry" type with exactly
 * key = 1 and value = 2 (what protoc-c generates for map<K, V>). */
static bool is_map(const ProtobufCFieldDescriptor *f) {
  if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE) return false;
  const ProtobufCMessageDescriptor *e = f->descriptor;
  size_t n = strlen(e->short_name);
  return e->n_fields == 2 && e->fields[0].id == 1 && e->fields[1].id == 2 && n > 5 &&
         strcmp(e->short_name + n - 5, "Entry") == 0;
}

/* A decoy value of field f's type: in range, strings of letters. */
static void put_decoy(mixer *x, wbuf *b, const ProtobufCFieldDescriptor *f) {
  uint64_t r = rnd(x);
  put_tag(b, f->id, wire_type_of(f->type));
  switch (f->type) {
  case PROTOBUF_C_TYPE_INT32:
  case PROTOBUF_C_TYPE_ENUM: put_varint(b, (uint64_t)(int64_t)(int32_t)(uint32_t)r); break;
  case PROTOBUF_C_TYPE_UINT32:
  case PROTOBUF_C_TYPE_SINT32: put_varint(b, (uint32_t)r); break;
  case PROTOBUF_C_TYPE_BOOL: put_varint(b, r & 1); break;
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_SINT64: put_varint(b, r >> (r % 64)); break;
  case PROTOBUF_C_TYPE_FIXED32:
  case PROTOBUF_C_TYPE_SFIXED32:
  case PROTOBUF_C_TYPE_FLOAT: put(b, &r, 4); break;
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_DOUBLE: put(b, &r, 8); break;
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_BYTES: {
    uint8_t s[6];
    size_t n = (r >> 8) % 6;
    for (size_t i = 0; i < n; i++) s[i] = (uint8_t)('a' + (r >> (12 + 4 * i)) % 26);
    put_varint(b, n);
    put(b, s, n);
    break;
  }
  case PROTOBUF_C_TYPE_MESSAGE: put_varint(b, 0); break; /* only as another oneof member */
  }
}

/* ---------------------------------------------------------------- levels */

static void mix_message(mixer *x, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                        const uint8_t *end, wbuf *out);

typedef struct level {
  mixer *x;
  wbuf tmp;
  chunk *ch;
  size_t n, cap;
  bool oom;
} level;

/* Closes the chunk that started at tmp offset `off`. */
static void chunk_end(level *l, size_t off, uint64_t group) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    chunk *c = realloc(l->ch, cap * sizeof *c);
    if (!c) {
      l->oom = true;
      return;
    }
    l->ch = c;
    l->cap = cap;
  }
  l->ch[l->n++] = (chunk){off, l->tmp.len - off, group};
}

/* The mixed body of a sub-message in a malloc'd buffer. */
static wbuf mixed_body(mixer *x, const ProtobufCMessageDescriptor *d, const uint8_t *v,
                       const uint8_t *vend) {
  wbuf b = {0};
  mix_message(x, d, v, vend, &b);
  return b;
}

/* A singular message field: mixed, and maybe cut in two at a field
 * boundary of its body (two chunks of one group). */
static void do_submessage(level *l, const ProtobufCFieldDescriptor *f, const uint8_t *v,
                          const uint8_t *vend, uint64_t group) {
  wbuf b = mixed_body(l->x, f->descriptor, v, vend);
  l->oom |= b.oom;
  size_t cut = b.len;
  if (chance(l->x)) { /* a random field boundary, 0 and the end included */
    size_t k = 0, pick;
    const uint8_t *q = b.p, *e = b.p + b.len, *vv, *ve;
    uint32_t num;
    int wt;
    while (q && q < e && (q = get_field(q, e, &num, &wt, &vv, &ve))) k++;
    pick = (size_t)(rnd(l->x) % (k + 1));
    q = b.p;
    for (size_t i = 0; i < pick; i++) q = get_field(q, e, &num, &wt, &vv, &ve);
    cut = (size_t)(q - b.p);
  }
  size_t off = l->tmp.len;
  put_len_field(&l->tmp, f->id, b.p, cut);
  chunk_end(l, off, group);
  if (cut < b.len) {
    off = l->tmp.len;
    put_len_field(&l->tmp, f->id, b.p + cut, b.len - cut);
    chunk_end(l, off, group);
  }
  free(b.p);
}

/* A map entry: mixed, maybe after a decoy entry holding only its key. */
static void do_entry(level *l, const ProtobufCFieldDescriptor *f, const uint8_t *v,
                     const uint8_t *vend) {
  if (chance(l->x)) {
    const uint8_t *q = v, *kv = NULL, *ke = NULL, *vv, *ve, *start;
    uint32_t num;
    int wt;
    while (q < vend && (start = q, q = get_field(q, vend, &num, &wt, &vv, &ve)))
      if (num == 1) kv = start, ke = q;
    size_t off = l->tmp.len;
    put_len_field(&l->tmp, f->id, kv, kv ? (size_t)(ke - kv) : 0);
    chunk_end(l, off, f->id);
  }
  wbuf b = mixed_body(l->x, f->descriptor, v, vend);
  l->oom |= b.oom;
  size_t off = l->tmp.len;
  put_len_field(&l->tmp, f->id, b.p, b.len);
  chunk_end(l, off, f->id);
  free(b.p);
}

/* A packed run: kept, unpacked, or cut into packed | single | packed. */
static void do_packed(level *l, const ProtobufCFieldDescriptor *f, const uint8_t *v,
                      const uint8_t *vend) {
  int wt = wire_type_of(f->type);
  const uint8_t *el[4096 + 1];
  size_t k = 0;
  for (const uint8_t *q = v; q < vend && k < 4096;) {
    uint64_t dummy;
    el[k++] = q;
    q = wt == WT_VARINT ? get_varint(q, vend, &dummy) : q + (wt == WT_64BIT ? 8 : 4);
    if (!q) return;
    el[k] = q;
  }
  if (k == 0 || k >= 4096 || !chance(l->x)) {
    size_t off = l->tmp.len;
    put_len_field(&l->tmp, f->id, v, (size_t)(vend - v));
    chunk_end(l, off, f->id);
    return;
  }
  size_t a = (size_t)(rnd(l->x) % (k + 1)), b = a + (size_t)(rnd(l->x) % (k - a + 1));
  if (rnd(l->x) % 2) a = 0, b = k; /* all single */
  size_t off = l->tmp.len;
  if (a > 0) {
    put_len_field(&l->tmp, f->id, el[0], (size_t)(el[a] - el[0]));
    chunk_end(l, off, f->id);
  }
  for (size_t i = a; i < b; i++) {
    off = l->tmp.len;
    put_tag(&l->tmp, f->id, wt);
    put(&l->tmp, el[i], (size_t)(el[i + 1] - el[i]));
    chunk_end(l, off, f->id);
  }
  if (b < k) {
    off = l->tmp.len;
    put_len_field(&l->tmp, f->id, el[b], (size_t)(el[k] - el[b]));
    chunk_end(l, off, f->id);
  }
}

/* A decoy of field f, or (in a oneof) of any member of its oneof. */
static void do_decoy(level *l, const ProtobufCMessageDescriptor *d,
                     const ProtobufCFieldDescriptor *f, uint64_t group) {
  const ProtobufCFieldDescriptor *df = f;
  if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
    const ProtobufCFieldDescriptor *m[64];
    size_t k = 0;
    for (unsigned i = 0; i < d->n_fields && k < 64; i++)
      if ((d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
          d->fields[i].quantifier_offset == f->quantifier_offset)
        m[k++] = &d->fields[i];
    df = m[rnd(l->x) % k];
  } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
    return; /* a message decoy would merge, not lose */
  }
  size_t off = l->tmp.len;
  put_decoy(l->x, &l->tmp, df);
  chunk_end(l, off, group);
}

static void mix_field(level *l, const ProtobufCMessageDescriptor *d, const uint8_t *start,
                      uint32_t num, int wt, const uint8_t *v, const uint8_t *vend) {
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, num);
  bool oneof = f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF);
  uint64_t group = oneof ? (uint64_t)1 << 40 | f->quantifier_offset : num;
  if (f && f->label != PROTOBUF_C_LABEL_REPEATED && chance(l->x)) do_decoy(l, d, f, group);
  if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && wt == WT_LEN) {
    if (f->label != PROTOBUF_C_LABEL_REPEATED) {
      do_submessage(l, f, v, vend, group);
      return;
    }
    if (is_map(f)) {
      do_entry(l, f, v, vend);
      return;
    }
    wbuf b = mixed_body(l->x, f->descriptor, v, vend);
    l->oom |= b.oom;
    size_t off = l->tmp.len;
    put_len_field(&l->tmp, f->id, b.p, b.len);
    chunk_end(l, off, group);
    free(b.p);
    return;
  }
  if (f && f->label == PROTOBUF_C_LABEL_REPEATED && wt == WT_LEN && wire_type_of(f->type) != WT_LEN) {
    do_packed(l, f, v, vend);
    return;
  }
  size_t off = l->tmp.len;
  put(&l->tmp, start, (size_t)(vend - start));
  chunk_end(l, off, group);
}

static void mix_message(mixer *x, const ProtobufCMessageDescriptor *d, const uint8_t *p,
                        const uint8_t *end, wbuf *out) {
  level l = {x, {0}, NULL, 0, 0, false};
  const uint8_t *v, *vend;
  uint32_t num;
  int wt;
  while (p < end) {
    const uint8_t *start = p;
    if (!(p = get_field(p, end, &num, &wt, &v, &vend))) { /* not canonical: copy the rest */
      size_t off = l.tmp.len;
      put(&l.tmp, start, (size_t)(end - start));
      chunk_end(&l, off, UINT64_MAX);
      break;
    }
    mix_field(&l, d, start, num, wt, v, vend);
  }
  /* Interleave: shuffle the chunks, then give each position the next
   * unwritten chunk of the group drawn there, so groups keep their order. */
  size_t *perm = malloc((l.n + 1) * sizeof *perm);
  bool *done = calloc(l.n + 1, 1);
  if (!perm || !done) l.oom = true;
  for (size_t i = 0; perm && i < l.n; i++) perm[i] = i;
  for (size_t i = l.n; perm && i > 1; i--) {
    size_t j = (size_t)(rnd(x) % i), t = perm[i - 1];
    perm[i - 1] = perm[j];
    perm[j] = t;
  }
  for (size_t k = 0; perm && done && k < l.n; k++) {
    size_t i = 0;
    while (done[i] || l.ch[i].group != l.ch[perm[k]].group) i++;
    done[i] = true;
    put(out, l.tmp.p + l.ch[i].off, l.ch[i].len);
  }
  free(perm);
  free(done);
  out->oom |= l.oom || l.tmp.oom;
  free(l.ch);
  free(l.tmp.p);
}

uint8_t *wiremix(const ProtobufCMessageDescriptor *d, const uint8_t *in, size_t len,
                 uint64_t seed, unsigned percent, size_t *out_len) {
  mixer x = {seed, percent};
  wbuf out = {0};
  mix_message(&x, d, in, in + len, &out);
  put(&out, "", 0);
  if (out.oom || (!out.p && !(out.p = malloc(1)))) {
    free(out.p);
    return NULL;
  }
  *out_len = out.len;
  return out.p;
}
