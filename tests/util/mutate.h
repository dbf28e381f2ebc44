/*
 * mutate.h -- seeded random edits of a protoc-c message, for the diff and
 * patch property tests: patch(A, diff(A, mutate(A))) must give mutate(A).
 *
 * mutate_message() deep-copies a message and applies n edits, each at a
 * random place of the tree (the root or a present sub-message, list element
 * or map value, well-known types excepted, which are replaced whole). An
 * edit is one of:
 *
 *   - a singular field or oneof set to a value of a donor (a randmsg_new()
 *     message of the same type), or cleared;
 *   - a repeated field: an element inserted (from the donor), deleted,
 *     replaced or two swapped; for entity lists (elements with a string
 *     field "id") an inserted entity gets a fresh unique id, and the whole
 *     list may be shuffled;
 *   - a map: an entry added (a key not present), deleted, or its value
 *     replaced.
 *
 * Values come from randmsg, so everything stays canonical (it survives
 * binary -> JSON -> binary). With `keep_id` the root's "id" field is never
 * touched (records keep their identity, as in a corpus).
 *
 * Deterministic in (message, seed, n). Everything lives in the arena.
 */
#ifndef MUTATE_H
#define MUTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "evrec.h"

/** @return the mutated copy, or NULL when out of memory. */
ProtobufCMessage *mutate_message(const ProtobufCMessage *m, uint64_t seed, unsigned n,
                                 bool keep_id, evrec_arena *a);

#endif /* MUTATE_H */
