/*
 * cli_limits.c -- the input limits every reading command accepts:
 * --max-depth N, --max-record-size SIZE, --max-string-size SIZE,
 * --max-block-size SIZE, --max-block-records N and --max-index-size SIZE.
 *
 * Each maps to the evrec_reader_options field of the same name; 0 (not
 * given) keeps the library's default. The library ends every EVREC_E_LIMIT
 * message with the field that raises the limit, "(max_string_size)", and
 * cli_report() shows it as the option, "(--max-string-size)".
 *
 * --max-record-size is also the writer's limit for .evr output (convert,
 * recover): a record that may be read may be written, and the other way
 * round.
 */
#include <string.h>

#include "cli.h"

/* --max-record-size: what the .evr writer accepts, so the one option can
 * serve both sides. */
#define MAX_RECORD_OPTION (1u << 30)

int cli_limits_option(const cli_command *cmd, cli_limits *l, int id, const char *value) {
  uint64_t v = 0;
  int rc = 0;
  switch (id) {
  case CLI_OPT_MAX_DEPTH:
    rc = cli_parse_uint(cmd, "--max-depth", value, 1000000, &v);
    if (!rc && v == 0) rc = cli_usage_error(cmd, "--max-depth: at least 1");
    l->max_depth = (unsigned)v;
    return rc;
  case CLI_OPT_MAX_RECORD:
    rc = cli_parse_size(cmd, "--max-record-size", value, &v);
    if (!rc && v > MAX_RECORD_OPTION) rc = cli_usage_error(cmd, "--max-record-size: at most 1G");
    l->max_record_size = (size_t)v;
    return rc;
  case CLI_OPT_MAX_STRING:
    rc = cli_parse_size(cmd, "--max-string-size", value, &v);
    l->max_string_size = (size_t)v;
    return rc;
  case CLI_OPT_MAX_BLOCK:
    rc = cli_parse_size(cmd, "--max-block-size", value, &v);
    l->max_block_size = (size_t)v;
    return rc;
  case CLI_OPT_MAX_BLOCK_RECORDS:
    rc = cli_parse_size(cmd, "--max-block-records", value, &v);
    l->max_block_records = (size_t)v;
    return rc;
  case CLI_OPT_MAX_INDEX:
    rc = cli_parse_size(cmd, "--max-index-size", value, &v);
    l->max_index_size = (size_t)v;
    return rc;
  default:
    return 1;
  }
}

void cli_limits_apply(const cli_limits *l, evrec_reader_options *ro) {
  ro->max_depth = l->max_depth;
  ro->max_record_size = l->max_record_size;
  ro->max_string_size = l->max_string_size;
  ro->max_block_size = l->max_block_size;
  ro->max_block_records = l->max_block_records;
  ro->max_index_size = l->max_index_size;
}
