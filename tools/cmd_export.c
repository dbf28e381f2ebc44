/*
 * cmd_export.c -- `evrec export --to ninjs|claimreview [IN...] -o OUT`.
 *
 * Reads records in any format evrec reads and writes each as IPTC ninjs 3.x
 * (one object per record: the article) or as schema.org ClaimReview JSON-LD
 * (one object per review of each claim). The objects are
 * google.protobuf.Struct trees written by the library's JSON writer, so the
 * output is NDJSON by default, indented with --pretty, one array with
 * --array, and an output file appears only when the run succeeded.
 *
 * A record that carries nothing for the target (no article for ninjs, no
 * reviewed claim for ClaimReview) is skipped and counted in the summary.
 * Exit status: 0 ok, 1 an input record could not be read or converted, 2
 * usage and I/O errors.
 */
#include <string.h>

#include "imp.h"

typedef enum dst_format { DST_NONE, DST_NINJS, DST_CLAIMREVIEW } dst_format;

typedef struct export_args {
  const cli_command *cmd;
  const char **inputs;
  int n_inputs;
  cli_io io; /* -o -f (its -t names a target format: `to`) */
  dst_format to;
  bool pretty, array;
  imp *m;
  uint64_t written, empty;
} export_args;

static int export_option(export_args *a, int id, const char *value) {
  switch (id) {
  case 't':
    a->to = strcmp(value, "ninjs") == 0 ? DST_NINJS
            : strcmp(value, "claimreview") == 0 ? DST_CLAIMREVIEW : DST_NONE;
    if (!a->to)
      return cli_usage_error(a->cmd, "--to: unknown target format '%s' (ninjs, claimreview)",
                             value);
    return 0;
  case 'p': a->pretty = true; return 0;
  case 'a': a->array = true; return 0;
  case 's': a->m->skip_bad = true; return 0;
  case 'q': a->m->quiet = true; return 0;
  case CLI_OPT_HELP: cli_help(stdout, a->cmd); return -1;
  }
  int rc = cli_io_option(a->cmd, &a->io, id, value);
  if (rc == 1) rc = cli_limits_option(a->cmd, &a->m->lim, id, value);
  return rc == 1 ? CLI_EXIT_USAGE : rc;
}

static int export_parse(export_args *a, int argc, char **argv) {
  static const char *stdin_only[] = {"-"};
  cli_parser p;
  const char *value;
  int id;
  a->inputs = (const char **)(argv + 1);
  cli_parser_init(&p, a->cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    if (id == CLI_OPERAND) {
      a->inputs[a->n_inputs++] = value;
      continue;
    }
    int rc = export_option(a, id, value);
    if (rc) return rc;
  }
  if (!a->to) return cli_usage_error(a->cmd, "--to is required (ninjs, claimreview)");
  if (a->n_inputs == 0) {
    a->inputs = stdin_only;
    a->n_inputs = 1;
  }
  return 0;
}

/* exp_out_fn: one JSON object to the writer. */
static int export_object(imp *m, jv_value *obj, void *payload) {
  export_args *a = payload;
  evrec_error err;
  if (m->oom) return imp_fail(m, "out of memory");
  if (evrec_writer_write(m->w, &obj->struct_value->base, &err) != EVREC_OK) {
    if (err.code == EVREC_E_IO || err.code == EVREC_E_NOMEM) {
      cli_report(m->out_name, &err);
      m->status = CLI_EXIT_USAGE;
      return IMP_STOP;
    }
    return imp_bad(m, "cannot write the %s object: %s", a->to == DST_NINJS ? "ninjs" : "ClaimReview",
                   err.message);
  }
  a->written++;
  return 0;
}

static int export_record(export_args *a, const ev_record *r) {
  imp *m = a->m;
  uint64_t before = a->written;
  m->item_id = r->id;
  int rc = a->to == DST_NINJS ? exp_ninjs(m, r, export_object, a)
                              : exp_claimreview(m, r, export_object, a);
  imp_discard(m);
  if (!rc && a->written == before) a->empty++;
  return rc;
}

static int export_input(export_args *a, const char *in) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r;
  evrec_error err;
  const ProtobufCMessage *msg;
  imp *m = a->m;
  const char *shown = cli_display_name(in, false);
  ro.format = a->io.from;
  cli_limits_apply(&m->lim, &ro);
  ro.name = strcmp(in, "-") == 0 ? shown : NULL;
  if (evrec_reader_open_file(&r, in, &ro, &err) != EVREC_OK) {
    cli_report(shown, &err);
    return m->status = CLI_EXIT_USAGE, IMP_STOP;
  }
  m->file = shown;
  int rc, status = 0;
  while ((rc = evrec_reader_next(r, &msg, &err)) == EVREC_OK) {
    m->item = evrec_reader_count(r);
    status = export_record(a, (const ev_record *)msg);
    if (status) break;
  }
  m->item = 0;
  if (rc < 0) {
    cli_report(shown, &err);
    m->status = err.code == EVREC_E_IO || err.code == EVREC_E_NOMEM ? CLI_EXIT_USAGE
                                                                     : CLI_EXIT_INVALID;
    status = IMP_STOP;
  }
  evrec_reader_close(r);
  return status;
}

static void export_summary(const export_args *a) {
  const imp *m = a->m;
  if (m->n_bad)
    cli_error("%llu bad record%s skipped", (unsigned long long)m->n_bad, m->n_bad == 1 ? "" : "s");
  if (a->empty && !m->quiet)
    cli_error("%llu record%s had nothing to export as %s", (unsigned long long)a->empty,
              a->empty == 1 ? "" : "s", a->to == DST_NINJS ? "ninjs" : "ClaimReview");
}

static int export_run(export_args *a) {
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  imp *m = a->m;
  wo.format = EVREC_FORMAT_JSON;
  wo.name = strcmp(a->io.output, "-") == 0 ? cli_display_name(a->io.output, true) : NULL;
  wo.json_flags = a->pretty ? EVREC_JSON_PRETTY : 0;
  wo.flags = a->array ? EVREC_WRITE_ARRAY : 0;
  if (imp_start(m, a->io.output, &wo)) return CLI_EXIT_USAGE;
  int status = CLI_EXIT_OK;
  for (int i = 0; i < a->n_inputs && status == CLI_EXIT_OK; i++)
    if (export_input(a, a->inputs[i])) status = m->status;
  status = imp_finish(m, a->io.output, status);
  if (status == CLI_EXIT_OK) export_summary(a);
  return status;
}

int cli_cmd_export(const cli_command *cmd, int argc, char **argv) {
  export_args a;
  imp m;
  memset(&a, 0, sizeof a);
  memset(&m, 0, sizeof m);
  a.cmd = m.cmd = cmd;
  a.io.output = "-";
  a.m = &m;
  int rc = export_parse(&a, argc, argv);
  if (rc == -1) return CLI_EXIT_OK;
  return rc ? rc : export_run(&a);
}
