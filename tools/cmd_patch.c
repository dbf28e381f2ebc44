/*
 * cmd_patch.c -- `evrec patch A DELTA -o B`: applies the output of
 * `evrec diff --format json` to A.
 *
 * The delta is read whole and held in memory (its lines parsed into one
 * arena, then sorted by record id so that a record's ops are found by
 * binary search); memory therefore grows with the delta, not with A, which
 * is streamed record by record into the writer:
 *
 *   - a record the delta removes is checked against the delta's old record
 *     (equal as evrec_record_diff() sees it) and left out;
 *   - a record the delta changes goes through evrec_record_patch(), which
 *     checks every old value;
 *   - after A, the records the delta adds are written in delta order.
 *
 * Anything that does not apply -- an old value that differs, a record or
 * path A does not have, a record added that A has, a malformed delta line
 * -- is an error naming the delta line, the op, the record and the path,
 * and the output is aborted: the writer removes its temporary file, so B
 * is not written and an existing B is untouched.
 *
 * Exit status: 0 applied, 1 the delta does not apply or an input is
 * invalid, 2 usage, I/O or memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct pop {
  evrec_difference d;
  size_t line; /* 1-based line in the delta */
} pop;

typedef struct pcmd {
  const cli_command *cmd;
  const char *in, *delta;
  cli_io io; /* -o -f -t */
  unsigned decode_flags;
  cli_evr evr;
  cli_limits lim;
  int argc;

  char *text;        /* the delta */
  evrec_arena *ops_arena;
  pop *ops;          /* in delta order */
  size_t n_ops;
  pop **by_id;       /* sorted by (id, line) */
  unsigned char *seen; /* per by_id group start: record found in A */
  evrec_arena *arena;  /* per record */
} pcmd;

/* ====================================================================== */
/* Arguments                                                              */
/* ====================================================================== */

static int patch_option(pcmd *c, int id, const char *value) {
  switch (id) {
  case 'u': c->decode_flags |= EVREC_JSON_IGNORE_UNKNOWN; return 0;
  case CLI_OPT_HELP: cli_help(stdout, c->cmd); return -1;
  }
  int rc = cli_io_option(c->cmd, &c->io, id, value);
  if (rc == 1) rc = cli_limits_option(c->cmd, &c->lim, id, value);
  if (rc == 1) rc = cli_evr_option(c->cmd, &c->evr, id, value, c->argc);
  return rc == 1 ? CLI_EXIT_USAGE : rc;
}

static int patch_parse(pcmd *c, int argc, char **argv) {
  cli_parser p;
  const char *value;
  int id;
  cli_parser_init(&p, c->cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    if (id == CLI_OPERAND) {
      if (c->delta) return cli_usage_error(c->cmd, "too many operands: '%s'", value);
      *(c->in ? &c->delta : &c->in) = value;
      continue;
    }
    int rc = patch_option(c, id, value);
    if (rc) return rc;
  }
  if (!c->delta) return cli_usage_error(c->cmd, "needs A and DELTA");
  if (!strcmp(c->in, "-") && !strcmp(c->delta, "-"))
    return cli_usage_error(c->cmd, "only one of A and DELTA can be stdin ('-')");
  cli_io_output_format(&c->io, EVREC_FORMAT_NDJSON);
  if (c->evr.given && c->io.to != EVREC_FORMAT_EVR)
    return cli_usage_error(c->cmd, "-z, -j, --block-size and --meta need .evr output (-t evr)");
  if (cli_io_check_terminal(&c->io)) return CLI_EXIT_USAGE;
  return c->io.to == EVREC_FORMAT_EVR ? cli_evr_environment(&c->evr) : 0;
}

/* ====================================================================== */
/* The delta                                                              */
/* ====================================================================== */

static int read_all(const char *path, char **out, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  size_t cap = 65536, n = 0, got;
  char *p = f ? malloc(cap) : NULL;
  while (p && (got = fread(p + n, 1, cap - n - 1, f)) > 0)
    if ((n += got) == cap - 1) {
      char *q = realloc(p, cap *= 2);
      if (!q) free(p);
      p = q;
    }
  int e = errno;
  bool bad = !f || !p || ferror(f);
  if (f && f != stdin) fclose(f);
  if (bad) {
    cli_error("cannot read %s: %s", cli_display_name(path, false), p ? strerror(e) : "out of memory");
    free(p);
    return CLI_EXIT_USAGE;
  }
  p[n] = '\0';
  *out = p;
  *len = n;
  return 0;
}

/* "DELTA:LINE: record "ID": message" for a problem with one delta line. */
static void report_line(const pcmd *c, const pop *o, const evrec_error *e) {
  fprintf(stderr, "evrec: %s:%zu: ", cli_display_name(c->delta, false), o->line);
  if (o->d.id) {
    fputs("record ", stderr);
    cli_json_string(stderr, o->d.id);
    fputs(": ", stderr);
  }
  fprintf(stderr, "%s\n", e->message);
}

static int parse_line(pcmd *c, const char *s, size_t n, size_t line) {
  pop *o = &c->ops[c->n_ops];
  evrec_error e;
  int rc = evrec_difference_parse(&o->d, s, n, c->ops_arena, &e);
  if (rc == EVREC_E_NOMEM) return cli_error("out of memory"), CLI_EXIT_USAGE;
  if (rc) {
    e.line = (uint32_t)(line > UINT32_MAX ? UINT32_MAX : line);
    e.column = e.offset == EVREC_UNKNOWN ? 0 : (uint32_t)e.offset + 1;
    if (!e.column) e.line = 0;
    e.offset = e.record = EVREC_UNKNOWN;
    e.path[0] = '\0';
    cli_report(cli_display_name(c->delta, false), &e);
    return CLI_EXIT_INVALID;
  }
  o->line = line;
  c->n_ops++;
  return 0;
}

static int by_id_cmp(const void *x, const void *y) {
  const pop *a = *(pop *const *)x, *b = *(pop *const *)y;
  int r = strcmp(a->d.id, b->d.id);
  return r ? r : a->line < b->line ? -1 : a->line > b->line;
}

/* A record op ("" path) must be alone in its record's group. */
static int check_groups(pcmd *c) {
  for (size_t g = 0, n; g < c->n_ops; g += n) {
    const pop *rec = NULL, *chg = NULL;
    for (n = 0; g + n < c->n_ops && !strcmp(c->by_id[g + n]->d.id, c->by_id[g]->d.id); n++) {
      const pop *o = c->by_id[g + n];
      if (*o->d.path && !chg) chg = o;
      if (!*o->d.path && !rec) rec = o;
    }
    if (rec && n > 1) {
      evrec_error e;
      evrec_error_clear(&e);
      snprintf(e.message, sizeof e.message, "the record is %s at line %zu and %s here",
               rec->d.op == EVREC_DIFF_ADD ? "added" : "removed", rec->line,
               chg ? "changed" : "added or removed again");
      report_line(c, chg ? chg : c->by_id[g + 1], &e);
      return CLI_EXIT_INVALID;
    }
  }
  return 0;
}

static int load_delta(pcmd *c) {
  size_t len, lines = 1;
  int rc = read_all(c->delta, &c->text, &len);
  if (rc) return rc;
  for (size_t i = 0; i < len; i++) lines += c->text[i] == '\n';
  c->ops = malloc(lines * sizeof *c->ops);
  c->by_id = malloc(lines * sizeof *c->by_id);
  c->ops_arena = evrec_arena_new(0);
  if (!c->ops || !c->by_id || !c->ops_arena) return cli_error("out of memory"), CLI_EXIT_USAGE;
  size_t line = 0;
  for (char *s = c->text, *end = c->text + len; rc == 0 && s < end; line++) {
    char *nl = memchr(s, '\n', (size_t)(end - s));
    size_t n = (size_t)((nl ? nl : end) - s);
    if (strspn(s, " \t\r") < n) rc = parse_line(c, s, n, line + 1);
    s += n + 1;
  }
  for (size_t i = 0; i < c->n_ops; i++) c->by_id[i] = &c->ops[i];
  qsort(c->by_id, c->n_ops, sizeof *c->by_id, by_id_cmp);
  c->seen = calloc(c->n_ops + 1, 1);
  if (rc == 0 && !c->seen) return cli_error("out of memory"), CLI_EXIT_USAGE;
  return rc ? rc : check_groups(c);
}

/* The first of the ops of record `id` in by_id, or n_ops when none. */
static size_t find_group(const pcmd *c, const char *id) {
  size_t lo = 0, hi = c->n_ops;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (strcmp(c->by_id[mid]->d.id, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo < c->n_ops && strcmp(c->by_id[lo]->d.id, id) == 0 ? lo : c->n_ops;
}

/* ====================================================================== */
/* Applying                                                               */
/* ====================================================================== */

static int stop_at_first(const evrec_difference *d, void *payload) {
  (void)d, (void)payload;
  return 1;
}

static int conflict(const pcmd *c, const pop *o, const char *what) {
  evrec_error e;
  evrec_error_clear(&e);
  snprintf(e.message, sizeof e.message, "%s", what);
  report_line(c, o, &e);
  return CLI_EXIT_INVALID;
}

/* A record the delta removes: it must be the delta's old record. */
static int apply_remove(pcmd *c, const pop *o, const ProtobufCMessage *rec) {
  ProtobufCMessage *old;
  evrec_error e;
  int rc = evrec_json_decode(&old, rec->descriptor, o->d.old_value, o->d.old_len, c->arena, NULL, &e);
  if (rc == EVREC_OK) rc = evrec_record_diff(rec, old, NULL, stop_at_first, NULL, &e);
  if (rc == EVREC_STOPPED) return conflict(c, o, "remove: the record in A is not the delta's old record");
  if (rc) {
    char what[EVREC_ERROR_MESSAGE_MAX];
    snprintf(what, sizeof what, "remove: the old record does not decode: %.180s", e.message);
    return conflict(c, o, what);
  }
  return 0;
}

/* The ops of one record, in delta order, applied by the library. */
static int apply_changes(pcmd *c, size_t g, size_t n, const ProtobufCMessage *rec,
                         const ProtobufCMessage **out) {
  evrec_difference *ops = evrec_arena_allocator(c->arena)->alloc(c->arena, n * sizeof *ops);
  if (!ops) return cli_error("out of memory"), CLI_EXIT_USAGE;
  for (size_t i = 0; i < n; i++) ops[i] = c->by_id[g + i]->d;
  ProtobufCMessage *m;
  evrec_error e;
  int rc = evrec_record_patch(&m, rec, ops, n, c->arena, &e);
  if (rc == EVREC_E_NOMEM) return cli_error("out of memory"), CLI_EXIT_USAGE;
  if (rc) {
    const pop *at = c->by_id[g]; /* the op the error names */
    for (size_t i = 0; i < n; i++)
      if (!strcmp(c->by_id[g + i]->d.path, e.path)) {
        at = c->by_id[g + i];
        break;
      }
    report_line(c, at, &e);
    return CLI_EXIT_INVALID;
  }
  *out = m;
  return 0;
}

/* The record's "id" field ("" when it has none). */
static const char *record_id(const ProtobufCMessage *rec) {
  const ProtobufCFieldDescriptor *f =
      protobuf_c_message_descriptor_get_field_by_name(rec->descriptor, "id");
  if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED) return "";
  const void *slot = (const void *)((const char *)rec + f->offset);
  const char *id = *(char *const *)slot;
  return id ? id : "";
}

/* One record of A: written as is, changed, or left out. */
static int patch_record(pcmd *c, const ProtobufCMessage *rec, uint64_t index,
                        const ProtobufCMessage **out) {
  const char *id = record_id(rec);
  size_t g = find_group(c, id), n = 0;
  *out = rec;
  if (g == c->n_ops) return 0;
  const pop *first = c->by_id[g];
  if (c->seen[g]) {
    char what[128];
    snprintf(what, sizeof what, "the record id is twice in A (again as record %llu)",
             (unsigned long long)index + 1);
    return conflict(c, first, what);
  }
  c->seen[g] = 1;
  while (g + n < c->n_ops && strcmp(c->by_id[g + n]->d.id, id) == 0) n++;
  if (!*first->d.path && first->d.op == EVREC_DIFF_ADD) {
    char what[128];
    snprintf(what, sizeof what, "add: the record is in A already (record %llu)",
             (unsigned long long)index + 1);
    return conflict(c, first, what);
  }
  if (!*first->d.path) {
    *out = NULL;
    return apply_remove(c, first, rec);
  }
  return apply_changes(c, g, n, rec, out);
}

/* After A: every op must have found its record; additions are written. */
static int patch_tail(pcmd *c, evrec_writer *w) {
  for (size_t i = 0; i < c->n_ops; i++) {
    const pop *o = c->by_id[i];
    bool group_start = i == 0 || strcmp(c->by_id[i - 1]->d.id, o->d.id) != 0;
    if (group_start && !c->seen[i] && (*o->d.path || o->d.op != EVREC_DIFF_ADD)) {
      char what[EVREC_ERROR_MESSAGE_MAX];
      snprintf(what, sizeof what, "%s at %.100s: the record is not in A",
               o->d.op == EVREC_DIFF_ADD ? "add" : o->d.op == EVREC_DIFF_REMOVE ? "remove" : "replace",
               *o->d.path ? o->d.path : "\"\" (the whole record)");
      return conflict(c, o, what);
    }
  }
  for (size_t i = 0; i < c->n_ops; i++) { /* delta order */
    const pop *o = &c->ops[i];
    if (*o->d.path || o->d.op != EVREC_DIFF_ADD) continue;
    ProtobufCMessage *m;
    evrec_error e;
    evrec_arena_reset(c->arena);
    int rc = evrec_json_decode(&m, evrec_record_descriptor(), o->d.new_value, o->d.new_len,
                               c->arena, NULL, &e);
    if (rc) {
      char what[EVREC_ERROR_MESSAGE_MAX];
      snprintf(what, sizeof what, "add: the new record does not decode: %.180s", e.message);
      return conflict(c, o, what);
    }
    if (evrec_writer_write(w, m, &e) != EVREC_OK) {
      cli_report(cli_display_name(c->io.output, true), &e);
      return CLI_EXIT_USAGE;
    }
  }
  return 0;
}

static int open_input(pcmd *c, evrec_reader **r) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_error err;
  const char *shown = cli_display_name(c->in, false);
  ro.format = c->io.from;
  ro.json_flags = c->decode_flags;
  cli_limits_apply(&c->lim, &ro);
  ro.name = strcmp(c->in, "-") == 0 ? shown : NULL;
  if (evrec_reader_open_file(r, c->in, &ro, &err) == EVREC_OK) return 0;
  cli_report(shown, &err);
  return CLI_EXIT_USAGE;
}

static int open_output(pcmd *c, evrec_writer **w) {
  evrec_writer_options wo = EVREC_WRITER_OPTIONS_INIT;
  evrec_error err;
  wo.format = c->io.to;
  wo.name = strcmp(c->io.output, "-") == 0 ? cli_display_name(c->io.output, true) : NULL;
  cli_evr_apply(&c->evr, &wo);
  wo.max_record_size = c->lim.max_record_size;
  if (evrec_writer_open_file(w, c->io.output, &wo, &err) == EVREC_OK) return 0;
  cli_report(cli_display_name(c->io.output, true), &err);
  return CLI_EXIT_USAGE;
}

/* Streams A through the delta into w. */
static int patch_stream(pcmd *c, evrec_reader *r, evrec_writer *w) {
  const ProtobufCMessage *rec, *out;
  evrec_error err;
  int rc, status = 0;
  while (status == 0 && (rc = evrec_reader_next(r, &rec, &err)) == EVREC_OK) {
    evrec_arena_reset(c->arena);
    status = patch_record(c, rec, evrec_reader_count(r) - 1, &out);
    if (status == 0 && out && evrec_writer_write(w, out, &err) != EVREC_OK) {
      cli_report(cli_display_name(c->io.output, true), &err);
      status = CLI_EXIT_USAGE;
    }
  }
  if (status) return status;
  if (rc < 0) {
    cli_report(cli_display_name(c->in, false), &err);
    return err.code == EVREC_E_IO || err.code == EVREC_E_NOMEM ? CLI_EXIT_USAGE : CLI_EXIT_INVALID;
  }
  return patch_tail(c, w);
}

static int patch_run(pcmd *c) {
  evrec_reader *r = NULL;
  evrec_writer *w = NULL;
  int status = load_delta(c);
  c->arena = status ? NULL : evrec_arena_new(0);
  if (!status && !c->arena) status = (cli_error("out of memory"), CLI_EXIT_USAGE);
  if (!status) status = open_input(c, &r);
  if (!status) status = open_output(c, &w);
  if (!status) status = patch_stream(c, r, w);
  evrec_reader_close(r);
  if (status) {
    evrec_writer_abort(w); /* nothing is written */
    return status;
  }
  evrec_error err;
  if (evrec_writer_close(w, &err) != EVREC_OK) {
    cli_report(cli_display_name(c->io.output, true), &err);
    return CLI_EXIT_USAGE;
  }
  return 0;
}

int cli_cmd_patch(const cli_command *cmd, int argc, char **argv) {
  pcmd c;
  memset(&c, 0, sizeof c);
  c.cmd = cmd;
  c.io.output = "-";
  c.argc = argc;
  cli_evr_init(&c.evr);
  int rc = patch_parse(&c, argc, argv);
  if (rc == 0) rc = patch_run(&c);
  else if (rc == -1) rc = 0;
  cli_evr_free(&c.evr);
  free(c.text);
  free(c.ops);
  free(c.by_id);
  free(c.seen);
  evrec_arena_free(c.ops_arena);
  evrec_arena_free(c.arena);
  return rc;
}
