/*
 * cmd_validate.c -- `evrec validate`: the SPEC §6 rules over record files.
 *
 * Each input is read with EVREC_READ_SKIP_INVALID | EVREC_READ_SKIP_DAMAGE,
 * so a record that cannot be decoded is one violation (decode-*) and
 * validation goes on with the next record wherever the format allows it.
 * Violations go to stdout (they are this command's output), one line or
 * one JSON object each, then a summary; problems that are not about the
 * data (an input that cannot be opened, an I/O error) go to stderr.
 * Record ids are checked for duplicates within each input.
 *
 * Exit status: 2 when an input could not be read (or on usage errors), else
 * 1 when any error was found (warnings too with --strict), else 0.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct vrun {
  const cli_command *cmd;
  const char **inputs;
  int n_inputs;
  cli_io io; /* -f */
  unsigned decode_flags;
  cli_limits lim;
  bool json, quiet, list;
  uint64_t max_errors; /* 0 = no limit */
  uint64_t errors_seen; /* across inputs, for --max-errors */
  const char **rules, **skips;
  size_t n_rules, n_skips;
  evrec_validate_options vo;
  /* totals */
  evrec_validate_stats total;
  uint64_t files;
  bool stopped, unreadable;
  const char *file; /* display name of the input being read */
} vrun;

/* ====================================================================== */
/* Arguments                                                              */
/* ====================================================================== */

static int vr_option(vrun *v, int id, const char *value) {
  switch (id) {
  case 'F':
    if (strcmp(value, "text") == 0) v->json = false;
    else if (strcmp(value, "json") == 0) v->json = true;
    else return cli_usage_error(v->cmd, "--format: '%s' is not text or json", value);
    return 0;
  case 's': v->vo.flags |= EVREC_VALIDATE_STRICT; return 0;
  case 'm': return cli_parse_uint(v->cmd, "--max-errors", value, UINT64_MAX, &v->max_errors);
  case 'r': v->rules[v->n_rules++] = value; return 0;
  case 'R': v->skips[v->n_skips++] = value; return 0;
  case 'q': v->quiet = true; return 0;
  case 'L': v->list = true; return 0;
  case 'u': v->decode_flags |= EVREC_JSON_IGNORE_UNKNOWN; return 0;
  case CLI_OPT_HELP: cli_help(stdout, v->cmd); return -1;
  }
  int rc = cli_io_option(v->cmd, &v->io, id, value);
  if (rc == 1) rc = cli_limits_option(v->cmd, &v->lim, id, value);
  return rc == 1 ? CLI_EXIT_USAGE : rc;
}

static int vr_parse(vrun *v, int argc, char **argv) {
  static const char *stdin_only[] = {"-"};
  cli_parser p;
  const char *value;
  int id;
  v->inputs = (const char **)(argv + 1); /* operands are compacted in place */
  cli_parser_init(&p, v->cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    if (id == CLI_OPERAND) {
      v->inputs[v->n_inputs++] = value;
      continue;
    }
    int rc = vr_option(v, id, value);
    if (rc) return rc;
  }
  if (v->n_inputs == 0) {
    v->inputs = stdin_only;
    v->n_inputs = 1;
  }
  v->vo.rules = v->rules;
  v->vo.n_rules = v->n_rules;
  v->vo.skip_rules = v->skips;
  v->vo.n_skip_rules = v->n_skips;
  evrec_validator *check; /* reports a pattern that matches no rule now */
  evrec_error err;
  if (evrec_validator_new(&check, &v->vo, &err) != EVREC_OK)
    return cli_usage_error(v->cmd, "%s", err.message);
  evrec_validator_free(check);
  return 0;
}

/* ====================================================================== */
/* Output                                                                 */
/* ====================================================================== */

/* --list-rules: the rule table, as text or JSON lines. */
static int vr_list(const vrun *v) {
  size_t n;
  const evrec_rule *r = evrec_rules(&n);
  for (size_t i = 0; i < n; i++) {
    const char *sev = r[i].severity == EVREC_SEVERITY_ERROR ? "error" : "warning";
    if (!v->json) {
      printf("%-26s %-8s %-12s %s\n", r[i].id, sev, r[i].group, r[i].summary);
      continue;
    }
    printf("{\"rule\":\"%s\",\"severity\":\"%s\",\"group\":\"%s\",\"summary\":", r[i].id, sev,
           r[i].group);
    cli_json_string(stdout, r[i].summary);
    fputs("}\n", stdout);
  }
  return CLI_EXIT_OK;
}

static int on_violation(const evrec_violation *viol, void *payload) {
  vrun *v = payload;
  if (!v->quiet) cli_print_violation(stdout, v->json, "", v->file, viol);
  v->errors_seen += viol->severity == EVREC_SEVERITY_ERROR;
  return v->max_errors && v->errors_seen >= v->max_errors;
}

static void vr_summary(const vrun *v) {
  const evrec_validate_stats *t = &v->total;
  if (v->json) {
    printf("{\"summary\":{\"files\":%llu,\"records\":%llu,\"invalid\":%llu,\"errors\":%llu,"
           "\"warnings\":%llu,\"stopped\":%s}}\n",
           (unsigned long long)v->files, (unsigned long long)t->records,
           (unsigned long long)t->invalid, (unsigned long long)t->errors,
           (unsigned long long)t->warnings, v->stopped ? "true" : "false");
    return;
  }
  printf("%llu %s, %llu %s, %llu %s in %llu %s", (unsigned long long)t->records,
         cli_plural(t->records, "record", "records"), (unsigned long long)t->errors,
         cli_plural(t->errors, "error", "errors"), (unsigned long long)t->warnings,
         cli_plural(t->warnings, "warning", "warnings"), (unsigned long long)v->files,
         cli_plural(v->files, "file", "files"));
  if (v->stopped)
    printf(" (stopped after %llu %s: --max-errors)", (unsigned long long)v->max_errors,
           cli_plural(v->max_errors, "error", "errors"));
  putchar('\n');
}

/* ====================================================================== */
/* Running                                                                */
/* ====================================================================== */

static void add_stats(evrec_validate_stats *to, const evrec_validate_stats *s) {
  to->records += s->records;
  to->invalid += s->invalid;
  to->errors += s->errors;
  to->warnings += s->warnings;
}

/* Validates one input into the totals. */
static void vr_input(vrun *v, const char *in) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r;
  evrec_error err;
  evrec_validate_stats st;
  v->file = cli_display_name(in, false);
  ro.format = v->io.from;
  ro.json_flags = v->decode_flags;
  ro.flags = EVREC_READ_SKIP_INVALID | EVREC_READ_SKIP_DAMAGE;
  cli_limits_apply(&v->lim, &ro);
  ro.name = strcmp(in, "-") == 0 ? v->file : NULL;
  if (cli_stdin_check(in, v->io.from) != CLI_EXIT_OK) {
    v->unreadable = true;
    return;
  }
  if (evrec_reader_open_file(&r, in, &ro, &err) != EVREC_OK) {
    cli_open_failed(v->file, &err); /* not read at all: exit 2, whatever the reason */
    v->unreadable = true;
    return;
  }
  v->files++;
  int rc = evrec_validate_reader(r, &v->vo, &st, on_violation, v, &err);
  add_stats(&v->total, &st);
  if (rc == EVREC_STOPPED) v->stopped = true;
  if (rc < 0 && (err.code == EVREC_E_IO || err.code == EVREC_E_NOMEM || err.code == EVREC_E_FORMAT ||
                 err.code == EVREC_E_INVALID_ARG)) {
    cli_report(v->file, &err);
    v->unreadable = true;
  }
  evrec_reader_close(r);
}

static int vr_run(vrun *v) {
  for (int i = 0; i < v->n_inputs && !v->stopped; i++) vr_input(v, v->inputs[i]);
  vr_summary(v);
  if (v->unreadable) return CLI_EXIT_USAGE;
  return v->total.errors ? CLI_EXIT_INVALID : CLI_EXIT_OK;
}

int cli_cmd_validate(const cli_command *cmd, int argc, char **argv) {
  vrun v;
  memset(&v, 0, sizeof v);
  v.cmd = cmd;
  v.vo = (evrec_validate_options)EVREC_VALIDATE_OPTIONS_INIT;
  v.rules = calloc((size_t)argc + 1, sizeof *v.rules); /* --rule values, at most argc */
  v.skips = calloc((size_t)argc + 1, sizeof *v.skips);
  int rc = v.rules && v.skips ? vr_parse(&v, argc, argv) : CLI_EXIT_USAGE;
  if (!v.rules || !v.skips) cli_error("out of memory");
  if (rc == 0) rc = v.list ? vr_list(&v) : vr_run(&v);
  free(v.rules);
  free(v.skips);
  return rc == -1 ? CLI_EXIT_OK : rc;
}
