/*
 * cmd_get.c -- `evrec get IN ID... [--ordinal N]...`: random access.
 *
 * --ordinal counts records from 1, as every message of evrec does (the
 * library's evrec_reader_seek_ordinal() counts from 0: N - 1 is passed).
 * IN must be an .evr container, whatever its name: anything else is
 * refused when it is opened, with the message every command gives.
 *
 * Each lookup goes through the container's trailing index (the library
 * reads the EOF member, the index, then inflates the one block that holds
 * the record), so the cost does not grow with the file. Lookups run in
 * command line order and print NDJSON on stdout; a missing id or ordinal is
 * reported on stderr and makes the exit status 1, but the other lookups still
 * run. --stats prints the reader's counters afterwards, which is how the
 * tests see that a lookup inflates one block, not the file.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct query {
  const char *text; /* the id, or the ordinal as given */
  bool ordinal;
  uint64_t n;       /* the ordinal, counted from 1 */
} query;

typedef struct get {
  const cli_command *cmd;
  const char *in;
  query *q; /* malloc'ed, argc entries at most */
  int n_q;
  unsigned encode_flags;
  bool stats;
  cli_limits lim; /* --max-index-size ... */
} get;

static int get_parse(get *c, int argc, char **argv) {
  cli_parser p;
  const char *value;
  int id;
  if (!(c->q = malloc((size_t)argc * sizeof *c->q))) {
    cli_error("out of memory");
    return CLI_EXIT_USAGE;
  }
  cli_parser_init(&p, c->cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    query *q = &c->q[c->n_q];
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    if (id == CLI_OPT_HELP) return cli_help(stdout, c->cmd), -1;
    int rc = cli_limits_option(c->cmd, &c->lim, id, value);
    if (rc == 0) continue;
    if (rc != 1) return rc;
    if (id == 'd') c->encode_flags |= EVREC_JSON_EMIT_DEFAULTS;
    if (id == 'n') c->encode_flags |= EVREC_JSON_PROTO_NAMES;
    if (id == 'S') c->stats = true;
    if (id == 'O') {
      if (cli_parse_uint(c->cmd, "--ordinal", value, UINT64_MAX, &q->n)) return CLI_EXIT_USAGE;
      if (q->n == 0)
        return cli_usage_error(c->cmd, "--ordinal: record numbers count from 1 (the first is 1)");
      q->text = value, q->ordinal = true, c->n_q++;
    } else if (id == CLI_OPERAND && !c->in) {
      c->in = value;
    } else if (id == CLI_OPERAND) {
      q->text = value, q->ordinal = false, c->n_q++;
    }
  }
  if (!c->in) return cli_usage_error(c->cmd, "no input file");
  if (c->n_q == 0) return cli_usage_error(c->cmd, "no ID and no --ordinal to look up");
  return 0;
}

/* One lookup. @return an exit status (problems reported). */
static int get_one(const get *c, evrec_reader *r, evrec_writer *w, const query *q) {
  const ProtobufCMessage *msg;
  evrec_error err;
  int rc;
  if (q->ordinal) {
    rc = evrec_reader_seek_ordinal(r, q->n - 1, &err);
    if (rc == EVREC_OK && (rc = evrec_reader_next(r, &msg, &err)) == EVREC_DONE)
      rc = EVREC_E_NOT_FOUND; /* cannot happen with a sound index; say it plainly */
  } else {
    rc = evrec_reader_get_id(r, q->text, &msg, &err);
  }
  if (rc == EVREC_E_NOT_FOUND) { /* "record 3001 does not exist (the file holds 3000)" */
    if (q->ordinal) cli_error("%s: %s", cli_display_name(c->in, false), err.message);
    else cli_error("%s: no record with id \"%s\"", cli_display_name(c->in, false), q->text);
    return CLI_EXIT_INVALID;
  }
  if (rc != EVREC_OK) {
    cli_report(cli_display_name(c->in, false), &err);
    return rc == EVREC_E_IO || rc == EVREC_E_NOMEM || rc == EVREC_E_UNSUPPORTED
               ? CLI_EXIT_USAGE : CLI_EXIT_INVALID;
  }
  if (evrec_writer_write(w, msg, &err) != EVREC_OK) {
    cli_report("<stdout>", &err);
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

static int get_run(const get *c, evrec_reader *r) {
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  evrec_writer *w;
  evrec_error err;
  wo.format = EVREC_FORMAT_NDJSON;
  wo.json_flags = c->encode_flags;
  wo.flags = EVREC_WRITE_VALID_UTF8; /* records come from the reader */
  wo.name = "<stdout>";
  if (evrec_writer_open_file(&w, "-", &wo, &err) != EVREC_OK) {
    cli_report("<stdout>", &err);
    return CLI_EXIT_USAGE;
  }
  int status = CLI_EXIT_OK;
  for (int i = 0; i < c->n_q && status != CLI_EXIT_USAGE; i++) {
    int rc = get_one(c, r, w, &c->q[i]);
    if (rc > status) status = rc;
  }
  if (evrec_writer_close(w, &err) != EVREC_OK && status == CLI_EXIT_OK) {
    cli_report("<stdout>", &err);
    status = CLI_EXIT_USAGE;
  }
  return status;
}

static void get_print_stats(const get *c, const evrec_reader *r) {
  evrec_reader_stats st;
  evrec_reader_stats_get(r, &st);
  fprintf(stderr, "evrec: get: %s: %d %s, %llu data %s inflated, %llu index %s read\n",
          cli_display_name(c->in, false), c->n_q, cli_plural((uint64_t)c->n_q, "lookup", "lookups"),
          (unsigned long long)st.blocks, cli_plural(st.blocks, "block", "blocks"),
          (unsigned long long)st.index_members, cli_plural(st.index_members, "member", "members"));
}

int cli_cmd_get(const cli_command *cmd, int argc, char **argv) {
  get c;
  memset(&c, 0, sizeof c);
  c.cmd = cmd;
  int status = get_parse(&c, argc, argv);
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r = NULL;
  evrec_error err;
  ro.name = c.in && strcmp(c.in, "-") == 0 ? "<stdin>" : NULL;
  ro.format = EVREC_FORMAT_EVR; /* whatever the name: only a container has an index */
  cli_limits_apply(&c.lim, &ro);
  if (status == 0) status = cli_stdin_check(c.in, ro.format);
  if (status == 0 && evrec_reader_open_file(&r, c.in, &ro, &err) != EVREC_OK)
    status = cli_open_failed(cli_display_name(c.in, false), &err);
  if (status == 0) status = get_run(&c, r);
  if (r && c.stats) get_print_stats(&c, r);
  evrec_reader_close(r);
  free(c.q);
  return status < 0 ? CLI_EXIT_OK : status;
}
