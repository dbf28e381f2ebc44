/*
 * cmd_import.c -- `evrec import --from FMT IN... -o OUT`.
 *
 * Reads GDELT 2.0 events (+ mentions), ACLED CSV, PLOVER JSON, ICEWS JSON
 * lines, IPTC ninjs or schema.org ClaimReview / Fact Check Tools API JSON
 * and writes evrec.v1.Records through the library's writer, so every output
 * format works, `-o -` streams and a file appears (renamed from its
 * temporary name) only when the run succeeded. The adapters live in
 * import_*.c and interop_*.c; imp.c has what they share.
 *
 * Exit status: 0 when every row or item was imported (or skipped with
 * --skip-bad, which reports the count), 1 at the first malformed one
 * otherwise, 2 for usage and I/O errors.
 */
#include <stdlib.h>
#include <string.h>

#include "imp.h"

typedef enum src_format { SRC_NONE, SRC_GDELT, SRC_ACLED, SRC_PLOVER, SRC_ICEWS, SRC_NINJS,
                          SRC_CLAIMREVIEW } src_format;

static const char *const SRC_NAMES[] = {"", "gdelt", "acled", "plover", "icews", "ninjs",
                                        "claimreview"};

/* The default window: rows of one article may lie this far apart. A 15-minute
 * GDELT export holds about 1,500 rows; at ~600 bytes a row the pending rows
 * stay under 6 MB. */
#define DEFAULT_WINDOW 10000

typedef struct import_args {
  const cli_command *cmd;
  const char **inputs;
  int n_inputs;
  cli_io io; /* -o -t (its -f names a source format: `from`) */
  bool pretty, array;
  src_format from;
  const char **mentions;
  size_t n_mentions;
  imp_gdelt_options gdelt;
  cli_evr evr;
  imp *m;
  int argc;
} import_args;

static src_format parse_source(const char *name) {
  for (size_t i = 1; i < sizeof SRC_NAMES / sizeof SRC_NAMES[0]; i++)
    if (strcmp(name, SRC_NAMES[i]) == 0) return (src_format)i;
  return SRC_NONE;
}

static int import_option(import_args *a, int id, const char *value) {
  uint64_t n;
  switch (id) {
  case 'f':
    a->from = parse_source(value);
    if (!a->from)
      return cli_usage_error(a->cmd, "--from: unknown source format '%s' (gdelt, acled, "
                             "plover, icews, ninjs, claimreview)", value);
    return 0;
  case 'p': a->pretty = true; return 0;
  case 'a': a->array = true; return 0;
  case 'M': a->mentions[a->n_mentions++] = value; return 0;
  case 'W':
    if (cli_parse_uint(a->cmd, "--window", value, UINT32_MAX, &n)) return CLI_EXIT_USAGE;
    if (n == 0) return cli_usage_error(a->cmd, "--window: must be at least 1");
    a->gdelt.window = n;
    return 0;
  case 'T': a->gdelt.two_pass = true; return 0;
  case 's': a->m->skip_bad = true; return 0;
  case 'q': a->m->quiet = true; return 0;
  case CLI_OPT_HELP: cli_help(stdout, a->cmd); return -1;
  }
  int rc = cli_io_option(a->cmd, &a->io, id, value);
  if (rc == 1) rc = cli_limits_option(a->cmd, &a->m->lim, id, value);
  if (rc == 1) rc = cli_evr_option(a->cmd, &a->evr, id, value, a->argc);
  return rc == 1 ? CLI_EXIT_USAGE : rc;
}

static int import_parse(import_args *a, int argc, char **argv) {
  cli_parser p;
  const char *value;
  int id;
  a->inputs = (const char **)(argv + 1); /* operands are compacted in place */
  cli_parser_init(&p, a->cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    if (id == CLI_OPERAND) {
      a->inputs[a->n_inputs++] = value;
      continue;
    }
    int rc = import_option(a, id, value);
    if (rc) return rc;
  }
  return 0;
}

/* Settles the output format and refuses combinations that make no sense. */
static int import_check(import_args *a) {
  if (!a->from)
    return cli_usage_error(a->cmd, "--from is required (gdelt, acled, plover, icews, ninjs, "
                           "claimreview)");
  if (a->n_inputs == 0) return cli_usage_error(a->cmd, "no input file (use '-' for stdin)");
  if (a->n_mentions && a->from != SRC_GDELT)
    return cli_usage_error(a->cmd, "--mentions is for --from gdelt");
  if ((a->gdelt.window || a->gdelt.two_pass) && a->from != SRC_GDELT)
    return cli_usage_error(a->cmd, "--window and --two-pass are for --from gdelt");
  if (a->gdelt.window && a->gdelt.two_pass)
    return cli_usage_error(a->cmd, "--window and --two-pass exclude each other");
  for (size_t i = 0; i < a->n_mentions; i++)
    if (strcmp(a->mentions[i], "-") == 0)
      return cli_usage_error(a->cmd, "--mentions needs a file, not stdin");
  if (a->gdelt.two_pass)
    for (int i = 0; i < a->n_inputs; i++)
      if (strcmp(a->inputs[i], "-") == 0)
        return cli_usage_error(a->cmd, "--two-pass reads its inputs twice: stdin cannot be one");
  cli_io_output_format(&a->io, a->pretty || a->array ? EVREC_FORMAT_JSON : EVREC_FORMAT_NDJSON);
  if ((a->pretty || a->array) && a->io.to != EVREC_FORMAT_JSON)
    return cli_usage_error(a->cmd, "--pretty and --array need JSON output (-t json), not %s",
                           evrec_format_name(a->io.to));
  /* -j also sets the threads of a GDELT import (imp_gdelt), whatever it writes */
  bool evr_only = a->evr.level >= 0 || a->evr.block_size || a->evr.n_meta ||
                  (a->evr.given && a->from != SRC_GDELT);
  if (evr_only && a->io.to != EVREC_FORMAT_EVR)
    return cli_usage_error(a->cmd, "-z, -j, --block-size and --meta need .evr output (-t evr), "
                           "not %s", evrec_format_name(a->io.to));
  return cli_io_check_terminal(&a->io);
}

static int import_inputs(import_args *a) {
  imp *m = a->m;
  if (a->from == SRC_GDELT) {
    a->gdelt.mentions = a->mentions;
    a->gdelt.n_mentions = a->n_mentions;
    if (!a->gdelt.window) a->gdelt.window = DEFAULT_WINDOW;
    a->gdelt.threads = a->evr.threads;
    return imp_gdelt(m, a->inputs, (size_t)a->n_inputs, &a->gdelt);
  }
  for (int i = 0; i < a->n_inputs; i++) {
    const char *in = a->inputs[i];
    int rc = a->from == SRC_ACLED    ? imp_acled(m, in)
             : a->from == SRC_PLOVER ? imp_plover(m, in)
             : a->from == SRC_ICEWS  ? imp_icews(m, in)
             : a->from == SRC_NINJS  ? imp_ninjs(m, in)
                                     : imp_claimreview(m, in);
    if (rc) return rc;
  }
  return 0;
}

static void import_summary(const imp *m) {
  if (m->n_bad)
    cli_error("%llu bad %s skipped; %llu record%s written", (unsigned long long)m->n_bad,
              m->n_bad == 1 ? "row or item was" : "rows or items were",
              (unsigned long long)m->n_records, m->n_records == 1 ? "" : "s");
}

static int import_run(import_args *a) {
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  imp *m = a->m;
  wo.format = a->io.to;
  wo.name = strcmp(a->io.output, "-") == 0 ? cli_display_name(a->io.output, true) : NULL;
  wo.json_flags = a->pretty ? EVREC_JSON_PRETTY : 0;
  /* Every string comes from input checked to be UTF-8 (the CSV reader
   * checks rows; JSON comes through evrec's reader) or is ASCII made here. */
  wo.flags = (a->array ? EVREC_WRITE_ARRAY : 0) | EVREC_WRITE_VALID_UTF8;
  cli_evr_apply(&a->evr, &wo);
  wo.max_record_size = m->lim.max_record_size;
  if (imp_start(m, a->io.output, &wo)) return CLI_EXIT_USAGE;
  int rc = import_inputs(a);
  int status = imp_finish(m, a->io.output, rc ? m->status : CLI_EXIT_OK);
  if (status == CLI_EXIT_OK) import_summary(m);
  return status;
}

int cli_cmd_import(const cli_command *cmd, int argc, char **argv) {
  import_args a;
  imp m;
  memset(&a, 0, sizeof a);
  memset(&m, 0, sizeof m);
  a.cmd = m.cmd = cmd;
  a.io.output = "-";
  a.m = &m;
  a.argc = argc;
  a.mentions = (const char **)calloc((size_t)argc + 1, sizeof *a.mentions);
  if (!a.mentions) return cli_error("out of memory"), CLI_EXIT_USAGE;
  cli_evr_init(&a.evr);
  int rc = import_parse(&a, argc, argv);
  if (rc == 0) rc = import_check(&a);
  if (rc == 0) {
    m.max_row = m.lim.max_record_size ? m.lim.max_record_size : EVREC_DEFAULT_MAX_RECORD_SIZE;
    if (a.io.to == EVREC_FORMAT_EVR) rc = cli_evr_environment(&a.evr);
  }
  if (rc == 0) rc = import_run(&a);
  cli_evr_free(&a.evr);
  free(a.mentions);
  return rc == -1 ? CLI_EXIT_OK : rc;
}
