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

/* Container settings of convert and recover (cli_evr.c). */
#define EVR_OPTIONS                                                                       \
  {CLI_OPT_LEVEL, 'z', "level", "0-9", "evr: deflate level, 0 = stored (default 5)"},      \
  {CLI_OPT_THREADS, 'j', "threads", "N", "evr: compression threads (default: all cores)"}, \
  {CLI_OPT_BLOCK_SIZE, 0, "block-size", "SIZE",                                            \
   "evr: uncompressed bytes per block, k/M suffix (default 256k)"},                        \
  {CLI_OPT_META, 0, "meta", "KEY=VALUE", "evr: header metadata (repeatable)"}

/* Input limits of every command that reads records (cli_limits.c); the
 * JSON-only one is offered only by commands that read JSON, the index one
 * only by those that use random access (get, and info's index check). */
#define LIMIT_OPTIONS                                                                      \
  {CLI_OPT_MAX_DEPTH, 0, "max-depth", "N", "JSON input: deepest message nesting (default 100)"}, \
  EVR_LIMIT_OPTIONS
#define EVR_LIMIT_OPTIONS                                                                  \
  {CLI_OPT_MAX_RECORD, 0, "max-record-size", "SIZE",                                       \
   "largest record, k/M/G suffix (default 64M)"},                                          \
  {CLI_OPT_MAX_STRING, 0, "max-string-size", "SIZE",                                       \
   "longest string or bytes value read (default 16M)"},                                    \
  {CLI_OPT_MAX_BLOCK, 0, "max-block-size", "SIZE",                                         \
   "evr input: largest block, uncompressed (default 64M)"},                                \
  {CLI_OPT_MAX_BLOCK_RECORDS, 0, "max-block-records", "N",                                 \
   "evr input: most records per block (default 64M)"}
#define INDEX_LIMIT_OPTION                                                                 \
  {CLI_OPT_MAX_INDEX, 0, "max-index-size", "SIZE",                                         \
   "evr input: most index bytes random access loads (default 256M)"}

static const cli_option info_options[] = {
    {'J', 0, "json", NULL, "one JSON object per input instead of text"},
    {'f', 'f', "from", "FMT", "input format (default: detect)"},
    LIMIT_OPTIONS,
    INDEX_LIMIT_OPTION,
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option schema_options[] = {
    {'D', 0, "descriptor-set", NULL, "write the FileDescriptorSet (binary) instead of text"},
    {'o', 'o', "output", "FILE", "write to FILE ('-' = stdout, the default)"},
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option recover_options[] = {
    {'o', 'o', "output", "FILE", "write the salvaged records to FILE (required)"},
    EVR_OPTIONS,
    EVR_LIMIT_OPTIONS,
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option get_options[] = {
    {'O', 0, "ordinal", "N", "also print record number N (the first is 1; repeatable)"},
    {'d', 0, "emit-defaults", NULL, "print JSON fields that have their default value"},
    {'n', 0, "proto-names", NULL, "print proto field names, not lowerCamelCase"},
    {'S', 0, "stats", NULL, "report blocks inflated and index members read on stderr"},
    EVR_LIMIT_OPTIONS,
    INDEX_LIMIT_OPTION,
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option convert_options[] = {
    {'o', 'o', "output", "FILE", "write to FILE ('-' = stdout, the default)"},
    {'f', 'f', "from", "FMT", "input format: json, ndjson, pb, pbd, evr (default: detect)"},
    {'t', 't', "to", "FMT", "output format (default: from -o's extension, else ndjson)"},
    {'p', 0, "pretty", NULL, "indented JSON, one object after another (-t json)"},
    {'a', 0, "array", NULL, "one JSON array of all records (-t json)"},
    {'u', 0, "ignore-unknown", NULL, "JSON input: skip unknown fields and enum names"},
    {'d', 0, "emit-defaults", NULL, "print JSON fields that have their default value"},
    {'n', 0, "proto-names", NULL, "print proto field names, not lowerCamelCase"},
    {'A', 0, "append", NULL, "append to OUT instead of replacing it (evr, pbd, ndjson)"},
    EVR_OPTIONS,
    LIMIT_OPTIONS,
    {'P', 0, "progress", NULL, "show records, bytes, rate, percentage done and time left on stderr"},
    {'V', 0, "validate", "[=warn]",
     "check every record as 'evrec validate' does; refuse the output on an error "
     "(=warn: convert and report)"},
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option cat_options[] = {
    {'f', 'f', "from", "FMT", "input format: json, ndjson, pb, pbd, evr (default: detect)"},
    {'u', 0, "ignore-unknown", NULL, "JSON input: skip unknown fields and enum names"},
    {'d', 0, "emit-defaults", NULL, "print JSON fields that have their default value"},
    {'n', 0, "proto-names", NULL, "print proto field names, not lowerCamelCase"},
    LIMIT_OPTIONS,
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

/* Import/export (cmd_import.c, cmd_export.c). */
static const cli_option import_options[] = {
    {'f', 'f', "from", "FMT",
     "source format: gdelt, acled, plover, icews, ninjs, claimreview (required)"},
    {'o', 'o', "output", "FILE", "write to FILE ('-' = stdout, the default)"},
    {'t', 't', "to", "FMT", "output format (default: from -o's extension, else ndjson)"},
    {'p', 0, "pretty", NULL, "indented JSON, one object after another (-t json)"},
    {'a', 0, "array", NULL, "one JSON array of all records (-t json)"},
    {'M', 0, "mentions", "FILE", "gdelt: a GDELT 2.0 mentions file to join (repeatable)"},
    {'W', 0, "window", "N", "gdelt: rows one article's rows may lie apart (default 10000)"},
    {'T', 0, "two-pass", NULL, "gdelt: group rows by article exactly, reading the files twice"},
    {'s', 0, "skip-bad", NULL, "skip malformed rows and items, report how many"},
    {'q', 'q', "quiet", NULL, "print no warnings"},
    {CLI_OPT_LEVEL, 'z', "level", "0-9", "evr: deflate level, 0 = stored (default 5)"},
    {CLI_OPT_THREADS, 'j', "threads", "N",
     "threads: evr compression, gdelt record encoding (default: all cores)"},
    {CLI_OPT_BLOCK_SIZE, 0, "block-size", "SIZE",
     "evr: uncompressed bytes per block, k/M suffix (default 256k)"},
    {CLI_OPT_META, 0, "meta", "KEY=VALUE", "evr: header metadata (repeatable)"},
    {CLI_OPT_MAX_DEPTH, 0, "max-depth", "N", "JSON input: deepest nesting (default 100)"},
    {CLI_OPT_MAX_RECORD, 0, "max-record-size", "SIZE",
     "largest row, JSON item or record, k/M/G suffix (default 64M)"},
    {CLI_OPT_MAX_STRING, 0, "max-string-size", "SIZE",
     "JSON input: longest string value (default 16M)"},
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option export_options[] = {
    {'t', 't', "to", "FMT", "target format: ninjs, claimreview (required)"},
    {'o', 'o', "output", "FILE", "write to FILE ('-' = stdout, the default)"},
    {'f', 'f', "from", "FMT", "input format: json, ndjson, pb, pbd, evr (default: detect)"},
    {'p', 0, "pretty", NULL, "indented JSON, one object after another"},
    {'a', 0, "array", NULL, "one JSON array of all objects"},
    {'s', 0, "skip-bad", NULL, "skip records that cannot be converted, report how many"},
    {'q', 'q', "quiet", NULL, "print no warnings"},
    LIMIT_OPTIONS,
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option validate_options[] = {
    {'f', 'f', "from", "FMT", "input format: json, ndjson, pb, pbd, evr (default: detect)"},
    {'F', 0, "format", "FMT", "output: text (default) or json, one object per line"},
    {'s', 0, "strict", NULL, "warnings count as errors"},
    {'m', 0, "max-errors", "N", "stop after N errors"},
    {'r', 0, "rule", "ID", "check only this rule; a glob such as 'span-*' (repeatable)"},
    {'R', 0, "skip-rule", "ID", "do not check this rule; a glob (repeatable)"},
    {'q', 'q', "quiet", NULL, "print only the summary"},
    {'L', 0, "list-rules", NULL, "list every rule: id, severity, group, what it checks"},
    {'u', 0, "ignore-unknown", NULL, "JSON input: skip unknown fields and enum names"},
    LIMIT_OPTIONS,
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option diff_options[] = {
    {'F', 0, "format", "FORM", "text (default), json (a delta for 'evrec patch') or json-patch"},
    {'s', 0, "summary", NULL, "only count records and entities added, removed, changed"},
    {'S', 0, "stat", NULL, "only list the fields that change most often"},
    {'i', 0, "ignore", "PATH", "leave out paths that match the glob (repeatable)"},
    {'T', 0, "float-tolerance", "X", "floating-point values at most X apart are equal"},
    {'O', 0, "ignore-order", NULL, "the order of no repeated field matters"},
    {'q', 'q', "quiet", NULL, "print nothing: the exit status says whether A and B differ"},
    {'f', 'f', "from", "FMT", "input format of A and B (default: detect each)"},
    {'u', 0, "ignore-unknown", NULL, "skip unknown JSON fields and enum names"},
    LIMIT_OPTIONS,
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_option patch_options[] = {
    {'o', 'o', "output", "FILE", "write B to FILE ('-' = stdout, the default)"},
    {'f', 'f', "from", "FMT", "input format of A (default: detect)"},
    {'t', 't', "to", "FMT", "output format (default: from -o's extension, else ndjson)"},
    {'u', 0, "ignore-unknown", NULL, "skip unknown JSON fields and enum names in A"},
    EVR_OPTIONS,
    LIMIT_OPTIONS,
    {CLI_OPT_HELP, 'h', "help", NULL, "show this help and exit"},
    {0, 0, NULL, NULL, NULL},
};

static const cli_command commands[] = {
    {"convert", "[OPTIONS] [IN...|-]", "convert records between json, ndjson, pb, pbd and evr",
     "Reads records (evrec.v1.Record) from each IN in turn (default: stdin) and\n"
     "writes them all to one output. The input format is detected from the\n"
     "content and the file name (.json .ndjson .jsonl .pb .pbd .evr); pb and\n"
     "pbd input on stdin needs -f. JSON input may be one object, an array of\n"
     "objects, NDJSON or blank-separated objects. JSON output is NDJSON (one\n"
     "compact object per line) unless --pretty or --array.\n"
     "\n"
     "evr is the compressed container (docs/FORMAT.md): a multi-member gzip\n"
     "file of independently compressed blocks with a self-describing header,\n"
     "an index for 'evrec get' and an EOF marker. -z, -j, --block-size, --meta\n"
     "and --max-record-size set it up; any -j gives the same bytes. With\n"
     "SOURCE_DATE_EPOCH set, the header's creation time comes from it, so the\n"
     "same input gives a byte-identical file. --append adds blocks after the\n"
     "last ones of an existing .evr file without rewriting them.\n"
     "\n"
     "An output file is written under a temporary name and renamed into place\n"
     "only when everything succeeded: a failed run leaves no partial file and\n"
     "never clobbers an existing one. Binary output (pb, pbd) is refused on a\n"
     "terminal unless '-o -' asks for it explicitly.\n"
     "\n"
     "Errors give FILE:LINE:COL for JSON input or the byte offset for binary\n"
     "input, the record number counted from 1, and the field path. Input\n"
     "beyond a --max-* limit is an error that names the option to raise.\n"
     "\n"
     "--validate checks every record against the rules of 'evrec validate'\n"
     "and prints each violation on stderr as validate does; a record with an\n"
     "error makes the run fail (exit 1) and no output file is created, after\n"
     "every input has been checked. --validate=warn converts anyway and only\n"
     "reports. Duplicate record ids are looked for within each input.",
     convert_options, cli_cmd_convert},
    {"cat", "[OPTIONS] [IN...|-]", "print records as NDJSON on stdout",
     "Prints the records of each IN (default: stdin) as NDJSON, one compact\n"
     "canonical JSON object per line. Same input handling and error format as\n"
     "'evrec convert' (record numbers count from 1).",
     cat_options, cli_cmd_cat},
    {"info", "[OPTIONS] IN...", "format, records, sizes, header and integrity of files",
     "Reads each IN completely and prints its format, record count and size;\n"
     "for an .evr container also the uncompressed size and ratio, the number\n"
     "of blocks, the header (format version, record type, creator, creation\n"
     "time, metadata, schema size), whether the EOF member is present, and\n"
     "any damage: damaged blocks, records lost, truncation (each reported on\n"
     "stderr as it is found).\n"
     "\n"
     "Exit status: 0 when every input is intact, 1 when any is damaged,\n"
     "truncated or invalid, 2 when one cannot be opened or read (or on\n"
     "usage errors).",
     info_options, cli_cmd_info},
    {"schema", "[OPTIONS] [FILE]", "print the built-in .proto, or a container's header",
     "Without FILE, prints the evrec.v1 schema built into evrec (the .proto\n"
     "text), or with --descriptor-set its FileDescriptorSet. With an .evr\n"
     "FILE, prints the file's header: record type, creator, creation time,\n"
     "metadata and the embedded schema (files, packages, message counts);\n"
     "--descriptor-set writes the embedded FileDescriptorSet instead, usable\n"
     "as 'protoc --descriptor_set_in=OUT'. Binary output is refused on a\n"
     "terminal unless '-o -' asks for it.",
     schema_options, cli_cmd_schema},
    {"recover", "IN -o OUT [OPTIONS]", "salvage the intact records of a damaged .evr file",
     "Reads the container IN, skipping damaged blocks (bad header, deflate\n"
     "data or CRC) and stopping at a truncation, and writes every intact\n"
     "record to a clean new container OUT with IN's metadata and creation\n"
     "time. Each problem is reported on stderr as it is found, then a summary:\n"
     "blocks damaged, records lost, records written.\n"
     "\n"
     "Exit status: 0 when IN was intact, 1 when damage was found (OUT is\n"
     "still written), 2 on usage or I/O errors.",
     recover_options, cli_cmd_recover},
    {"get", "[OPTIONS] IN ID... [--ordinal N]...", "random access: records by id or number",
     "Prints the records of the .evr file IN with the given ids (the\n"
     "record's \"id\" field; with duplicates the last one in the file) and\n"
     "record numbers (--ordinal; the first record is 1, as in every message\n"
     "of evrec; across concatenated sections) as NDJSON, in command line\n"
     "order. Uses the container's index: each block holding a record sought\n"
     "is inflated once, however many of them it holds and however large the\n"
     "file. A missing id or number is reported and the exit status is 1; the\n"
     "others are still printed.",
     get_options, cli_cmd_get},
    {"import", "--from FMT [OPTIONS] IN... [-o OUT]",
     "import GDELT, ACLED, PLOVER, ICEWS, ninjs or ClaimReview data as records",
     "Reads data in another event-data or news format and writes evrec.v1\n"
     "records, in any output format (-t, or -o's extension; NDJSON by default).\n"
     "\n"
     "  gdelt        GDELT 2.0 event export rows (TSV, 61 columns, no header),\n"
     "               optionally joined with mentions files (--mentions): one\n"
     "               record per article (SOURCEURL and mentioning articles),\n"
     "               CAMEO codes as strings, FIPS countries as ISO 3166 alpha-3\n"
     "  acled        ACLED CSV (any column order, old and current layouts)\n"
     "  plover       PLOVER JSON (2.0 names, and the 0.5b1 names of the\n"
     "               gold-standard records); one record per event\n"
     "  icews        ICEWS events as JSON lines (ICEWS-to-jsonl)\n"
     "  ninjs        IPTC ninjs 3.x items (2.x and agency dialects accepted)\n"
     "  claimreview  schema.org ClaimReview JSON-LD, or the Fact Check Tools\n"
     "               API's claims:search response\n"
     "\n"
     "GDELT rows of one article may be spread through the input: they are\n"
     "grouped within a window of --window rows (memory stays bounded; a row\n"
     "arriving after its article was written is an error naming both lines),\n"
     "or exactly with --two-pass, which reads the files twice. GDELT publishes\n"
     "zip files: read them with 'unzip -p FILE.zip | evrec import --from gdelt -'.\n"
     "Facts without a field go into `extensions` under \"evrec/<format>.<name>\"\n"
     "keys (docs/INTEROP.md lists them).\n"
     "\n"
     "A malformed row or item stops the run with its file, line or record\n"
     "number, column and value; --skip-bad skips it instead and reports how\n"
     "many were skipped. Warnings (values kept but doubtful, codes with no\n"
     "equivalent) go to stderr unless --quiet. An output file is written\n"
     "under a temporary name and renamed into place only on success.",
     import_options, cli_cmd_import},
    {"export", "--to FMT [OPTIONS] [IN...|-] [-o OUT]",
     "export records as IPTC ninjs or schema.org ClaimReview JSON",
     "Reads records (any format evrec reads; default: stdin) and writes\n"
     "\n"
     "  ninjs        one IPTC ninjs 3.x object per record: its article, with\n"
     "               people, organisations and places from its actors and\n"
     "               places (valid against the ninjs 3.1 JSON Schema)\n"
     "  claimreview  one schema.org ClaimReview object per review of each claim\n"
     "\n"
     "as NDJSON (one object per line), --pretty or --array. Records imported\n"
     "from ninjs or ClaimReview export back to the same properties\n"
     "(docs/INTEROP.md says what is dropped and why). A record with nothing to\n"
     "export is skipped and counted on stderr.",
     export_options, cli_cmd_export},
    {"validate", "[OPTIONS] [IN...|-]", "check records against the evrec.v1 rules (SPEC 6)",
     "Checks every record of each IN (default: stdin; any format) against the\n"
     "rules of evrec.v1 (docs/VALIDATION.md; --list-rules): ids present and\n"
     "unique, references that resolve, evidence spans inside article.body and\n"
     "equal to their text, valid dates in order, codes valid for their scheme\n"
     "(CAMEO, PLOVER 2.0, ISO 3166-1, BCP 47, Wikidata, URLs), values in range,\n"
     "quad classes that agree with CAMEO, PLOVER recipients where required.\n"
     "A record that cannot be decoded is a violation too (decode-* rules), and\n"
     "validation goes on with the next record wherever the format allows it.\n"
     "\n"
     "Prints one line per violation on stdout,\n"
     "  FILE: record N (id ID): PATH: error|warning: message [rule-id]\n"
     "(FILE:LINE:COL or 'at byte OFF' for decoding violations), then\n"
     "  N records, E errors, W warnings in F files\n"
     "--format json prints one JSON object per violation, then {\"summary\":...}.\n"
     "Record numbers count from 1; duplicate record ids (same id and revision)\n"
     "are looked for within each input.\n"
     "\n"
     "Exit status: 0 when no error was found, 1 when one was (or a warning,\n"
     "with --strict), 2 when an input could not be read or on usage errors.",
     validate_options, cli_cmd_validate},
    {"diff", "[OPTIONS] A B", "what changed between two sets of records",
     "Matches the records of A and B (any formats, files or one '-') by their\n"
     "id and reports what was added, removed and changed. Inside a record,\n"
     "actors, places, events and claims are matched by their local id, so\n"
     "reordering them is no change; other lists are compared in order (an\n"
     "inserted element is one addition), maps by key. docs/DIFF.md has the\n"
     "details.\n"
     "\n"
     "Text output: '+ ID' and '- ID' for records added and removed, '~ ID'\n"
     "and then '  PATH: OLD -> NEW' for each change of a changed record, with\n"
     "paths such as events[id=e2].participants[0].role and values as\n"
     "canonical JSON, shortened; (none) where a value is absent. --format json\n"
     "prints one JSON object per change, {\"op\",\"id\",\"path\",\"old\",\"new\"},\n"
     "which 'evrec patch' applies; --format json-patch one line per record,\n"
     "{\"id\":ID,\"patch\":[...]}, an RFC 6902 JSON Patch against the canonical\n"
     "JSON of A's record ({\"id\":ID,\"removed\":true} for a removed record).\n"
     "\n"
     "Memory grows by about 45 bytes per record, not with their size: records\n"
     "are compared by hashes first and only those that differ are read again.\n"
     "\n"
     "Exit status: 0 when A and B hold the same records, 1 when they differ,\n"
     "2 on any error (usage, I/O, an invalid record, a record id twice in one\n"
     "input, named with both record numbers).",
     diff_options, cli_cmd_diff},
    {"patch", "[OPTIONS] A DELTA [-o B]", "apply the output of 'evrec diff --format json'",
     "Reads the records of A (any format, or '-') and writes them to B with\n"
     "the changes of DELTA, the output of 'evrec diff A B --format json':\n"
     "records removed, records added (at the end, in DELTA's order), and\n"
     "changes inside records, each checked against its old value. The result\n"
     "equals B as 'evrec diff' compares records (entities may be in another\n"
     "order). DELTA is held in memory; A is streamed.\n"
     "\n"
     "A delta that does not apply -- an old value that is not A's, a record\n"
     "or path A lacks, a record added that A has -- is an error naming the\n"
     "DELTA line, the op, the record and the path, and nothing is written (an\n"
     "output file is only renamed into place on success).\n"
     "\n"
     "Exit status: 0 applied, 1 the delta does not apply or an input is\n"
     "invalid, 2 usage or I/O error.",
     patch_options, cli_cmd_patch},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void top_help(FILE *f) {
  fputs("Usage: evrec COMMAND [OPTIONS] [ARGS]\n"
        "       evrec --help | --version\n"
        "\n"
        "Reads, writes and converts event-data records (evrec.v1.Record) as\n"
        "canonical proto3 JSON, NDJSON, pb (one binary record), pbd\n"
        "(varint-delimited binary records) and evr (the compressed, indexed\n"
        "container). '-' means stdin or stdout.\n"
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
