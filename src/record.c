/*
 * record.c -- the default record type, evrec.v1.Record.
 *
 * Kept in its own file so that the generic codec, readers and writers depend
 * on the evrec schema only through this one function.
 */
#include "evrec/v1/evrec.pb-c.h"
#include "internal.h"

const ProtobufCMessageDescriptor *evrec_record_descriptor(void) {
  return &evrec__v1__record__descriptor;
}
