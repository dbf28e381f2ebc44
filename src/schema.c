/*
 * schema.c -- the evrec.v1 schema built into the library.
 *
 * protobuf-c keeps no serialized descriptors at run time, so make produces
 * them at build time (protoc --include_imports --descriptor_set_out) and links
 * the bytes in (build/gen/schema_data.c). Containers embed the set in their
 * header so that a file is self-describing; `evrec schema` prints the .proto.
 */
#include "internal.h"

extern const unsigned char evrec__schema_desc[];
extern const size_t evrec__schema_desc_len;
extern const char evrec__schema_proto[];
extern const size_t evrec__schema_proto_len;

const void *evrec_schema_descriptor_set(size_t *len) {
  if (len) *len = evrec__schema_desc_len;
  return evrec__schema_desc;
}

const char *evrec_schema_proto(size_t *len) {
  if (len) *len = evrec__schema_proto_len;
  return evrec__schema_proto;
}
