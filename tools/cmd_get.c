/*
 * cmd_get.c -- `evrec get IN ID... [--ordinal N]...`: random access.
 *
 * --ordinal counts records from 1, as every message of evrec does (the
 * library's evrec_reader_seek_ordinal() counts from 0: N - 1 is passed).
 * IN must be an .evr container, whatever its name: anything else is
 * refused when it is opened, with the message every command gives.
 *
 * All lookups go to the library in one evrec_reader_get_many() call: it
 * reads the EOF member and the index, then inflates each block that holds
 * a record sought once, in file order, however many of them it holds; the
 * cost does not grow with the file, and opening the file inflates nothing
 * and starts no read-ahead thread (a lookup per process costs little more
 * than the process). Results come back in block order; they are printed in
 * command line order as NDJSON on stdout (a record served before its turn
 * is packed and held until then); a missing id or ordinal is reported on
 * stderr in its turn and makes the exit status 1, but the other lookups
 * still print. --stats prints the reader's counters afterwards, which is
 * how the tests see how many blocks were inflated.
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

/* A lookup served before its turn: kept until the ones before it are out. */
typedef struct held {
  bool done;
  evrec_error err; /* err.code 0: found, the record packed in pb */
  uint8_t *pb;
  size_t len;
} held;

/* The lookups as evrec_reader_get_many() serves them (file order of their
 * blocks) and as they are printed (command line order). */
typedef struct run {
  const get *c;
  evrec_writer *w;
  const ProtobufCMessageDescriptor *type;
  held *h;         /* one per lookup */
  int next;        /* the next lookup to print */
  int status;
  evrec_arena *arena; /* held records decoded again for the writer */
} run;

/* Prints one lookup's result. @return an exit status (problems reported). */
static int put_result(run *u, const query *q, const ProtobufCMessage *msg, const evrec_error *e) {
  const get *c = u->c;
  evrec_error err;
  if (!msg && e->code == EVREC_E_NOT_FOUND) { /* "record 3001 does not exist (the file holds 3000)" */
    if (q->ordinal) cli_error("%s: %s", cli_display_name(c->in, false), e->message);
    else cli_error("%s: no record with id \"%s\"", cli_display_name(c->in, false), q->text);
    return CLI_EXIT_INVALID;
  }
  if (!msg) {
    cli_report(cli_display_name(c->in, false), e);
    return e->code == EVREC_E_IO || e->code == EVREC_E_NOMEM || e->code == EVREC_E_UNSUPPORTED
               ? CLI_EXIT_USAGE : CLI_EXIT_INVALID;
  }
  if (evrec_writer_write(u->w, msg, &err) != EVREC_OK) {
    cli_report("<stdout>", &err);
    return CLI_EXIT_USAGE;
  }
  return CLI_EXIT_OK;
}

/* Prints lookup i, then any held ones after it. @return false to stop. */
static bool put_in_order(run *u, int i, const ProtobufCMessage *msg, const evrec_error *e) {
  for (;;) {
    int rc = put_result(u, &u->c->q[i], msg, e);
    if (rc > u->status) u->status = rc;
    if (u->status == CLI_EXIT_USAGE) return false;
    i = ++u->next;
    if (i == u->c->n_q || !u->h[i].done) return true;
    held *h = &u->h[i];
    msg = NULL;
    e = &h->err;
    if (!h->err.code) {
      ProtobufCMessage *m = NULL;
      evrec_arena_reset(u->arena);
      h->err.code = evrec_pb_decode(&m, u->type, h->pb, h->len, u->arena, &h->err);
      msg = m; /* it decoded before it was packed: only memory can fail */
    }
  }
}

/* evrec_lookup_fn: prints the result when its turn has come, else packs
 * and holds it (a record is valid only during the call). */
static int get_served(size_t i, const ProtobufCMessage *msg, const evrec_error *err,
                      void *payload) {
  run *u = payload;
  if ((int)i == u->next) return !put_in_order(u, (int)i, msg, err);
  held *h = &u->h[i];
  h->done = true;
  if (!msg) {
    h->err = *err;
    return 0;
  }
  u->type = msg->descriptor;
  h->len = protobuf_c_message_get_packed_size(msg);
  if (!(h->pb = malloc(h->len ? h->len : 1))) {
    evrec_error_clear(&h->err);
    h->err.code = EVREC_E_NOMEM;
    snprintf(h->err.message, sizeof h->err.message, "out of memory");
    return 0;
  }
  protobuf_c_message_pack(msg, h->pb);
  return 0;
}

/* All lookups in one call of the library: each block is inflated once,
 * however many of the records sought it holds; output stays in command
 * line order. */
static int get_run(const get *c, evrec_reader *r) {
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  evrec_error err;
  run u = {c, NULL, NULL, calloc((size_t)c->n_q, sizeof *u.h), 0, CLI_EXIT_OK,
           evrec_arena_new(0)};
  evrec_lookup *lk = calloc((size_t)c->n_q, sizeof *lk);
  wo.format = EVREC_FORMAT_NDJSON;
  wo.json_flags = c->encode_flags;
  wo.flags = EVREC_WRITE_VALID_UTF8; /* records come from the reader */
  wo.name = "<stdout>";
  if (!u.h || !lk || !u.arena) {
    cli_error("out of memory");
    u.status = CLI_EXIT_USAGE;
  } else if (evrec_writer_open_file(&u.w, "-", &wo, &err) != EVREC_OK) {
    cli_report("<stdout>", &err);
    u.status = CLI_EXIT_USAGE;
  }
  for (int i = 0; u.w && i < c->n_q; i++)
    lk[i] = c->q[i].ordinal ? (evrec_lookup){NULL, c->q[i].n - 1} /* counted from 0 */
                            : (evrec_lookup){c->q[i].text, 0};
  int rc = u.w ? evrec_reader_get_many(r, lk, (size_t)c->n_q, get_served, &u, &err) : EVREC_OK;
  if (rc < 0) { /* the failure that ended every lookup */
    cli_report(cli_display_name(c->in, false), &err);
    u.status = CLI_EXIT_USAGE;
  }
  if (u.w && evrec_writer_close(u.w, &err) != EVREC_OK && u.status == CLI_EXIT_OK) {
    cli_report("<stdout>", &err);
    u.status = CLI_EXIT_USAGE;
  }
  for (int i = 0; u.h && i < c->n_q; i++) free(u.h[i].pb);
  free(u.h);
  free(lk);
  evrec_arena_free(u.arena);
  return u.status;
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
