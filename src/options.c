/*
 * options.c -- versions of the options structs.
 *
 * Every options struct begins with `unsigned int version`, and a new
 * version only appends fields. So a struct of version v is a prefix of the
 * current layout: its size is where the first field of version v + 1
 * begins. The tables below hold that size for each version; with them one
 * function per struct copies a caller's struct of any known version into
 * the current layout with defaults for the newer fields (what the library
 * reads), and the public evrec_*_options_init() fill exactly the bytes a
 * struct of the requested version has (what a binding built against an
 * older header allocated).
 */
#include <string.h>

#include "internal.h"

/* Size of a struct of version v = sizes[v - 1]. */
static const size_t decode_sizes[] = {
    offsetof(evrec_json_decode_options, max_string_size),
    offsetof(evrec_json_decode_options, types),
    sizeof(evrec_json_decode_options),
};
static const size_t encode_sizes[] = {
    offsetof(evrec_json_encode_options, types),
    sizeof(evrec_json_encode_options),
};
static const size_t reader_sizes[] = {
    offsetof(evrec_reader_options, max_string_size),
    offsetof(evrec_reader_options, types),
    sizeof(evrec_reader_options),
};
static const size_t writer_sizes[] = {
    offsetof(evrec_writer_options, types),
    sizeof(evrec_writer_options),
};
static const size_t validate_sizes[] = {
    sizeof(evrec_validate_options),
};

#define N_VERSIONS(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

/* Copies `in` (version in->version, one of 1..n) over `out`, which holds
 * the current defaults. */
static int get_versioned(void *out, const void *in, const size_t *sizes, unsigned n,
                         const char *what, evrec_error *err) {
  if (!in) return EVREC_OK;
  unsigned v = *(const unsigned int *)in;
  if (v == 0 || v > n)
    return evrec__err(err, EVREC_E_INVALID_ARG, "unsupported %s options version %u", what, v);
  memcpy(out, in, sizes[v - 1]);
  return EVREC_OK;
}

/* Fills a struct of `version` from the current defaults. */
static int init_versioned(void *opts, unsigned version, const void *defaults,
                          const size_t *sizes, unsigned n) {
  if (!opts || version == 0 || version > n) return EVREC_E_INVALID_ARG;
  memcpy(opts, defaults, sizes[version - 1]);
  *(unsigned int *)opts = version;
  return EVREC_OK;
}

int evrec__json_decode_options_get(evrec_json_decode_options *out,
                                   const evrec_json_decode_options *in, evrec_error *err) {
  static const evrec_json_decode_options defaults = EVREC_JSON_DECODE_OPTIONS_INIT;
  *out = defaults;
  int rc = get_versioned(out, in, decode_sizes, N_VERSIONS(decode_sizes), "JSON decode", err);
  out->version = EVREC_JSON_DECODE_OPTIONS_VERSION;
  return rc;
}

int evrec__json_encode_options_get(evrec_json_encode_options *out,
                                   const evrec_json_encode_options *in, evrec_error *err) {
  static const evrec_json_encode_options defaults = EVREC_JSON_ENCODE_OPTIONS_INIT;
  *out = defaults;
  int rc = get_versioned(out, in, encode_sizes, N_VERSIONS(encode_sizes), "JSON encode", err);
  out->version = EVREC_JSON_ENCODE_OPTIONS_VERSION;
  return rc;
}

int evrec__reader_options_get(evrec_reader_options *out, const evrec_reader_options *in,
                              evrec_error *err) {
  static const evrec_reader_options defaults = EVREC_READER_OPTIONS_INIT;
  *out = defaults;
  int rc = get_versioned(out, in, reader_sizes, N_VERSIONS(reader_sizes), "reader", err);
  out->version = EVREC_READER_OPTIONS_VERSION;
  return rc;
}

int evrec__writer_options_get(evrec_writer_options *out, const evrec_writer_options *in,
                              evrec_error *err) {
  static const evrec_writer_options defaults = EVREC_WRITER_OPTIONS_INIT;
  *out = defaults;
  int rc = get_versioned(out, in, writer_sizes, N_VERSIONS(writer_sizes), "writer", err);
  out->version = EVREC_WRITER_OPTIONS_VERSION;
  return rc;
}

int evrec_json_decode_options_init(evrec_json_decode_options *opts, unsigned int version) {
  static const evrec_json_decode_options defaults = EVREC_JSON_DECODE_OPTIONS_INIT;
  return init_versioned(opts, version, &defaults, decode_sizes, N_VERSIONS(decode_sizes));
}

int evrec_json_encode_options_init(evrec_json_encode_options *opts, unsigned int version) {
  static const evrec_json_encode_options defaults = EVREC_JSON_ENCODE_OPTIONS_INIT;
  return init_versioned(opts, version, &defaults, encode_sizes, N_VERSIONS(encode_sizes));
}

int evrec_reader_options_init(evrec_reader_options *opts, unsigned int version) {
  static const evrec_reader_options defaults = EVREC_READER_OPTIONS_INIT;
  return init_versioned(opts, version, &defaults, reader_sizes, N_VERSIONS(reader_sizes));
}

int evrec_writer_options_init(evrec_writer_options *opts, unsigned int version) {
  static const evrec_writer_options defaults = EVREC_WRITER_OPTIONS_INIT;
  return init_versioned(opts, version, &defaults, writer_sizes, N_VERSIONS(writer_sizes));
}

int evrec_validate_options_init(evrec_validate_options *opts, unsigned int version) {
  static const evrec_validate_options defaults = EVREC_VALIDATE_OPTIONS_INIT;
  return init_versioned(opts, version, &defaults, validate_sizes, N_VERSIONS(validate_sizes));
}
