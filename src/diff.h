/*
 * diff.h -- private interface between the record comparison (diff.c), the
 * comparison of record streams (diff_sets.c) and the patcher (patch.c).
 */
#ifndef EVREC_DIFF_H
#define EVREC_DIFF_H

#include "internal.h"

/* ---------------------------------------------------------------- hashing (diff_sets.c) */

/** SipHash-1-3 key: two 64-bit words. */
typedef struct evrec__sipkey {
  uint64_t k0, k1;
} evrec__sipkey;

/** 64-bit SipHash-1-3 of p[0..n). */
uint64_t evrec__sip64(const evrec__sipkey *k, const void *p, size_t n);

/** 128-bit SipHash-1-3 of p[0..n) into out[0..2). */
void evrec__sip128(const evrec__sipkey *k, const void *p, size_t n, uint64_t out[2]);

/* ---------------------------------------------------------------- stepping (diff_sets.c) */

/** evrec_diff() one record at a time, for callers that hand differences
 *  out lazily (the Python binding's evrec.diff iterator). evrec_diff() is
 *  new + steps until EVREC_DONE + free, so both report the same
 *  differences in the same order. */
typedef struct evrec__diff evrec__diff;

/** Checks the arguments and options (as evrec_diff()) and prepares a run;
 *  reads nothing. opts->ignore is copied; opts->temp_dir must outlive the
 *  run. The readers belong to the run until evrec__diff_free(). */
int evrec__diff_new(evrec__diff **out, evrec_reader *a, evrec_reader *b,
                    const evrec_diff_options *opts, evrec_diff_cb cb, void *payload,
                    evrec_error *err);

/** The first call reads both inputs to the end (passes 1 and 2, on two
 *  threads as opts->threads says); every call then reports the
 *  differences of the next record that has some, through the callback.
 *  @return EVREC_OK (one record's differences were reported), EVREC_DONE
 *          (none left), or what evrec_diff() returns on failure or a stop
 *          (err set for errors). Sticky: after anything but EVREC_OK, every
 *          further call returns the same. */
int evrec__diff_step(evrec__diff *d, evrec_error *err);

/** The counts so far (as evrec_diff()'s out). */
void evrec__diff_stats(const evrec__diff *d, evrec_diff_stats *out);

void evrec__diff_free(evrec__diff *d);

/* ---------------------------------------------------------------- record comparison (diff.c) */

/** A comparison in progress: options, callback, scratch memory, paths. */
typedef struct evrec__dw evrec__dw;

/** Checks the options and creates a comparison; *out is NULL on error. */
int evrec__dw_new(evrec__dw **out, const evrec_diff_options *opts, evrec_diff_cb cb,
                  void *payload, evrec_error *err);
void evrec__dw_free(evrec__dw *w);

/** Compares two records of one type; a_record/b_record go into every
 *  difference. *emitted (may be NULL) receives the number reported.
 *  @return as evrec_record_diff(). */
int evrec__dw_records(evrec__dw *w, const ProtobufCMessage *a, const ProtobufCMessage *b,
                      uint64_t a_record, uint64_t b_record, size_t *emitted);

/** Reports a whole record added (op ADD, msg is B's) or removed (REMOVE,
 *  A's). @return EVREC_OK, EVREC_STOPPED or an encoding error. */
int evrec__dw_record_op(evrec__dw *w, evrec_diff_op op, const ProtobufCMessage *msg,
                        uint64_t a_record, uint64_t b_record);

/** The string field "id" of a message type, or NULL when it has none. */
const ProtobufCFieldDescriptor *evrec__id_field(const ProtobufCMessageDescriptor *d);

/** The value of a message's "id" field ("" when unset or absent). */
const char *evrec__record_id(const ProtobufCMessage *m);

/** True when repeated field f holds entities: a message type (not a map
 *  entry) with a singular string field "id". */
bool evrec__is_entity_list(const ProtobufCFieldDescriptor *f);

/** Deep equality of two messages as the comparison sees it with default
 *  options (maps by key, entities by id, exact floats). */
int evrec__messages_equal(const ProtobufCMessage *a, const ProtobufCMessage *b, bool *equal,
                          evrec_error *err);

/** Appends the canonical JSON of field f of m alone; with index !=
 *  SIZE_MAX only that element of a repeated field, with entry (a map entry
 *  of map field f) only that entry's value; f NULL: m itself. Temporary
 *  messages go to scratch. @return EVREC_OK or an encoding error. */
int evrec__value_json(evrec__buf *out, const ProtobufCMessage *m,
                      const ProtobufCFieldDescriptor *f, size_t index,
                      const ProtobufCMessage *entry, evrec_arena *scratch, evrec_error *err);

/** An instance of d with its defaults (message_init), in the arena. */
ProtobufCMessage *evrec__new_instance(evrec_arena *a, const ProtobufCMessageDescriptor *d);

/** Copies field f -- value slot and quantifier (count, oneof case, has_
 *  flag) -- from m into t, shallowly. */
void evrec__copy_field(ProtobufCMessage *t, const ProtobufCMessage *m,
                       const ProtobufCFieldDescriptor *f);

/** True when field f of m has a value the canonical JSON prints. */
bool evrec__field_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);

/** Appends s[0..n) to b as a JSON string: quotes, `"` and `\\` escaped,
 *  control characters as \u00XX (the diff's keys and patch's messages). */
void evrec__diff_put_json_string(evrec__buf *b, const char *s, size_t n);

#endif /* EVREC_DIFF_H */
