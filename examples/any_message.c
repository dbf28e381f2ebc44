/* any_message.c -- the README's JSON codec example: the library on messages
 * of your own (examples/note.proto), with a google.protobuf.Any that carries
 * one of them. Reads a Note as JSON (argv[1]) and prints it as canonical JSON.
 *
 *   protoc-c -Iexamples --c_out=OUT examples/note.proto
 *   cc examples/any_message.c OUT/note.pb-c.c -IOUT $(pkg-config --cflags --libs evrec) -o any_message
 *   ./any_message '{"text":"see","attachment":{"@type":"type.googleapis.com/example.v1.Link","url":"https://example.org/"}}'
 *
 * note.pb-c.h includes "google/protobuf/any.pb-c.h": that header, and the
 * other well-known types', is installed with evrec (include/evrec/google/
 * protobuf/, on the path `pkg-config --cflags evrec` gives), and libevrec
 * holds their code: do not compile another copy of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evrec.h>

#include "note.pb-c.h"

int main(int argc, char **argv) {
  const char *json = argc > 1 ? argv[1] : "{}";
  evrec_error err;
  int rc;
  /* Once, at start-up: the types google.protobuf.Any values may carry. */
  static const ProtobufCMessageDescriptor *const payloads[] = {&example__v1__link__descriptor};
  evrec_types *types;
  if (evrec_types_new(&types, payloads, 1, &err) != EVREC_OK) {
    fprintf(stderr, "%s\n", err.message);
    return 2;
  }
  /* The same registry for decoding and encoding (and for readers and
   * writers: evrec_reader_options.types, evrec_writer_options.types). */
  evrec_json_decode_options dopts = EVREC_JSON_DECODE_OPTIONS_INIT;
  evrec_json_encode_options eopts = EVREC_JSON_ENCODE_OPTIONS_INIT;
  dopts.types = eopts.types = types;

  evrec_arena *arena = evrec_arena_new(0); /* starts at 1 KiB: one small message */
  ProtobufCMessage *m;
  char *out = NULL;
  if (!arena) rc = EVREC_E_NOMEM, snprintf(err.message, sizeof err.message, "out of memory");
  else rc = evrec_json_decode(&m, &example__v1__note__descriptor, json, strlen(json), arena,
                              &dopts, &err);
  if (rc == EVREC_OK) rc = evrec_json_encode_alloc(&out, NULL, m, &eopts, &err);
  if (rc == EVREC_OK) puts(out); /* canonical JSON */
  else fprintf(stderr, "any_message: %s\n", err.message);
  free(out);
  evrec_arena_free(arena); /* frees m and everything it points to */
  evrec_types_free(types);
  return rc == EVREC_OK ? 0 : 1;
}
