/*
 * imp_wire.h -- protobuf wire format written by hand, for an importer that
 * encodes its records straight from the rows it reads (import_gdelt.c)
 * instead of building protobuf-c messages for the generic packer: on GDELT
 * rows, building and packing the messages cost more than everything else.
 *
 * The caller writes fields in field-number order, following proto3's
 * rules, which makes the bytes src/pack.c (and protobuf-c) would produce
 * for the same record:
 *   - a field without presence is left out when zero or empty: wire_str(),
 *     wire_uint(), wire_double();
 *   - a repeated element, and a message field that is set, is written even
 *     when empty: wire_bytes(), wire_open() ... wire_close().
 * A sub-message is written in place: wire_open() writes its tag and a
 * one-byte length slot, wire_close() fills the slot in once the body is
 * known, moving the body up when its length needs more than one byte (as
 * pack.c does; most bodies are shorter than 128 bytes and never move).
 *
 * A `wire` writes into an evrec__buf through a cursor and the end of the
 * room reserved, as pack.c's `pk` does: inlined into the encoder, the two
 * stay in registers and a write checks its room with one compare. b->len
 * is stale between wire_start() and wire_finish(). Running out of memory
 * is sticky in the buffer (b->oom): every later write is dropped, so
 * callers check once, when the record is done.
 */
#ifndef EVREC_IMP_WIRE_H
#define EVREC_IMP_WIRE_H

#include <stdint.h>
#include <string.h>

#include "imp.h"      /* IMP_INLINE */
#include "internal.h" /* src/: evrec__buf */

/* A tag or a length takes at most 10 bytes; a tag, a length and a fixed64
 * or varint value fit in this much room. */
#define WIRE_FIELD_MAX 24

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2 };

typedef struct wire {
  uint8_t *p;     /* next byte; NULL once out of memory */
  uint8_t *end;   /* end of the room */
  evrec__buf *b;
} wire;

/* Starts writing at the end of b's contents. */
void wire_start(wire *w, evrec__buf *b);
/* Brings b->len up to date. */
void wire_finish(wire *w);
/* Makes room for n more bytes (imp.c). @return false once out of memory. */
bool wire_grow(wire *w, size_t n);

IMP_INLINE bool wire_room(wire *w, size_t n) {
  return EVREC__LIKELY(w->p && (size_t)(w->end - w->p) >= n) || wire_grow(w, n);
}

IMP_INLINE uint8_t *wire_varint_at(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

/* memcpy() for the short strings records are made of (most are under 32
 * bytes, where a call costs more than the copy: map keys such as
 * "evrec/gdelt.num_mentions" are 24): two overlapping loads and stores of
 * 16, 8 or 4 bytes, never past either end. */
IMP_INLINE void wire_copy(uint8_t *d, const void *src, size_t n) {
  const uint8_t *s = src;
  if (n > 32) {
    memcpy(d, s, n);
  } else if (n >= 16) {
    uint8_t a[16], z[16];
    memcpy(a, s, 16), memcpy(z, s + n - 16, 16);
    memcpy(d, a, 16), memcpy(d + n - 16, z, 16);
  } else if (n >= 8) {
    uint64_t a, z;
    memcpy(&a, s, 8), memcpy(&z, s + n - 8, 8);
    memcpy(d, &a, 8), memcpy(d + n - 8, &z, 8);
  } else if (n >= 4) {
    uint32_t a, z;
    memcpy(&a, s, 4), memcpy(&z, s + n - 4, 4);
    memcpy(d, &a, 4), memcpy(d + n - 4, &z, 4);
  } else if (n) {
    d[0] = s[0], d[n / 2] = s[n / 2], d[n - 1] = s[n - 1];
  }
}

/* Bytes as they are (an encoded message, with its tag). */
IMP_INLINE void wire_raw(wire *w, const void *s, size_t n) {
  if (!wire_room(w, n)) return;
  wire_copy(w->p, s, n);
  w->p += n;
}

/* A length-delimited field whose bytes are a[0..na) then z[0..nz), written
 * even when empty. */
IMP_INLINE void wire_bytes2(wire *w, unsigned field, const void *a, size_t na, const void *z,
                            size_t nz) {
  if (!wire_room(w, na + nz + WIRE_FIELD_MAX)) return;
  uint8_t *p = wire_varint_at(w->p, (uint64_t)field << 3 | WIRE_LEN);
  p = wire_varint_at(p, na + nz);
  wire_copy(p, a, na);
  wire_copy(p + na, z, nz);
  w->p = p + na + nz;
}

/* A length-delimited field of n bytes, written even when empty. */
IMP_INLINE void wire_bytes(wire *w, unsigned field, const void *s, size_t n) {
  if (!wire_room(w, n + WIRE_FIELD_MAX)) return;
  uint8_t *p = wire_varint_at(w->p, (uint64_t)field << 3 | WIRE_LEN);
  p = wire_varint_at(p, n);
  wire_copy(p, s, n);
  w->p = p + n;
}

static inline size_t wire_varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) v >>= 7, n++;
  return n;
}

/* A message of two strings without presence, fields 1 and 2 (ExternalId,
 * Code, a map<string, string> entry), as an element of `field`: its length
 * is known up front, so no slot is filled in afterwards. */
IMP_INLINE void wire_pair(wire *w, unsigned field, const char *a, size_t na, const char *z,
                          size_t nz) {
  size_t len = (na ? 1 + wire_varint_size(na) + na : 0) + (nz ? 1 + wire_varint_size(nz) + nz : 0);
  if (!wire_room(w, len + WIRE_FIELD_MAX)) return;
  uint8_t *p = wire_varint_at(w->p, (uint64_t)field << 3 | WIRE_LEN);
  p = wire_varint_at(p, len);
  if (na) {
    *p++ = 1 << 3 | WIRE_LEN;
    p = wire_varint_at(p, na);
    wire_copy(p, a, na);
    p += na;
  }
  if (nz) {
    *p++ = 2 << 3 | WIRE_LEN;
    p = wire_varint_at(p, nz);
    wire_copy(p, z, nz);
    p += nz;
  }
  w->p = p;
}

/* A string field without presence: nothing when empty. */
IMP_INLINE void wire_str(wire *w, unsigned field, const char *s, size_t n) {
  if (n) wire_bytes(w, field, s, n);
}

/* A varint field without presence (uint32/64, int64, bool, enum; negative
 * int32 and enum values are passed sign-extended, as protobuf writes them). */
IMP_INLINE void wire_uint(wire *w, unsigned field, uint64_t v) {
  if (!v || !wire_room(w, WIRE_FIELD_MAX)) return;
  w->p = wire_varint_at(wire_varint_at(w->p, (uint64_t)field << 3 | WIRE_VARINT), v);
}

/* A double field without presence: nothing for 0 and -0 (NaN is written). */
IMP_INLINE void wire_double(wire *w, unsigned field, double v) {
  if (v == 0 || !wire_room(w, WIRE_FIELD_MAX)) return;
  uint8_t *p = wire_varint_at(w->p, (uint64_t)field << 3 | WIRE_FIXED64);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(p, &v, 8); /* one store */
#else
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(bits >> (8 * i)); /* little endian */
#endif
  w->p = p + 8;
}

/* Starts sub-message `field`. @return the offset of its length slot in the
 * buffer, for wire_close(). */
IMP_INLINE size_t wire_open(wire *w, unsigned field) {
  if (!wire_room(w, WIRE_FIELD_MAX)) return 0;
  uint8_t *p = wire_varint_at(w->p, (uint64_t)field << 3 | WIRE_LEN);
  *p = 0;
  w->p = p + 1;
  return (size_t)(p - (uint8_t *)w->b->data);
}

/* Moves a body of 128 bytes or more up to fit its length (imp.c). */
void wire_close_long(wire *w, size_t at, size_t len);

/* Ends the sub-message whose length slot is at offset `at`. */
IMP_INLINE void wire_close(wire *w, size_t at) {
  if (!w->p) return;
  uint8_t *slot = (uint8_t *)w->b->data + at;
  size_t len = (size_t)(w->p - slot) - 1;
  if (EVREC__LIKELY(len < 0x80)) *slot = (uint8_t)len;
  else wire_close_long(w, at, len);
}

#endif /* EVREC_IMP_WIRE_H */
