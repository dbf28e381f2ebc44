/*
 * cli_evr.c -- the .evr writer settings that `convert` and `recover` share:
 * -z LEVEL, -j N, --block-size SIZE and --meta KEY=VALUE (repeatable), plus
 * SOURCE_DATE_EPOCH. (--max-record-size, which the writer takes too, is a
 * limit of reading and writing alike: cli_limits.c.)
 *
 * SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/)
 * replaces the creation time in the container header, so that the same input
 * and options give a byte-identical file on every run. A value that is not a
 * plain number of seconds is an error rather than silently ignored: a build
 * that asked for reproducibility should not quietly lose it.
 *
 * The meta strings point into argv (which outlives the run); only the array
 * holding them is allocated, sized for the worst case of argc entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

void cli_evr_init(cli_evr *e) {
  memset(e, 0, sizeof *e);
  e->level = -1;
}

void cli_evr_free(cli_evr *e) {
  free(e->meta);
  e->meta = NULL;
}

/* --meta KEY=VALUE: checked here too so the mistake is a usage error that
 * names the option, not a library error about the output file. */
static int evr_meta(const cli_command *cmd, cli_evr *e, const char *value, int argc) {
  const char *eq = strchr(value, '=');
  if (!eq || eq == value)
    return cli_usage_error(cmd, "--meta: '%s' is not KEY=VALUE with a non-empty KEY", value);
  if (!e->meta) {
    e->meta = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *e->meta);
    if (!e->meta) {
      cli_error("out of memory");
      return CLI_EXIT_USAGE;
    }
  }
  e->meta[e->n_meta++] = value;
  return 0;
}

int cli_evr_option(const cli_command *cmd, cli_evr *e, int id, const char *value, int argc) {
  uint64_t v = 0;
  int rc = 0;
  switch (id) {
  case CLI_OPT_LEVEL:
    rc = cli_parse_uint(cmd, "-z", value, 9, &v);
    e->level = (int)v;
    break;
  case CLI_OPT_THREADS:
    rc = cli_parse_uint(cmd, "-j", value, 1024, &v);
    e->threads = (unsigned)v;
    break;
  case CLI_OPT_BLOCK_SIZE:
    rc = cli_parse_size(cmd, "--block-size", value, &v);
    if (!rc && v > (64u << 20)) rc = cli_usage_error(cmd, "--block-size: at most 64M");
    e->block_size = (size_t)v;
    break;
  case CLI_OPT_META:
    rc = evr_meta(cmd, e, value, argc);
    break;
  default:
    return 1;
  }
  e->given = true;
  return rc;
}

int cli_evr_environment(cli_evr *e) {
  const char *s = getenv("SOURCE_DATE_EPOCH");
  if (!s || !*s) return 0;
  char *end;
  errno = 0;
  long long secs = strtoll(s, &end, 10);
  struct tm tm;
  time_t t = (time_t)secs;
  if (*s < '0' || *s > '9' || *end || errno || secs > 253402300799LL /* 9999-12-31 */ ||
      !gmtime_r(&t, &tm)) {
    cli_error("SOURCE_DATE_EPOCH='%s' is not a number of seconds since 1970", s);
    return CLI_EXIT_USAGE;
  }
  strftime(e->created_at, sizeof e->created_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return 0;
}

void cli_evr_apply(const cli_evr *e, evrec_writer_options *wo) {
  wo->level = e->level;
  wo->threads = e->threads;
  wo->block_size = e->block_size;
  wo->meta = e->meta;
  wo->n_meta = e->n_meta;
  wo->created_at = e->created_at[0] ? e->created_at : NULL;
}
