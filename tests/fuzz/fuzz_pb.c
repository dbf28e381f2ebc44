/*
 * fuzz_pb.c -- evrec_pb_decode of the same bytes as evrec.v1.Record and as
 * evrec.test.AllTypes. Every accepted message that JSON can carry must come
 * back unchanged through canonical JSON (fuzz_check_roundtrip, binary mode:
 * unknown fields and repeated map keys make the packed bytes differ, so only
 * the canonical JSON is compared).
 *
 * Merging: with y = pack(decode(x)), the canonical bytes of the same
 * message, appending the same bytes to equal messages must give equal
 * messages: decode(x y) prints as decode(y y), and decode(y x) as
 * decode(x x). So what a merge does depends on the message only, not on how
 * the decoder got there (array room after packed runs and splits, maps
 * deduplicated inline or at the end, oneof cases, merged sub-messages).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_util.h"

#include "alltypes.pb-c.h"

/* decode(a b) -> canonical JSON (malloc'd) or NULL; *rc gets the status of
 * the encoder (decoding must succeed: both parts decode alone). */
static char *merged_json(const ProtobufCMessageDescriptor *desc, const uint8_t *a, size_t na,
                         const uint8_t *b, size_t nb, int *rc) {
  uint8_t *cat = malloc(na + nb + 1);
  evrec_arena *arena = evrec_arena_new(0);
  if (!cat || !arena) fuzz_fail(NULL, "out of memory");
  memcpy(cat, a, na);
  memcpy(cat + na, b, nb);
  ProtobufCMessage *m = NULL;
  evrec_error err;
  if (evrec_pb_decode(&m, desc, cat, na + nb, arena, &err) != EVREC_OK)
    fuzz_fail(&err, "decoding two decodable encodings one after the other failed");
  char *json = NULL;
  *rc = evrec_json_encode_alloc(&json, NULL, m, NULL, &err);
  if (*rc) fuzz_check_error_text(&err, "encode of a merge");
  evrec_arena_free(arena);
  free(cat);
  return json;
}

static void check_merge(const ProtobufCMessageDescriptor *desc, const ProtobufCMessage *m,
                        const uint8_t *x, size_t nx) {
  size_t ny = protobuf_c_message_get_packed_size(m);
  uint8_t *y = malloc(ny + 1);
  if (!y) fuzz_fail(NULL, "out of memory");
  protobuf_c_message_pack(m, y);
  const uint8_t *pairs[2][4] = {{x, y, y, y}, {y, x, x, x}};
  size_t lens[2][4] = {{nx, ny, ny, ny}, {ny, nx, nx, nx}};
  for (int i = 0; i < 2; i++) {
    int rc1, rc2;
    char *j1 = merged_json(desc, pairs[i][0], lens[i][0], pairs[i][1], lens[i][1], &rc1);
    char *j2 = merged_json(desc, pairs[i][2], lens[i][2], pairs[i][3], lens[i][3], &rc2);
    if (rc1 != rc2 || (j1 && strcmp(j1, j2) != 0))
      fuzz_fail(NULL, "merging the same bytes into equal messages differs (%s):\n  %s\n  %s",
                i ? "y x vs x x" : "x y vs y y", j1 ? j1 : "(no JSON)", j2 ? j2 : "(no JSON)");
    free(j1);
    free(j2);
  }
  free(y);
}

/* Binary allows 100 levels below the root, JSON's default counts the root:
 * re-decoding our own JSON needs a little more room. */
static void one(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size) {
  evrec_json_decode_options opts = EVREC_JSON_DECODE_OPTIONS_INIT;
  opts.max_depth = 2 * EVREC_JSON_DEFAULT_MAX_DEPTH;
  evrec_arena *a = evrec_arena_new(0);
  if (!a) return;
  ProtobufCMessage *m = NULL;
  evrec_error err;
  int rc = evrec_pb_decode(&m, desc, data, size, a, &err);
  fuzz_check_status(rc, &err, "pb_decode");
  if (rc == EVREC_OK) {
    if (!protobuf_c_message_check(m)) fuzz_fail(NULL, "protobuf_c_message_check refuses the message");
    fuzz_check_roundtrip(desc, m, 0, &opts);
    check_merge(desc, m, data, size);
  }
  evrec_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > FUZZ_MAX_RECORD_SIZE) return 0;
  one(evrec_record_descriptor(), data, size);
  one(&evrec__test__all_types__descriptor, data, size);
  return 0;
}
