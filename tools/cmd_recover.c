/*
 * cmd_recover.c -- `evrec recover IN -o OUT`: salvage a damaged container.
 *
 * IN is read with EVREC_READ_SKIP_DAMAGE: the reader reports each damaged
 * member (bad header, deflate data, CRC, record count) and resynchronises on
 * the next member signature, searching from one byte after the bad one so
 * that no intact member is skipped. Every record it returns was in a member
 * whose CRC matched, so everything written to OUT is intact; OUT is a clean
 * new container (atomic temp + rename like every output) that keeps IN's
 * metadata and creation time unless --meta or SOURCE_DATE_EPOCH say
 * otherwise. A truncation ends the input: everything before it is kept.
 *
 * Exit status: 0 when IN had no damage, 1 when damage was found (OUT is still
 * written), 2 on usage or I/O errors (OUT is then not written).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

typedef struct recover {
  const cli_command *cmd;
  const char *in, *out;
  cli_evr evr;
  cli_limits lim;
  char **own_meta; /* "key=value" copies of IN's metadata, n own */
  size_t n_own;
  bool damaged, failed;
  uint64_t written;
} recover;

/* ====================================================================== */
/* Setting up                                                             */
/* ====================================================================== */

static int rec_parse(recover *c, int argc, char **argv) {
  cli_parser p;
  const char *value;
  int id;
  cli_parser_init(&p, c->cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    if (id == CLI_OPT_HELP) return cli_help(stdout, c->cmd), -1;
    if (id == 'o') {
      c->out = value;
    } else if (id == CLI_OPERAND) {
      if (c->in) return cli_usage_error(c->cmd, "one input at most (got '%s' and '%s')", c->in,
                                        value);
      c->in = value;
    } else {
      int rc = cli_limits_option(c->cmd, &c->lim, id, value);
      if (rc == 1) rc = cli_evr_option(c->cmd, &c->evr, id, value, argc);
      if (rc) return CLI_EXIT_USAGE;
    }
  }
  if (!c->in) return cli_usage_error(c->cmd, "no input file");
  if (!c->out || strcmp(c->out, "-") == 0)
    return cli_usage_error(c->cmd, "needs an output file (-o FILE)");
  struct stat a, b;
  if (stat(c->in, &a) == 0 && stat(c->out, &b) == 0 && a.st_dev == b.st_dev &&
      a.st_ino == b.st_ino)
    return cli_usage_error(c->cmd, "the output file is the input file");
  return cli_evr_environment(&c->evr);
}

/* Carries IN's metadata (as "key=value") and creation time over to OUT,
 * unless the command line set them. @return false when out of memory. */
static bool rec_inherit(recover *c, const evrec_container_header *h, evrec_writer_options *wo) {
  if (!h) return true;
  if (!wo->created_at && h->created_at[0]) wo->created_at = h->created_at;
  if (c->evr.n_meta || !h->n_meta) return true;
  c->own_meta = calloc(h->n_meta, sizeof *c->own_meta);
  if (!c->own_meta) return false;
  for (size_t i = 0; i < h->n_meta; i++, c->n_own++) {
    size_t k = strlen(h->meta_keys[i]), v = strlen(h->meta_values[i]);
    if (!(c->own_meta[i] = malloc(k + v + 2))) return false;
    memcpy(c->own_meta[i], h->meta_keys[i], k);
    c->own_meta[i][k] = '=';
    memcpy(c->own_meta[i] + k + 1, h->meta_values[i], v + 1);
  }
  wo->meta = (const char *const *)c->own_meta;
  wo->n_meta = c->n_own;
  return true;
}

/* ====================================================================== */
/* Copying                                                                */
/* ====================================================================== */

/* Handles one result of evrec_reader_next(). @return true to go on. */
static bool rec_step(recover *c, int rc, const ProtobufCMessage *msg, evrec_error *err,
                     evrec_writer *w) {
  const char *shown = cli_display_name(c->in, false);
  if (rc == EVREC_DONE) return false;
  if (rc == EVREC_OK) {
    if (evrec_writer_write(w, msg, err) == EVREC_OK) return ++c->written, true;
    cli_report(c->out, err);
    c->failed = true;
    return false;
  }
  cli_report(shown, err);
  if (rc == EVREC_E_IO || rc == EVREC_E_NOMEM) c->failed = true;
  else c->damaged = true;
  return rc == EVREC_E_CORRUPT; /* skipped; anything else is final */
}

static void rec_summary(const recover *c, const evrec_reader_stats *st) {
  fprintf(stderr, "evrec: recover: %s: %llu %s damaged, %llu %s lost%s, %llu %s written to %s\n",
          cli_display_name(c->in, false), (unsigned long long)st->damaged_blocks,
          cli_plural(st->damaged_blocks, "block", "blocks"), (unsigned long long)st->records_lost,
          cli_plural(st->records_lost, "record", "records"), st->truncated ? ", truncated" : "",
          (unsigned long long)c->written, cli_plural(c->written, "record", "records"), c->out);
}

static int rec_run(recover *c, evrec_reader *r) {
  const ProtobufCMessage *msg = NULL;
  evrec_error err;
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  evrec_writer *w;
  int rc = evrec_reader_next(r, &msg, &err); /* a stream's header comes with it */
  wo.format = EVREC_FORMAT_EVR;
  wo.flags = EVREC_WRITE_VALID_UTF8; /* records come from the reader */
  cli_evr_apply(&c->evr, &wo);
  wo.max_record_size = c->lim.max_record_size;
  if (!rec_inherit(c, evrec_reader_header(r), &wo)) {
    cli_error("out of memory");
    return CLI_EXIT_USAGE;
  }
  if (evrec_writer_open_file(&w, c->out, &wo, &err) != EVREC_OK) {
    cli_report(c->out, &err);
    return CLI_EXIT_USAGE;
  }
  while (rec_step(c, rc, msg, &err, w)) rc = evrec_reader_next(r, &msg, &err);
  if (c->failed) {
    evrec_writer_abort(w);
    return CLI_EXIT_USAGE;
  }
  if (evrec_writer_close(w, &err) != EVREC_OK) {
    cli_report(c->out, &err);
    return CLI_EXIT_USAGE;
  }
  evrec_reader_stats st;
  evrec_reader_stats_get(r, &st);
  if (st.damaged_blocks || st.truncated || !st.eof_member) c->damaged = true;
  rec_summary(c, &st);
  return c->damaged ? CLI_EXIT_INVALID : CLI_EXIT_OK;
}

int cli_cmd_recover(const cli_command *cmd, int argc, char **argv) {
  recover c;
  memset(&c, 0, sizeof c);
  c.cmd = cmd;
  cli_evr_init(&c.evr);
  int status = rec_parse(&c, argc, argv);
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r = NULL;
  evrec_error err;
  ro.format = EVREC_FORMAT_EVR;
  ro.flags = EVREC_READ_SKIP_DAMAGE;
  ro.name = c.in && strcmp(c.in, "-") == 0 ? "<stdin>" : NULL;
  cli_limits_apply(&c.lim, &ro);
  if (status == 0) status = cli_stdin_check(c.in, ro.format);
  if (status == 0 && evrec_reader_open_file(&r, c.in, &ro, &err) != EVREC_OK)
    status = cli_open_failed(cli_display_name(c.in, false), &err);
  if (status == 0) status = rec_run(&c, r);
  evrec_reader_close(r);
  for (size_t i = 0; i < c.n_own; i++) free(c.own_meta[i]);
  free(c.own_meta);
  cli_evr_free(&c.evr);
  return status < 0 ? CLI_EXIT_OK : status;
}
