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
 * Output goes to an evrec__buf; running out of memory is sticky there
 * (b->oom), so callers check once, when the record is done.
 */
#ifndef EVREC_IMP_WIRE_H
#define EVREC_IMP_WIRE_H

#include <stdint.h>
#include <string.h>

#include "internal.h" /* src/: evrec__buf */

/* A tag or a length takes at most 10 bytes; a tag, a length and a fixed64
 * or varint value fit in this much room. */
#define WIRE_FIELD_MAX 24

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2 };

/* Makes room for n more bytes (false once out of memory). */
static inline bool wire_room(evrec__buf *b, size_t n) {
  return EVREC__LIKELY(b->cap - b->len > n && !b->oom) || evrec__buf_reserve(b, n);
}

static inline uint8_t *wire_varint_at(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

static inline uint8_t *wire_end(evrec__buf *b) { return (uint8_t *)b->data + b->len; }

static inline void wire_done(evrec__buf *b, uint8_t *p) { b->len = (size_t)(p - (uint8_t *)b->data); }

/* memcpy() for the short strings records are made of (most are under 16
 * bytes, where a call costs more than the copy): two overlapping loads and
 * stores of 8 or 4 bytes, never past either end. */
static inline void wire_copy(uint8_t *d, const void *src, size_t n) {
  const uint8_t *s = src;
  if (n > 16) {
    memcpy(d, s, n);
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

/* A length-delimited field whose bytes are a[0..na) then z[0..nz), written
 * even when empty. */
static inline void wire_bytes2(evrec__buf *b, unsigned field, const void *a, size_t na,
                               const void *z, size_t nz) {
  if (!wire_room(b, na + nz + WIRE_FIELD_MAX)) return;
  uint8_t *p = wire_varint_at(wire_end(b), (uint64_t)field << 3 | WIRE_LEN);
  p = wire_varint_at(p, na + nz);
  wire_copy(p, a, na);
  wire_copy(p + na, z, nz);
  wire_done(b, p + na + nz);
}

/* A length-delimited field of n bytes, written even when empty. */
static inline void wire_bytes(evrec__buf *b, unsigned field, const void *s, size_t n) {
  if (!wire_room(b, n + WIRE_FIELD_MAX)) return;
  uint8_t *p = wire_varint_at(wire_end(b), (uint64_t)field << 3 | WIRE_LEN);
  p = wire_varint_at(p, n);
  wire_copy(p, s, n);
  wire_done(b, p + n);
}

/* A string field without presence: nothing when empty. */
static inline void wire_str(evrec__buf *b, unsigned field, const char *s, size_t n) {
  if (n) wire_bytes(b, field, s, n);
}

/* A varint field without presence (uint32/64, int64, bool, enum; negative
 * int32 and enum values are passed sign-extended, as protobuf writes them). */
static inline void wire_uint(evrec__buf *b, unsigned field, uint64_t v) {
  if (!v || !wire_room(b, WIRE_FIELD_MAX)) return;
  uint8_t *p = wire_varint_at(wire_end(b), (uint64_t)field << 3 | WIRE_VARINT);
  wire_done(b, wire_varint_at(p, v));
}

/* A double field without presence: nothing for 0 and -0 (NaN is written). */
static inline void wire_double(evrec__buf *b, unsigned field, double v) {
  if (v == 0 || !wire_room(b, WIRE_FIELD_MAX)) return;
  uint8_t *p = wire_varint_at(wire_end(b), (uint64_t)field << 3 | WIRE_FIXED64);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(p, &v, 8); /* one store */
#else
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(bits >> (8 * i)); /* little endian */
#endif
  wire_done(b, p + 8);
}

/* Starts sub-message `field`. @return the offset of its length slot, for
 * wire_close(). */
static inline size_t wire_open(evrec__buf *b, unsigned field) {
  if (!wire_room(b, WIRE_FIELD_MAX)) return 0;
  uint8_t *p = wire_varint_at(wire_end(b), (uint64_t)field << 3 | WIRE_LEN);
  *p = 0;
  wire_done(b, p + 1);
  return b->len - 1;
}

/* Moves a body of 128 bytes or more up to fit its length (imp.c). */
void wire_close_long(evrec__buf *b, size_t at, size_t len);

/* Ends the sub-message whose length slot is at `at`. */
static inline void wire_close(evrec__buf *b, size_t at) {
  if (b->oom) return;
  size_t len = b->len - at - 1;
  if (EVREC__LIKELY(len < 0x80)) b->data[at] = (char)len;
  else wire_close_long(b, at, len);
}

#endif /* EVREC_IMP_WIRE_H */
