/*
 * cmd_info.c -- `evrec info`: what a file holds and whether it is intact.
 *
 * Every input is read to the end (records are decoded, so a bad record is
 * found too). Containers are read with EVREC_READ_SKIP_DAMAGE so that one
 * damaged block does not hide the rest: each damage report goes to stderr as
 * it is found and the totals come from the reader's statistics. Text output
 * is one "key: value" line per fact, a blank line between inputs; --json
 * prints one object per input per line, with the container header embedded
 * exactly as stored (it is already canonical JSON).
 *
 * Sequential reading does not need the index, so a damaged index would go
 * unnoticed until `evrec get` fails; for an intact seekable container the
 * index is therefore also checked, by seeking to the first and last record.
 *
 * Exit status: 2 if an input could not be opened or read, else 1 if any input
 * was damaged, truncated, held an invalid record or went past a --max-* limit
 * (an index over --max-index-size is reported and left unchecked), else 0.
 */
#include <string.h>

#include "cli.h"

typedef struct info {
  const cli_command *cmd;
  bool json;
  cli_io io; /* -f */
  cli_limits lim;
} info;

/* What was learnt about one input. The header belongs to the reader, so
 * the facts are printed before it is closed. */
typedef struct facts {
  const char *file;
  evrec_format format;
  uint64_t records;
  uint64_t size; /* bytes read: the file's size when read to its end */
  evrec_reader_stats st;
  const evrec_container_header *hdr;
  bool evr;
  bool invalid; /* stopped by an error other than damage */
  bool limited; /* the index is over --max-index-size: unchecked, exit 1 */
  bool failed;  /* the index could not be read (memory, I/O): unchecked, exit 2 */
  const char *index; /* evr: "ok", "damaged" or "unchecked" (pipes, cut files) */
} facts;

/* ====================================================================== */
/* Printing                                                               */
/* ====================================================================== */

static bool facts_damaged(const facts *f) {
  return f->invalid || f->st.damaged_blocks || f->st.truncated ||
         (f->evr && (!f->st.eof_member || strcmp(f->index, "damaged") == 0));
}

static double facts_ratio(const facts *f) {
  return f->size ? (double)f->st.bytes_out / (double)f->size : 0.0;
}

static void text_header(const evrec_container_header *h) {
  printf("version:     %lu\n", (unsigned long)h->format_version);
  printf("record type: %s\n", h->record_type);
  printf("creator:     %s\n", h->creator);
  printf("created:     %s\n", h->created_at);
  for (size_t i = 0; i < h->n_meta; i++)
    printf("%s %s=%s\n", i ? "            " : "metadata:   ", h->meta_keys[i], h->meta_values[i]);
  printf("schema:      %zu bytes\n", h->schema_len);
}

static void text_damage(const facts *f) {
  fputs("damage:      ", stdout);
  if (!facts_damaged(f)) {
    puts("none");
    return;
  }
  const char *sep = "";
  if (f->st.damaged_blocks) {
    printf("%llu damaged %s, %llu %s lost", (unsigned long long)f->st.damaged_blocks,
           cli_plural(f->st.damaged_blocks, "block", "blocks"),
           (unsigned long long)f->st.records_lost,
           cli_plural(f->st.records_lost, "record", "records"));
    sep = "; ";
  }
  if (f->st.truncated) printf("%struncated", sep), sep = "; ";
  else if (f->evr && !f->st.eof_member) printf("%sno EOF member", sep), sep = "; ";
  if (f->evr && strcmp(f->index, "damaged") == 0) printf("%sdamaged index", sep), sep = "; ";
  if (f->invalid) printf("%sinvalid data", sep);
  putchar('\n');
}

static void print_text(const facts *f) {
  printf("file:        %s\n", f->file);
  printf("format:      %s\n", evrec_format_name(f->format));
  printf("records:     %llu\n", (unsigned long long)f->records);
  printf("size:        %llu bytes\n", (unsigned long long)f->size);
  if (f->evr) {
    printf("data:        %llu bytes uncompressed\n", (unsigned long long)f->st.bytes_out);
    printf("ratio:       %.2f\n", facts_ratio(f));
    printf("blocks:      %llu\n", (unsigned long long)f->st.blocks);
    if (f->hdr) text_header(f->hdr);
    else puts("header:      none");
    printf("eof member:  %s\n", f->st.eof_member ? "yes" : "no");
    printf("index:       %s\n", f->index);
  }
  text_damage(f);
}

static void json_evr(const facts *f) {
  printf(",\"uncompressedSize\":%llu,\"ratio\":%.2f,\"blocks\":%llu,\"header\":",
         (unsigned long long)f->st.bytes_out, facts_ratio(f), (unsigned long long)f->st.blocks);
  if (f->hdr) {
    fwrite(f->hdr->json, 1, f->hdr->json_len, stdout);
    printf(",\"schemaBytes\":%zu", f->hdr->schema_len);
  } else {
    fputs("null", stdout);
  }
  printf(",\"eofMember\":%s,\"index\":\"%s\",\"damagedBlocks\":%llu,\"recordsLost\":%llu",
         f->st.eof_member ? "true" : "false", f->index, (unsigned long long)f->st.damaged_blocks,
         (unsigned long long)f->st.records_lost);
}

static void print_json(const facts *f) {
  fputs("{\"file\":", stdout);
  cli_json_string(stdout, f->file);
  printf(",\"format\":\"%s\",\"records\":%llu,\"size\":%llu", evrec_format_name(f->format),
         (unsigned long long)f->records, (unsigned long long)f->size);
  if (f->evr) json_evr(f);
  printf(",\"truncated\":%s,\"damaged\":%s}\n", f->st.truncated ? "true" : "false",
         facts_damaged(f) ? "true" : "false");
}

/* ====================================================================== */
/* Reading                                                                */
/* ====================================================================== */

/* Reads every record of r. @return an exit status (problems reported). */
static int info_scan(facts *f, evrec_reader *r) {
  const ProtobufCMessage *msg;
  evrec_error err;
  int rc;
  while ((rc = evrec_reader_next(r, &msg, &err)) != EVREC_DONE) {
    if (rc == EVREC_OK) continue;
    cli_report(f->file, &err);
    if (rc == EVREC_E_CORRUPT && f->evr) continue; /* skipped; the reader goes on */
    if (rc == EVREC_E_TRUNCATED) f->st.truncated = 1;
    else f->invalid = true;
    return rc == EVREC_E_IO || rc == EVREC_E_NOMEM ? CLI_EXIT_USAGE : CLI_EXIT_INVALID;
  }
  return CLI_EXIT_OK;
}

/* Checks the index of an intact container by seeking to its first and
 * last record (random access loads the index of each section it needs). */
static const char *info_index(facts *f, evrec_reader *r) {
  evrec_error err;
  int rc = EVREC_OK;
  if (f->invalid || f->st.truncated || !f->st.eof_member || f->st.damaged_blocks ||
      f->records == 0)
    return "unchecked";
  rc = evrec_reader_seek_ordinal(r, 0, &err);
  if (rc == EVREC_OK) rc = evrec_reader_seek_ordinal(r, f->records - 1, &err);
  if (rc == EVREC_E_UNSUPPORTED) return "unchecked"; /* a pipe */
  if (rc == EVREC_OK) return "ok";
  cli_report(f->file, &err);
  f->limited = rc == EVREC_E_LIMIT;
  f->failed = rc == EVREC_E_NOMEM || rc == EVREC_E_IO; /* says nothing of the file */
  return f->limited || f->failed ? "unchecked" : "damaged";
}

static int info_input(const info *c, const char *in) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r;
  evrec_error err;
  facts f;
  memset(&f, 0, sizeof f);
  f.file = cli_display_name(in, false);
  ro.format = c->io.from;
  ro.flags = EVREC_READ_SKIP_DAMAGE;
  cli_limits_apply(&c->lim, &ro);
  ro.name = strcmp(in, "-") == 0 ? f.file : NULL;
  int rc = cli_stdin_check(in, c->io.from);
  if (rc) return rc;
  if (evrec_reader_open_file(&r, in, &ro, &err) != EVREC_OK) return cli_open_failed(f.file, &err);
  f.format = evrec_reader_format(r);
  f.evr = f.format == EVREC_FORMAT_EVR;
  int status = info_scan(&f, r);
  bool truncated = f.st.truncated;
  evrec_reader_stats_get(r, &f.st);
  f.st.truncated |= truncated;
  f.records = evrec_reader_count(r);
  f.size = f.evr ? f.st.bytes_in : evrec_reader_offset(r);
  f.hdr = f.evr ? evrec_reader_header(r) : NULL;
  if (f.evr) f.index = info_index(&f, r);
  if (c->json) print_json(&f);
  else print_text(&f);
  evrec_reader_close(r);
  if (status == CLI_EXIT_OK && f.failed) status = CLI_EXIT_USAGE;
  if (status == CLI_EXIT_OK && (facts_damaged(&f) || f.limited)) status = CLI_EXIT_INVALID;
  return status;
}

int cli_cmd_info(const cli_command *cmd, int argc, char **argv) {
  info c = {.cmd = cmd};
  const char **inputs = (const char **)(argv + 1); /* operands compacted in place */
  int n = 0, id;
  const char *value;
  cli_parser p;
  cli_parser_init(&p, cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    int rc = cli_io_option(cmd, &c.io, id, value);
    if (rc == 1) rc = cli_limits_option(cmd, &c.lim, id, value);
    if (rc == CLI_EXIT_USAGE) return rc;
    if (rc == 0) continue;
    if (id == CLI_OPERAND) inputs[n++] = value;
    else if (id == 'J') c.json = true;
    else if (id == CLI_OPT_HELP) return cli_help(stdout, cmd), CLI_EXIT_OK;
  }
  if (n == 0) return cli_usage_error(cmd, "no input file (use '-' for stdin)");
  int status = CLI_EXIT_OK;
  for (int i = 0; i < n; i++) {
    if (i && !c.json) putchar('\n');
    int rc = info_input(&c, inputs[i]);
    if (rc > status) status = rc;
  }
  return status;
}
