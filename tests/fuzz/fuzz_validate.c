/*
 * fuzz_validate.c -- evrec_validate_reader() over any bytes, read as NDJSON
 * when the first byte is '{' or '[', as one pb record (the bytes after a
 * leading 'P'), or else as pbd, with EVREC_READ_SKIP_INVALID so that
 * decoding errors in the middle are reported and skipped. Whatever
 * the records hold, validation must not crash, hang or leak, and every
 * violation must be well-formed: a rule of the table with its severity, a
 * non-empty message, and a path and message that are valid UTF-8 without
 * control characters (they go on one line of output); the record id is
 * passed on as it is, valid UTF-8 (the decoders checked it).
 */
#include <string.h>

#include "fuzz/fuzz_util.h"

typedef struct vstate {
  uint64_t n;
  const evrec_rule *rules;
  size_t n_rules;
} vstate;

static int check_violation(const evrec_violation *v, void *payload) {
  vstate *st = payload;
  size_t i = 0;
  while (i < st->n_rules && strcmp(st->rules[i].id, v->rule) != 0) i++;
  if (i == st->n_rules) fuzz_fail(NULL, "unknown rule %s", v->rule);
  if (v->severity != st->rules[i].severity) fuzz_fail(NULL, "%s: wrong severity", v->rule);
  if (!v->message[0]) fuzz_fail(NULL, "%s: empty message", v->rule);
  if ((strncmp(v->rule, "decode-", 7) == 0) != (v->error != NULL))
    fuzz_fail(NULL, "%s: error pointer does not match the rule's group", v->rule);
  fuzz_check_text(v->path, strlen(v->path) + 1, 1, "violation path");
  fuzz_check_text(v->message, strlen(v->message) + 1, 1, "violation message");
  fuzz_check_text(v->record_id, strlen(v->record_id) + 1, 0, "record id"); /* the data as it is */
  if (v->error) fuzz_check_error_text(v->error, "decoding error of a violation");
  return ++st->n > 100000; /* bound the time per input */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r;
  evrec_error err;
  ro.format = size && (data[0] == '{' || data[0] == '[') ? EVREC_FORMAT_NDJSON
              : size && data[0] == 'P'                   ? EVREC_FORMAT_PB
                                                         : EVREC_FORMAT_PBD;
  if (ro.format == EVREC_FORMAT_PB) data++, size--;
  ro.flags = EVREC_READ_SKIP_INVALID;
  ro.max_record_size = FUZZ_MAX_RECORD_SIZE;
  if (evrec_reader_open_memory(&r, data, size, &ro, &err) != EVREC_OK) {
    fuzz_check_error_text(&err, "reader_open_memory");
    return 0;
  }
  vstate st = {0, NULL, 0};
  st.rules = evrec_rules(&st.n_rules);
  evrec_validate_stats stats;
  int rc = evrec_validate_reader(r, NULL, &stats, check_violation, &st, &err);
  if (rc != EVREC_OK && rc != EVREC_STOPPED) fuzz_check_status(rc, &err, "validate_reader");
  if (stats.errors + stats.warnings != st.n && rc != EVREC_STOPPED)
    fuzz_fail(NULL, "stats count %llu violations, the callback saw %llu",
              (unsigned long long)(stats.errors + stats.warnings), (unsigned long long)st.n);
  if (stats.records < evrec_reader_count(r)) fuzz_fail(NULL, "records not counted");
  evrec_reader_close(r);
  return 0;
}
