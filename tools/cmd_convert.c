/*
 * cmd_convert.c -- `evrec convert` and `evrec cat`.
 *
 * Both stream records from each input in turn into one writer; `cat` is
 * `convert` with the output fixed to NDJSON on stdout. The first error stops
 * the run. An output file is then aborted (the writer removes its temporary
 * file, so nothing partial is left and an existing file is untouched);
 * stdout keeps the records written before the error, as with cat(1).
 *
 * Exit status: 2 when nothing could be read or written (usage, open, I/O,
 * out of memory, a format that cannot hold the records), 1 when a record is
 * invalid (decode errors, or a record the output format cannot represent).
 *
 * .evr output takes the container settings of cli_evr.c; --append on an .evr
 * file adds blocks after its last EOF member (the library never rewrites the
 * old bytes and truncates back on failure). Inputs are read within the
 * limits of cli_limits.c (--max-record-size also bounds .evr output).
 *
 * Progress (records, input bytes, rate) goes to stderr every half second
 * with --progress, or by itself when stderr is a terminal and the run has
 * lasted PROGRESS_AUTO_AFTER seconds; a short run on a terminal stays quiet.
 * When the input size is known -- every input a regular file, their sizes
 * summed -- it also shows the percentage done and the time left (from the
 * rate so far). Sizes and rates are in KiB/MiB/GiB (powers of 1024, as the
 * size options' k/M/G). The clock is read only every PROGRESS_EVERY
 * records. EVREC_PROGRESS_PERIOD (seconds, default 0.5) sets the interval,
 * so that a test can see every update.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

typedef struct conv {
  const cli_command *cmd;
  const char **inputs;
  int n_inputs;
  cli_io io;            /* -o -f -t */
  bool pretty, array, append;
  unsigned decode_flags, encode_flags;
  cli_evr evr;          /* container settings (-z -j --block-size --meta) */
  cli_limits lim;       /* input limits (--max-depth --max-record-size ...) */
  bool progress;        /* --progress */
  int argc;             /* bounds the --meta array */
  int validate;         /* --validate: 0 off, VAL_REFUSE, VAL_WARN */
  evrec_validator *validator;
  evrec_validate_stats vstats;
  const char *vfile;    /* display name of the input being validated */
} conv;

enum { VAL_REFUSE = 1, VAL_WARN = 2 };

#define PROGRESS_EVERY 64
#define PROGRESS_PERIOD 0.5
#define PROGRESS_AUTO_AFTER 2.0

typedef struct progress {
  bool forced, tty, shown;
  double start, last;  /* seconds (CLOCK_MONOTONIC) */
  double period;       /* seconds between updates */
  uint64_t records;
  uint64_t bytes_done; /* input bytes of the inputs already finished */
  uint64_t total;      /* input bytes in all, 0 when unknown (stdin, a pipe) */
} progress;

/* ====================================================================== */
/* Arguments                                                              */
/* ====================================================================== */

/* Handles one parsed option; @return 0, or an exit status to stop with. */
static int conv_option(conv *c, int id, const char *value) {
  switch (id) {
  case 'p': c->pretty = true; return 0;
  case 'a': c->array = true; return 0;
  case 'u': c->decode_flags |= EVREC_JSON_IGNORE_UNKNOWN; return 0;
  case 'd': c->encode_flags |= EVREC_JSON_EMIT_DEFAULTS; return 0;
  case 'n': c->encode_flags |= EVREC_JSON_PROTO_NAMES; return 0;
  case 'A': c->append = true; return 0;
  case 'P': c->progress = true; return 0;
  case 'V':
    if (!value || strcmp(value, "error") == 0) c->validate = VAL_REFUSE;
    else if (strcmp(value, "warn") == 0) c->validate = VAL_WARN;
    else return cli_usage_error(c->cmd, "--validate: '%s' is not error or warn", value);
    return 0;
  case CLI_OPT_HELP:
    cli_help(stdout, c->cmd);
    return -1; /* done, successfully */
  }
  int rc = cli_io_option(c->cmd, &c->io, id, value);
  if (rc == 1) rc = cli_limits_option(c->cmd, &c->lim, id, value);
  if (rc == 1) rc = cli_evr_option(c->cmd, &c->evr, id, value, c->argc);
  return rc == 1 ? CLI_EXIT_USAGE : rc;
}

/* Parses argv into c; @return 0 to go on, -1 after --help, or an exit status. */
static int conv_parse(conv *c, int argc, char **argv) {
  static const char *stdin_only[] = {"-"};
  cli_parser p;
  const char *value;
  int id;
  c->inputs = (const char **)(argv + 1); /* operands are compacted in place */
  cli_parser_init(&p, c->cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    if (id == CLI_OPERAND) {
      c->inputs[c->n_inputs++] = value;
      continue;
    }
    int rc = conv_option(c, id, value);
    if (rc) return rc;
  }
  if (c->n_inputs == 0) {
    c->inputs = stdin_only;
    c->n_inputs = 1;
  }
  return 0;
}

/* Appending to a file that is also read would chase its own output (as
 * `cat f >> f`): @return such an input, or NULL. */
static const char *conv_input_is_output(const conv *c) {
  struct stat out, in;
  if (stat(c->io.output, &out) != 0) return NULL;
  for (int i = 0; i < c->n_inputs; i++)
    if (strcmp(c->inputs[i], "-") != 0 && stat(c->inputs[i], &in) == 0 &&
        in.st_dev == out.st_dev && in.st_ino == out.st_ino)
      return c->inputs[i];
  return NULL;
}

/* --append: formats whose records are self-delimiting, never onto an input. */
static int conv_check_append(const conv *c) {
  evrec_format to = c->io.to;
  if (to != EVREC_FORMAT_PBD && to != EVREC_FORMAT_NDJSON && to != EVREC_FORMAT_EVR &&
      (to != EVREC_FORMAT_JSON || c->array))
    return cli_usage_error(c->cmd, "--append works only for evr, pbd and ndjson output, not %s",
                           c->array ? "a JSON array" : evrec_format_name(to));
  const char *same = conv_input_is_output(c);
  if (same) return cli_usage_error(c->cmd, "--append: input '%s' is the output file", same);
  struct stat st; /* appending keeps the existing header: --meta would be lost */
  if (c->evr.n_meta && stat(c->io.output, &st) == 0 && st.st_size > 0)
    return cli_usage_error(c->cmd, "--meta cannot change the header of '%s' (--append)",
                           c->io.output);
  return 0;
}

/* Settles the output format and rejects combinations that make no sense. */
static int conv_check(conv *c) {
  bool to_stdout = strcmp(c->io.output, "-") == 0;
  cli_io_output_format(&c->io, c->pretty || c->array ? EVREC_FORMAT_JSON : EVREC_FORMAT_NDJSON);
  if ((c->pretty || c->array) && c->io.to != EVREC_FORMAT_JSON)
    return cli_usage_error(c->cmd, "--pretty and --array need JSON output (-t json), not %s",
                           evrec_format_name(c->io.to));
  if (c->append && to_stdout)
    return cli_usage_error(c->cmd, "--append needs an output file (-o FILE)");
  if (c->evr.given && c->io.to != EVREC_FORMAT_EVR)
    return cli_usage_error(c->cmd, "-z, -j, --block-size and --meta need .evr output (-t evr), "
                           "not %s", evrec_format_name(c->io.to));
  int rc = c->append ? conv_check_append(c) : 0;
  return rc ? rc : cli_io_check_terminal(&c->io);
}

/* ====================================================================== */
/* Progress                                                               */
/* ====================================================================== */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The summed size of the inputs, or 0 when one of them is not a regular
 * file (stdin, a pipe): then no percentage can be shown. */
static uint64_t inputs_size(const conv *c) {
  uint64_t total = 0;
  struct stat st;
  for (int i = 0; i < c->n_inputs; i++) {
    if (strcmp(c->inputs[i], "-") == 0 || stat(c->inputs[i], &st) != 0 || !S_ISREG(st.st_mode))
      return 0;
    total += (uint64_t)st.st_size;
  }
  return total;
}

static void progress_init(progress *p, bool forced, uint64_t total) {
  memset(p, 0, sizeof *p);
  p->forced = forced;
  p->tty = isatty(STDERR_FILENO);
  p->start = p->last = now_seconds();
  p->total = total;
  p->period = PROGRESS_PERIOD;
  const char *env = getenv("EVREC_PROGRESS_PERIOD");
  char *end;
  double v = env ? strtod(env, &end) : -1;
  if (env && *env && !*end && v >= 0 && v < 3600) p->period = v;
}

/* Binary units as the size options have them: "KiB", "MiB", "GiB". */
static const char *unit_of(double bytes, double *scale) {
  if (bytes >= 1024.0 * 1024 * 1024) return *scale = 1024.0 * 1024 * 1024, "GiB";
  if (bytes >= 1024.0 * 1024) return *scale = 1024.0 * 1024, "MiB";
  return *scale = 1024.0, "KiB";
}

/* "0:42" or "1:02:03". */
static void print_duration(double secs) {
  unsigned long s = secs > 0 && secs < 1e9 ? (unsigned long)(secs + 0.5) : 0;
  if (s >= 3600) fprintf(stderr, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
  else fprintf(stderr, "%lu:%02lu", s / 60, s % 60);
}

/* evrec: 1200 records, 4.1 of 12.0 MiB (34%), 20.5 MiB/s, 0:00 left
 * evrec: 3000 records, 12.0 MiB in 0:01, 20.4 MiB/s                  (final) */
static void progress_print(progress *p, uint64_t bytes, double t, bool final) {
  double secs = t - p->start, scale, rscale;
  double rate = secs > 0 ? (double)bytes / secs : 0.0;
  const char *unit = unit_of(p->total && !final ? (double)p->total : (double)bytes, &scale);
  const char *runit = unit_of(rate, &rscale);
  fprintf(stderr, "%sevrec: %llu %s, ", p->tty ? "\r" : "", (unsigned long long)p->records,
          cli_plural(p->records, "record", "records"));
  if (final) {
    fprintf(stderr, "%.1f %s in ", (double)bytes / scale, unit);
    print_duration(secs);
  } else if (p->total) {
    uint64_t done = bytes < p->total ? bytes : p->total;
    fprintf(stderr, "%.1f of %.1f %s (%u%%)", (double)done / scale, (double)p->total / scale,
            unit, (unsigned)(done * 100 / p->total));
  } else {
    fprintf(stderr, "%.1f %s", (double)bytes / scale, unit);
  }
  fprintf(stderr, ", %.1f %s/s", rate / rscale, runit);
  if (!final && p->total && bytes && bytes < p->total) {
    fputs(", ", stderr);
    print_duration(secs * (double)(p->total - bytes) / (double)bytes);
    fputs(" left", stderr);
  }
  fputs(p->tty && !final ? "   " : "\n", stderr);
  p->shown = true;
  p->last = t;
}

/* Called once per record; `bytes` = input bytes consumed so far in total. */
static void progress_tick(progress *p, uint64_t bytes) {
  if (++p->records % PROGRESS_EVERY || (!p->forced && !p->tty)) return;
  double t = now_seconds();
  if (t - p->last < p->period) return;
  if (p->forced || t - p->start >= PROGRESS_AUTO_AFTER) progress_print(p, bytes, t, false);
}

/* The final line: always with --progress, else only after earlier lines. */
static void progress_end(progress *p) {
  if (p->forced || p->shown) progress_print(p, p->bytes_done, now_seconds(), true);
}

/* ====================================================================== */
/* Running                                                                */
/* ====================================================================== */

/* Reports a failed write of record number `index` of input `in`. */
static int conv_write_error(const conv *c, const char *in, uint64_t index, evrec_error *e) {
  if (e->code == EVREC_E_IO || e->code == EVREC_E_NOMEM || e->code == EVREC_E_FORMAT ||
      e->code == EVREC_E_INVALID_ARG || e->code == EVREC_E_UNSUPPORTED) {
    e->record = EVREC_UNKNOWN; /* a property of the output, not of one record */
    e->offset = EVREC_UNKNOWN;
    cli_report(cli_display_name(c->io.output, true), e);
    return CLI_EXIT_USAGE;
  }
  e->record = index; /* the record cannot be encoded: blame the input record */
  e->offset = EVREC_UNKNOWN;
  e->line = e->column = 0;
  cli_report(cli_display_name(in, false), e);
  return CLI_EXIT_INVALID;
}

/* --validate: prints each violation on stderr as `evrec validate` would. */
static int conv_violation(const evrec_violation *v, void *payload) {
  const conv *c = payload;
  cli_print_violation(stderr, false, "evrec: ", c->vfile, v);
  return 0;
}

/* Validates one record before it is written. @return false when it has an
 * error and --validate (not =warn) refuses it. */
static bool conv_validate(conv *c, const ProtobufCMessage *msg, uint64_t index) {
  uint64_t errors = c->vstats.errors;
  evrec_error err;
  int rc = evrec_validator_check(c->validator, msg, index, &c->vstats, conv_violation, c, &err);
  if (rc < 0) cli_report(c->vfile, &err);
  return c->validate == VAL_WARN || (rc >= 0 && c->vstats.errors == errors);
}

/* Copies every record of `in` to w. @return an exit status. */
static int conv_input(conv *c, const char *in, evrec_writer *w, progress *pg) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *msg;
  const char *shown = cli_display_name(in, false);
  ro.format = c->io.from;
  ro.json_flags = c->decode_flags;
  cli_limits_apply(&c->lim, &ro);
  ro.name = strcmp(in, "-") == 0 ? shown : NULL; /* "<stdin>" in I/O messages too */
  int rc = cli_stdin_check(in, c->io.from);
  if (rc) return rc;
  if (evrec_reader_open_file(&r, in, &ro, &err) != EVREC_OK) return cli_open_failed(shown, &err);
  int status = CLI_EXIT_OK;
  c->vfile = shown;
  if (c->validator) evrec_validator_reset(c->validator); /* duplicates: per input */
  while ((rc = evrec_reader_next(r, &msg, &err)) == EVREC_OK) {
    if (c->validator && !conv_validate(c, msg, evrec_reader_count(r) - 1)) {
      status = CLI_EXIT_INVALID; /* keep going: report every invalid record */
      continue;
    }
    if (status != CLI_EXIT_OK) continue; /* an earlier record was refused */
    if (evrec_writer_write(w, msg, &err) != EVREC_OK) {
      status = conv_write_error(c, in, evrec_reader_count(r) - 1, &err);
      break;
    }
    progress_tick(pg, pg->bytes_done + evrec_reader_offset(r));
  }
  pg->bytes_done += evrec_reader_offset(r);
  if (rc < 0) {
    cli_report(shown, &err);
    status = err.code == EVREC_E_IO || err.code == EVREC_E_NOMEM ? CLI_EXIT_USAGE
                                                                 : CLI_EXIT_INVALID;
  }
  evrec_reader_close(r);
  return status;
}

static int conv_run(conv *c) {
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  evrec_writer *w;
  evrec_error err;
  wo.format = c->io.to;
  wo.name = strcmp(c->io.output, "-") == 0 ? cli_display_name(c->io.output, true) : NULL;
  wo.json_flags = c->encode_flags | (c->pretty ? EVREC_JSON_PRETTY : 0);
  /* Records come from evrec_reader_next(), which validated their strings. */
  wo.flags = (c->array ? EVREC_WRITE_ARRAY : 0) | (c->append ? EVREC_WRITE_APPEND : 0) |
             EVREC_WRITE_VALID_UTF8;
  cli_evr_apply(&c->evr, &wo);
  wo.max_record_size = c->lim.max_record_size;
  if (evrec_writer_open_file(&w, c->io.output, &wo, &err) != EVREC_OK) {
    cli_report(cli_display_name(c->io.output, true), &err);
    return CLI_EXIT_USAGE;
  }
  int status = CLI_EXIT_OK;
  progress pg;
  progress_init(&pg, c->progress, inputs_size(c));
  /* With --validate every input is read to its end, so that every invalid
   * record is reported; without it the first failure stops the run. */
  for (int i = 0; i < c->n_inputs && (status == CLI_EXIT_OK || c->validate); i++) {
    int rc = conv_input(c, c->inputs[i], w, &pg);
    if (rc > status) status = rc;
  }
  progress_end(&pg);
  if (status != CLI_EXIT_OK) {
    if (strcmp(c->io.output, "-") == 0) {
      if (evrec_writer_close(w, NULL) != EVREC_OK) {
        /* keep what stdout already got; the run has failed already */
      }
    } else
      evrec_writer_abort(w); /* no partial file; an existing one stays */
    return status;
  }
  if (evrec_writer_close(w, &err) != EVREC_OK) {
    cli_report(cli_display_name(c->io.output, true), &err);
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

static int conv_main(conv *c, int argc, char **argv) {
  cli_evr_init(&c->evr);
  c->argc = argc;
  int rc = conv_parse(c, argc, argv);
  if (rc == -1) {
    cli_evr_free(&c->evr);
    return CLI_EXIT_OK; /* --help */
  }
  if (rc == 0) rc = conv_check(c);
  if (rc == 0 && c->io.to == EVREC_FORMAT_EVR) rc = cli_evr_environment(&c->evr);
  evrec_error err;
  if (rc == 0 && c->validate && evrec_validator_new(&c->validator, NULL, &err) != EVREC_OK) {
    cli_report(cli_display_name(c->io.output, true), &err);
    rc = CLI_EXIT_USAGE;
  }
  if (rc == 0) rc = conv_run(c);
  if (c->validate && c->vstats.records && (c->vstats.errors || c->vstats.warnings))
    fprintf(stderr, "evrec: validation: %llu %s, %llu %s, %llu %s%s\n",
            (unsigned long long)c->vstats.records, cli_plural(c->vstats.records, "record", "records"),
            (unsigned long long)c->vstats.errors, cli_plural(c->vstats.errors, "error", "errors"),
            (unsigned long long)c->vstats.warnings,
            cli_plural(c->vstats.warnings, "warning", "warnings"),
            c->validate == VAL_REFUSE && c->vstats.errors ? "; nothing written" : "");
  evrec_validator_free(c->validator);
  cli_evr_free(&c->evr);
  return rc;
}

/* ====================================================================== */
/* Commands                                                               */
/* ====================================================================== */

int cli_cmd_convert(const cli_command *cmd, int argc, char **argv) {
  conv c;
  memset(&c, 0, sizeof c);
  c.cmd = cmd;
  c.io.output = "-";
  return conv_main(&c, argc, argv);
}

int cli_cmd_cat(const cli_command *cmd, int argc, char **argv) {
  conv c;
  memset(&c, 0, sizeof c);
  c.cmd = cmd;
  c.io.output = "-";
  c.io.output_given = true; /* cat always prints JSON; nothing to refuse */
  c.io.to = EVREC_FORMAT_NDJSON;
  return conv_main(&c, argc, argv);
}
