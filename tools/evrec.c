/*
 * evrec.c -- entry point of the `evrec` command: the command table, global
 * --help/--version, and the final checked close of stdout.
 *
 * SIGPIPE is set to its default action at start, so `evrec cat big | head`
 * ends quietly like cat(1) (the shell sees status 141) even when the parent
 * process ignored the signal. Every other failure to write stdout -- a full
 * disk, /dev/full -- is reported and exits with status 2.
 */
#include <signal.h>
#include <string.h>

#include "cli.h"

static const cli_option convert_options[] = {
    {'o', 'o', "output", "FILE", "write to FILE ('-' = stdout, the default)"},
    {'f', 'f', "from", "FMT", "input format: json, ndjson, pb, pbd (default: detect)"},
    {'t', 't', "to", "FMT", "output format (default: from -o's extension, else ndjson)"},
    {'p', 0, "pretty", NULL, "indented JSON, one object after another (-t json)"},
    {'a', 0, "array", NULL, "one JSON array of all records (-t json)"},
    {'u', 0, "ignore-unknown", NULL, "skip unknown JSON fields and enum names"},
    {'d', 0, "emit-defaults", NULL, "print JSON fields that have their default value"},
    {'n', 0, "proto-names", NULL, "print proto field names, not lowerCamelCase"},
    {'A', 0, "append", NULL, "append to OUT instead of replacing it (pbd, ndjson)"},
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option cat_options[] = {
    {'f', 'f', "from", "FMT", "input format: json, ndjson, pb, pbd (default: detect)"},
    {'u', 0, "ignore-unknown", NULL, "skip unknown JSON fields and enum names"},
    {'d', 0, "emit-defaults", NULL, "print JSON fields that have their default value"},
    {'n', 0, "proto-names", NULL, "print proto field names, not lowerCamelCase"},
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_command commands[] = {
    {"convert", "[OPTIONS] [IN...|-]", "convert records between json, ndjson, pb and pbd",
     "Reads records (evrec.v1.Record) from each IN in turn (default: stdin) and\n"
     "writes them all to one output. The input format is detected from the\n"
     "content and the file name (.json .ndjson .jsonl .pb .pbd); binary input\n"
     "on stdin needs -f. JSON input may be one object, an array of objects,\n"
     "NDJSON or blank-separated objects. JSON output is NDJSON (one compact\n"
     "object per line) unless --pretty or --array.\n"
     "\n"
     "An output file is written under a temporary name and renamed into place\n"
     "only when everything succeeded: a failed run leaves no partial file and\n"
     "never clobbers an existing one. Binary output (pb, pbd) is refused on a\n"
     "terminal unless '-o -' asks for it explicitly.\n"
     "\n"
     "Errors give FILE:LINE:COL for JSON input or the byte offset for binary\n"
     "input, the record number counted from 1, and the field path.",
     convert_options, cli_cmd_convert},
    {"cat", "[OPTIONS] [IN...|-]", "print records as NDJSON on stdout",
     "Prints the records of each IN (default: stdin) as NDJSON, one compact\n"
     "canonical JSON object per line. Same input handling and error format as\n"
     "'evrec convert' (record numbers count from 1).",
     cat_options, cli_cmd_cat},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void top_help(FILE *f) {
  fputs("Usage: evrec COMMAND [OPTIONS] [ARGS]\n"
        "       evrec --help | --version\n"
        "\n"
        "Reads, writes and converts event-data records (evrec.v1.Record) as\n"
        "canonical proto3 JSON, NDJSON, pb (one binary record) and pbd\n"
        "(varint-delimited binary records). '-' means stdin or stdout.\n"
        "\n"
        "Commands:\n",
        f);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fputs("\nRun 'evrec COMMAND --help' for the options of a command.\n"
        "Exit status: 0 success, 1 invalid input, 2 usage or I/O error.\n",
        f);
}

static const cli_command *find_command(const char *name) {
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

/* `evrec help [COMMAND]` */
static int help_command(int argc, char **argv) {
  if (argc < 3) {
    top_help(stdout);
    return CLI_EXIT_OK;
  }
  const cli_command *cmd = find_command(argv[2]);
  if (!cmd) {
    cli_error("unknown command '%s'\nTry 'evrec --help'.", argv[2]);
    return CLI_EXIT_USAGE;
  }
  cli_help(stdout, cmd);
  return CLI_EXIT_OK;
}

static int dispatch(int argc, char **argv) {
  if (argc < 2) {
    top_help(stderr);
    return CLI_EXIT_USAGE;
  }
  const char *a = argv[1];
  if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
    top_help(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
    printf("evrec %s\n", evrec_version());
    return CLI_EXIT_OK;
  }
  if (strcmp(a, "help") == 0) return help_command(argc, argv);
  const cli_command *cmd = find_command(a);
  if (!cmd) {
    cli_error("unknown %s '%s'\nTry 'evrec --help'.", a[0] == '-' ? "option" : "command", a);
    return CLI_EXIT_USAGE;
  }
  return cmd->run(cmd, argc - 1, argv + 1);
}

int main(int argc, char **argv) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
  return cli_close_stdout(dispatch(argc, argv));
}
