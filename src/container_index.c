/*
 * container_index.c -- the "EVRX" index blob of an .evr section
 * (docs/FORMAT.md, section 6): per data block {back distance, first
 * record, nrec, bsize}, then {FNV-1a 64 of the record id, block} sorted by
 * hash and block, sealed with a CRC-32 and cut into the EX subfields of
 * consecutive index members.
 *
 * Ids are stored as 64-bit hashes, not strings: 12 bytes per record
 * whatever the id, and a lookup is a binary search. A hash names candidate
 * blocks only; the reader confirms the id in the block (container_seek.c),
 * so a collision costs an extra block, never a wrong record. Parsing
 * checks every entry against its neighbours and the section (blocks in
 * order, records contiguous, ids sorted and naming existing blocks): a
 * CRC that matches does not make the counts true.
 */
#include <stdlib.h>
#include <string.h>

#include "container_int.h"

/* ====================================================================== */
/* Index blob                                                             */
/* ====================================================================== */

void evr__index_free(index_tab *t) {
  free(t->blocks);
  free(t->ids);
  memset(t, 0, sizeof *t);
}

int evr__idh_cmp(const void *a, const void *b) {
  const idh *x = a, *y = b;
  if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
  return x->block < y->block ? -1 : x->block > y->block;
}

/* Appends the "EVRX" blob for an index that starts at idx_off. */
bool evr__index_blob(evrec__buf *b, index_tab *t, uint64_t idx_off) {
  size_t len = 24 + t->nblocks * 24 + t->nids * 12;
  if (!evrec__buf_reserve(b, len)) return false;
  uint8_t *p = (uint8_t *)b->data + b->len;
  memcpy(p, "EVRX\1\0\0\0", 8);
  put64(p + 8, t->nblocks);
  put64(p + 16, t->nids);
  p += 24;
  for (size_t i = 0; i < t->nblocks; i++, p += 24) {
    put64(p, idx_off - t->blocks[i].off);
    put64(p + 8, t->blocks[i].first);
    put32(p + 16, t->blocks[i].nrec);
    put32(p + 20, t->blocks[i].bsize);
  }
  if (t->nids) qsort(t->ids, t->nids, sizeof *t->ids, evr__idh_cmp);
  for (size_t i = 0; i < t->nids; i++, p += 12) {
    put64(p, t->ids[i].hash);
    put32(p + 8, t->ids[i].block);
  }
  b->len += len;
  return true;
}

/* Checks one block entry against its neighbours and the section. */
static bool index_block_ok(const index_tab *t, size_t i, uint64_t idx_off, uint64_t records) {
  const blk *k = &t->blocks[i];
  if (k->off > idx_off || k->first > records || k->nrec > records - k->first) return false;
  if (i == 0) return k->first == 0;
  const blk *prev = &t->blocks[i - 1];
  return k->off > prev->off && k->first == prev->first + prev->nrec;
}

/* Parses the "EVRX" blob of the index at idx_off of a section. */
int evr__index_parse(index_tab *t, const uint8_t *b, size_t len, uint64_t idx_off,
                       uint64_t records, char *why) {
  memset(t, 0, sizeof *t);
  if (!evr__blob_unseal(b, &len))
    return evr__why_fail(why, EVREC_E_CORRUPT, "index checksum mismatch");
  if (len < 24 || memcmp(b, "EVRX", 4) != 0 || b[4] > EVREC_CONTAINER_VERSION)
    return evr__why_fail(why, EVREC_E_CORRUPT, "bad index magic or version");
  uint64_t nb = le64(b + 8), ni = le64(b + 16);
  if (nb > len / 24 || ni > len / 12 || 24 + nb * 24 + ni * 12 != len)
    return evr__why_fail(why, EVREC_E_CORRUPT, "index lengths do not add up");
  t->blocks = malloc((size_t)nb * sizeof *t->blocks + 1);
  t->ids = malloc((size_t)ni * sizeof *t->ids + 1);
  if (!t->blocks || !t->ids) {
    evr__index_free(t);
    return evr__why_fail(why, EVREC_E_NOMEM, "out of memory");
  }
  t->nblocks = (size_t)nb;
  t->nids = (size_t)ni;
  const uint8_t *p = b + 24;
  for (size_t i = 0; i < t->nblocks; i++, p += 24) {
    t->blocks[i] = (blk){idx_off - le64(p), le64(p + 8), le32(p + 16), le32(p + 20)};
    if (le64(p) > idx_off || !index_block_ok(t, i, idx_off, records)) {
      evr__index_free(t);
      return evr__why_fail(why, EVREC_E_CORRUPT, "index entry %zu is inconsistent", i);
    }
  }
  for (size_t i = 0; i < t->nids; i++, p += 12) {
    t->ids[i] = (idh){le64(p), le32(p + 8)};
    if (t->ids[i].block >= nb || (i && evr__idh_cmp(&t->ids[i - 1], &t->ids[i]) > 0)) {
      evr__index_free(t);
      return evr__why_fail(why, EVREC_E_CORRUPT, "index id entry %zu is inconsistent", i);
    }
  }
  return EVREC_OK;
}

/* The top-level string field "id", whose values the index lists. */
const ProtobufCFieldDescriptor *evr__id_field(const ProtobufCMessageDescriptor *d) {
  const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, "id");
  bool ok = f && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED &&
            !evrec__is_oneof(f);
  return ok ? f : NULL;
}

bool evr__grow(void **arr, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return true;
  size_t c = *cap ? *cap * 2 : 256;
  void *p = realloc(*arr, c * size);
  if (!p) return false;
  *arr = p;
  *cap = c;
  return true;
}
