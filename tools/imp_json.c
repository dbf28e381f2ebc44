/*
 * imp_json.c -- top-level JSON items of schema-less sources, one at a time.
 *
 * The sources (PLOVER, ICEWS, ninjs, ClaimReview, the Fact Check Tools
 * API) have no protobuf schema, so each top-level object is decoded as a
 * google.protobuf.Struct by evrec's own streaming reader. The reader
 * handles the layouts (one object, an array of objects, JSON lines,
 * concatenated objects), a byte order mark, the limits and file-relative
 * line:column in errors, and keeps only one item in memory at a time.
 *
 * A JSON value nested deeper than the reader allows (about 33 levels of
 * objects: a Struct costs three protobuf levels per JSON level) is refused
 * with the reader's error, like any other malformed input.
 */
#include <string.h>

#include "imp.h"

int imp_json_each(imp *m, const char *path, imp_json_item_fn item, void *payload) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *msg;
  const char *shown = cli_display_name(path, false);
  ro.format = EVREC_FORMAT_JSON;
  ro.type = &google__protobuf__struct__descriptor;
  cli_limits_apply(&m->lim, &ro);
  ro.name = strcmp(path, "-") == 0 ? shown : NULL;
  m->file = shown;
  m->line = 0;
  if (evrec_reader_open_file(&r, path, &ro, &err) != EVREC_OK) {
    cli_report(shown, &err);
    m->status = CLI_EXIT_USAGE;
    return IMP_STOP;
  }
  int rc, status = 0;
  while ((rc = evrec_reader_next(r, &msg, &err)) == EVREC_OK) {
    m->item = evrec_reader_count(r);
    m->item_id = NULL;
    status = item(m, (const jv_object *)msg, payload);
    if (status) break;
  }
  m->item = 0;
  m->item_id = NULL;
  if (rc < 0) {
    cli_report(shown, &err);
    m->status = err.code == EVREC_E_IO || err.code == EVREC_E_NOMEM ? CLI_EXIT_USAGE
                                                                     : CLI_EXIT_INVALID;
    status = IMP_STOP;
  }
  evrec_reader_close(r);
  return status;
}
