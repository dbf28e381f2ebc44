/*
 * wiremix.h -- rewrites a message's encoding into another encoding of the
 * same message that exercises protobuf's merge rules, for tests of binary
 * decoders (tests/test_binary.c; tests/diffdriver.c `merge` against
 * Google's parser).
 *
 * wiremix() walks canonical wire bytes (what pack() writes) with the message
 * descriptor and, each with a chance of `percent`, at every level:
 *   - splits a singular (or oneof) message field into two occurrences at a
 *     field boundary of its body: they merge back;
 *   - puts a decoy value before a singular scalar, string or bytes field,
 *     and before a oneof member either a decoy of the same member or one of
 *     another member of the oneof: the last one wins;
 *   - puts a decoy entry with the same key (and no value) before a map
 *     entry: the later entry replaces it;
 *   - unpacks a packed run into single elements, or cuts it into two packed
 *     runs with single elements between them: repeated fields append;
 *   - interleaves the occurrences of different fields at random, keeping
 *     the order within a field (within a oneof: of all its members).
 * Decoys are valid for their type (in range, strings of ASCII letters), so
 * every parser reads the result as exactly the input message. Unknown
 * fields are copied unchanged. Deterministic for a given seed.
 *
 * Memory: the result is malloc'd; the caller frees it. NULL when out of
 * memory.
 */
#ifndef WIREMIX_H
#define WIREMIX_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

uint8_t *wiremix(const ProtobufCMessageDescriptor *d, const uint8_t *in, size_t len,
                 uint64_t seed, unsigned percent, size_t *out_len);

#endif /* WIREMIX_H */
