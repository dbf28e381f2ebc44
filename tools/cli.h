/*
 * cli.h -- shared pieces of the `evrec` command line tool.
 *
 * Each subcommand is a row in the command table (evrec.c) with its own
 * option table; the same table drives option parsing and generates the
 * command's --help, so the two cannot drift apart. Diagnostics all go
 * through cli_report() so every command prints positions the same way:
 *
 *   evrec: FILE:LINE:COL: record N: message (at PATH)      JSON input
 *   evrec: FILE: record N at byte OFF: message (at PATH)   binary input
 *   evrec: message                                          I/O errors
 *
 * Record numbers are 1-based here (the library's are 0-based).
 */
#ifndef EVREC_CLI_H
#define EVREC_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "evrec.h"

/* Exit statuses (documented in every --help). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_INVALID = 1, CLI_EXIT_USAGE = 2 };

typedef struct cli_option {
  int id;                /* > 0; returned by cli_next() */
  char short_name;       /* 0 = none */
  const char *long_name; /* without "--" */
  const char *arg;       /* argument name in --help; NULL for a flag; "[=X]" for an
                            optional argument, given only as --name=value */
  const char *help;
} cli_option;

typedef struct cli_command cli_command;
struct cli_command {
  const char *name;
  const char *synopsis;    /* after "evrec NAME " in the usage line */
  const char *summary;     /* one line for `evrec --help` */
  const char *description; /* paragraphs for `evrec NAME --help` */
  const cli_option *options; /* ends with a zeroed row */
  int (*run)(const cli_command *cmd, int argc, char **argv);
};

/* Option id of -h/--help in every table. */
#define CLI_OPT_HELP 'h'

/* cli_next() results besides option ids. */
enum { CLI_END = 0, CLI_OPERAND = -1, CLI_ERROR = -2 };

typedef struct cli_parser {
  const cli_command *cmd;
  int argc;
  char **argv;
  int i;               /* next argv element */
  const char *cluster; /* rest of a "-abc" group being read */
  bool operands_only;  /* after "--" */
} cli_parser;

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv);

/** Next option (its id, *value = its argument or NULL), operand
 *  (CLI_OPERAND, *value = it), CLI_END, or CLI_ERROR (already reported). */
int cli_next(cli_parser *p, const char **value);

/** Prints the generated help of a command. */
void cli_help(FILE *f, const cli_command *cmd);

/** Prints "evrec CMD: message" and a hint to --help. @return CLI_EXIT_USAGE. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Prints "evrec: message". */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/** Prints a library error about `file` in the layouts above. */
void cli_report(const char *file, const evrec_error *e);

/** Prints where e happened as cli_report() does ("FILE:LINE:COL: record N",
 *  "FILE: record N at byte OFF", or "FILE"), with no ": " after it. */
void cli_print_where(FILE *f, const char *file, const evrec_error *e);

/** Prints e's message; a limit's "(max_string_size)" as "(--max-string-size)". */
void cli_print_message(FILE *f, const evrec_error *e);

/** The same text into out[0..size) (truncated, NUL-terminated). */
void cli_message_text(char *out, size_t size, const evrec_error *e);

/** Prints at most `max` code points of the UTF-8 string s ("..." when cut),
 *  control characters as \xHH, so that s cannot break a line of output. */
void cli_print_excerpt(FILE *f, const char *s, size_t max);

/* ---------------------------------------------------------------------- */
/* Validation output shared by validate and convert (cli_validate.c)       */
/* ---------------------------------------------------------------------- */

/** Prints one violation of `file`: a text line after `prefix` ("" or
 *  "evrec: "), or with `json` one JSON object (prefix unused). */
void cli_print_violation(FILE *f, bool json, const char *prefix, const char *file,
                         const evrec_violation *v);

/** @return `one` when n is 1, else `many` ("record" / "records"). */
const char *cli_plural(uint64_t n, const char *one, const char *many);

/** Display name of a path: "<stdin>" / "<stdout>" for "-". */
const char *cli_display_name(const char *path, bool output);

/** Parses a format name for -f/-t; reports and returns AUTO when unknown. */
evrec_format cli_parse_format(const cli_command *cmd, const char *opt, const char *name);

/** Closes stdout, reporting a failure (an earlier write error too:
 *  ferror) if nothing else failed. @return exit status. */
int cli_close_stdout(int status);

/** Reports that input `file` could not be opened (cli_report) and returns
 *  the exit status every command uses for it: 1 for a damaged or cut
 *  input, 2 when it cannot be used at all (missing, unreadable, not a
 *  container, format unknown). */
int cli_open_failed(const char *file, const evrec_error *e);

/** Before reading `path`: when it is stdin ("-") and stdin is a terminal,
 *  says so on stderr ("reading records from standard input (Ctrl-D to
 *  end)"), or refuses binary input (pb, pbd, evr) as gzip does.
 *  @return 0, or CLI_EXIT_USAGE (reported). */
int cli_stdin_check(const char *path, evrec_format format);

/** Parses a decimal number <= max into *out. @return 0, or CLI_EXIT_USAGE
 *  (reported). */
int cli_parse_uint(const cli_command *cmd, const char *opt, const char *text, uint64_t max,
                   uint64_t *out);

/** Parses a positive size with an optional k/M/G suffix (powers of 1024).
 *  @return 0, or CLI_EXIT_USAGE (reported). */
int cli_parse_size(const cli_command *cmd, const char *opt, const char *text, uint64_t *out);

/** Prints s as a JSON string (quotes, escapes; s is UTF-8). */
void cli_json_string(FILE *f, const char *s);

/** Writes bytes to path atomically (temporary file + rename; "-" = stdout).
 *  @return CLI_EXIT_OK, or CLI_EXIT_USAGE after reporting the error. */
int cli_write_file(const char *path, const void *data, size_t len);

/* ---------------------------------------------------------------------- */
/* Output file and record formats: -o, -f, -t (cli.c)                      */
/* ---------------------------------------------------------------------- */

/* The options' ids are their letters: {'o', 'o', "output", "FILE", ...},
 * {'f', 'f', "from", "FMT", ...}, {'t', 't', "to", "FMT", ...}. A command
 * whose -f or -t takes other names (import's source formats, export's
 * targets) handles that id itself before calling cli_io_option(). */
typedef struct cli_io {
  const char *output;    /* -o FILE; "-" = stdout (set the default before parsing) */
  bool output_given;     /* -o was used (also "-o -") */
  evrec_format from, to; /* -f, -t: record formats; EVREC_FORMAT_AUTO = not given */
} cli_io;

/** Handles -o, or -f/-t naming a record format (cli_parse_format()).
 *  @return 0 when handled, 1 when `id` is none of them, CLI_EXIT_USAGE on
 *  an unknown format (reported). */
int cli_io_option(const cli_command *cmd, cli_io *io, int id, const char *value);

/** Settles the output format when -t was not given: from -o's extension,
 *  else `fallback` (stdout has no extension). */
void cli_io_output_format(cli_io *io, evrec_format fallback);

/** Refuses binary output (pb, pbd, evr) to stdout when it is a terminal,
 *  unless "-o -" asked for it. @return 0, or CLI_EXIT_USAGE (reported). */
int cli_io_check_terminal(const cli_io *io);

/* ---------------------------------------------------------------------- */
/* .evr writer settings shared by convert and recover (cli_evr.c)          */
/* ---------------------------------------------------------------------- */

/* Option ids of the container settings; tables list the rows they accept. */
enum {
  CLI_OPT_LEVEL = 'z',
  CLI_OPT_THREADS = 'j',
  CLI_OPT_BLOCK_SIZE = 0x100,
  CLI_OPT_META,
  CLI_OPT_MAX_RECORD, /* a limit (cli_limits.c), also the writer's */
};

typedef struct cli_evr {
  int level;                /* -1 = default */
  unsigned threads;         /* 0 = online cores */
  size_t block_size;        /* 0 = default */
  const char **meta;        /* "key=value", malloc'ed array (strings in argv) */
  size_t n_meta;
  bool given;               /* any container option was used */
  char created_at[32];      /* from SOURCE_DATE_EPOCH, "" = now */
} cli_evr;

void cli_evr_init(cli_evr *e);
void cli_evr_free(cli_evr *e);

/** Handles a container option. @return 0 when handled, 1 when `id` is not a
 *  container option, CLI_EXIT_USAGE on a bad value (reported). */
int cli_evr_option(const cli_command *cmd, cli_evr *e, int id, const char *value, int argc);

/** Reads SOURCE_DATE_EPOCH (reproducible builds) into e->created_at.
 *  @return 0, or CLI_EXIT_USAGE when it is set but not a number of seconds. */
int cli_evr_environment(cli_evr *e);

/** Copies the settings into writer options. */
void cli_evr_apply(const cli_evr *e, evrec_writer_options *wo);

/* ---------------------------------------------------------------------- */
/* Input limits shared by every command that reads records (cli_limits.c) */
/* ---------------------------------------------------------------------- */

enum {
  CLI_OPT_MAX_DEPTH = 0x140,
  CLI_OPT_MAX_STRING,
  CLI_OPT_MAX_BLOCK,
  CLI_OPT_MAX_BLOCK_RECORDS,
  CLI_OPT_MAX_INDEX,
};

/* The limits of evrec_reader_options; 0 = the library's default. */
typedef struct cli_limits {
  unsigned max_depth;
  size_t max_record_size, max_string_size, max_block_size, max_block_records, max_index_size;
} cli_limits;

/** Handles a limit option (CLI_OPT_MAX_*). @return 0 when handled, 1 when
 *  `id` is not a limit, CLI_EXIT_USAGE on a bad value (reported). */
int cli_limits_option(const cli_command *cmd, cli_limits *l, int id, const char *value);

/** Copies the limits into reader options. */
void cli_limits_apply(const cli_limits *l, evrec_reader_options *ro);

/* Commands. */
int cli_cmd_convert(const cli_command *cmd, int argc, char **argv); /* cmd_convert.c */
int cli_cmd_cat(const cli_command *cmd, int argc, char **argv);
int cli_cmd_info(const cli_command *cmd, int argc, char **argv);    /* cmd_info.c */
int cli_cmd_schema(const cli_command *cmd, int argc, char **argv);  /* cmd_schema.c */
int cli_cmd_recover(const cli_command *cmd, int argc, char **argv); /* cmd_recover.c */
int cli_cmd_get(const cli_command *cmd, int argc, char **argv);     /* cmd_get.c */
int cli_cmd_import(const cli_command *cmd, int argc, char **argv);  /* cmd_import.c */
int cli_cmd_export(const cli_command *cmd, int argc, char **argv);  /* cmd_export.c */
int cli_cmd_validate(const cli_command *cmd, int argc, char **argv); /* cmd_validate.c */
int cli_cmd_diff(const cli_command *cmd, int argc, char **argv);    /* cmd_diff.c */
int cli_cmd_patch(const cli_command *cmd, int argc, char **argv);   /* cmd_patch.c */

#endif /* EVREC_CLI_H */
