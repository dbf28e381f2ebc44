/*
 * cmd_diff.c -- `evrec diff A B`: what changed between two sets of records.
 *
 * The library (evrec_diff) matches records by id and reports each
 * difference to diff_cb(), which prints it in the chosen form:
 *
 *   text        "+ ID" / "- ID" for records added and removed; "~ ID" then
 *               "  PATH: OLD -> NEW" lines for a changed record, values
 *               shortened to SHOW_MAX bytes, "(none)" where absent
 *   json        one delta line per difference (evrec_difference_format),
 *               the input of `evrec patch`
 *   json-patch  one line per record: {"id":ID,"patch":[RFC 6902 ops]}
 *               against the canonical JSON of A's record; an added record
 *               is one "add" at the root "", a removed one {"id":ID,
 *               "removed":true}. The ops of a record are buffered until its
 *               last one (a record's differences are consecutive).
 *   --summary   counts of records and of entities added, removed, changed
 *   --stat      the fields that change most often (difference count and
 *               records), STAT_ROWS rows
 *
 * Exit status: 0 identical, 1 different, 2 any error -- also an invalid
 * record or a duplicate id, since 1 already means "different".
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SHOW_MAX 60  /* bytes of a value in text output */
#define STAT_ROWS 20 /* rows of --stat */

typedef enum { FORM_TEXT, FORM_JSON, FORM_JSON_PATCH } form;

/* --summary: one row per entity list ("actors"). */
typedef struct kind_count {
  char *name;
  uint64_t added, removed, changed;
} kind_count;

/* --stat: one row per field path. */
typedef struct field_count {
  char *field;
  uint64_t changes, records, last_record;
} field_count;

typedef struct dcmd {
  const cli_command *cmd;
  const char *in[2];
  int n_in;
  form form;
  bool form_given, summary, stat, quiet;
  const char **ignore; /* into argv */
  size_t n_ignore;
  double tolerance;
  unsigned flags, decode_flags;
  cli_io io; /* -f */
  cli_limits lim;

  /* while running */
  uint64_t cur_a, cur_b;  /* record of the last difference */
  bool in_record;
  char *patch;            /* json-patch: the ops of the current record */
  size_t patch_len, patch_cap;
  char *cur_id;
  kind_count *kinds;
  size_t n_kinds;
  char *last_entity;      /* "kind\0id" of the last changed entity */
  uint64_t last_entity_rec;
  field_count *fields;
  size_t n_fields;
  bool oom;
} dcmd;

/* ====================================================================== */
/* Arguments                                                              */
/* ====================================================================== */

static int parse_tolerance(dcmd *c, const char *v) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (end == v || *end || errno || !(x >= 0) || isinf(x))
    return cli_usage_error(c->cmd, "--float-tolerance: '%s' is not a number >= 0", v);
  c->tolerance = x;
  return 0;
}

static int parse_form(dcmd *c, const char *v) {
  if (!strcmp(v, "text")) c->form = FORM_TEXT;
  else if (!strcmp(v, "json")) c->form = FORM_JSON;
  else if (!strcmp(v, "json-patch")) c->form = FORM_JSON_PATCH;
  else return cli_usage_error(c->cmd, "--format: '%s' is not text, json or json-patch", v);
  c->form_given = true;
  return 0;
}

static int diff_option(dcmd *c, int id, const char *value) {
  switch (id) {
  case 'F': return parse_form(c, value);
  case 's': c->summary = true; return 0;
  case 'S': c->stat = true; return 0;
  case 'i': c->ignore[c->n_ignore++] = value; return 0;
  case 'T': return parse_tolerance(c, value);
  case 'O': c->flags |= EVREC_DIFF_IGNORE_ORDER; return 0;
  case 'q': c->quiet = true; return 0;
  case 'u': c->decode_flags |= EVREC_JSON_IGNORE_UNKNOWN; return 0;
  case CLI_OPT_HELP: cli_help(stdout, c->cmd); return -1;
  }
  int rc = cli_io_option(c->cmd, &c->io, id, value);
  if (rc == 1) rc = cli_limits_option(c->cmd, &c->lim, id, value);
  return rc == 1 ? CLI_EXIT_USAGE : rc;
}

static int diff_parse(dcmd *c, int argc, char **argv) {
  cli_parser p;
  const char *value;
  int id;
  c->ignore = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *c->ignore);
  if (!c->ignore) return cli_error("out of memory"), CLI_EXIT_USAGE;
  cli_parser_init(&p, c->cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    if (id == CLI_OPERAND) {
      if (c->n_in == 2) return cli_usage_error(c->cmd, "too many inputs: '%s' (A and B only)", value);
      c->in[c->n_in++] = value;
      continue;
    }
    int rc = diff_option(c, id, value);
    if (rc) return rc;
  }
  if (c->n_in != 2) return cli_usage_error(c->cmd, "needs two inputs, A and B");
  if (!strcmp(c->in[0], "-") && !strcmp(c->in[1], "-"))
    return cli_usage_error(c->cmd, "only one of A and B can be stdin ('-')");
  if ((c->summary || c->stat) && c->form_given && c->form != FORM_TEXT)
    return cli_usage_error(c->cmd, "--summary and --stat print text, not --format %s",
                           c->form == FORM_JSON ? "json" : "json-patch");
  if (c->form == FORM_JSON_PATCH) c->flags |= EVREC_DIFF_JSON_PATCH;
  return 0;
}

/* ====================================================================== */
/* Text and JSON output                                                   */
/* ====================================================================== */

/* An id as typed when plain, else as a JSON string. */
static void print_id(const char *id) {
  bool plain = *id != '\0' && *id != '"';
  for (const unsigned char *p = (const unsigned char *)id; *p && plain; p++)
    plain = *p > 0x20 && *p != 0x7f;
  if (plain) fputs(id, stdout);
  else cli_json_string(stdout, id);
}

/* A value shortened to SHOW_MAX bytes on a UTF-8 boundary. */
static void print_value(const char *v, size_t n) {
  if (!v) {
    fputs("(none)", stdout);
    return;
  }
  if (n <= SHOW_MAX) {
    fwrite(v, 1, n, stdout);
    return;
  }
  size_t k = SHOW_MAX;
  while (k > 0 && ((unsigned char)v[k] & 0xC0) == 0x80) k--;
  fwrite(v, 1, k, stdout);
  fputs("...", stdout);
}

static bool same_record(const dcmd *c, const evrec_difference *d) {
  return c->in_record && d->a_record == c->cur_a && d->b_record == c->cur_b;
}

static void print_text(dcmd *c, const evrec_difference *d) {
  if (!*d->path) {
    fputs(d->op == EVREC_DIFF_ADD ? "+ " : "- ", stdout);
    print_id(d->id);
    fputc('\n', stdout);
    return;
  }
  if (!same_record(c, d)) {
    fputs("~ ", stdout);
    print_id(d->id);
    fputc('\n', stdout);
  }
  printf("  %s: ", d->path);
  print_value(d->old_value, d->old_len);
  fputs(" -> ", stdout);
  print_value(d->new_value, d->new_len);
  fputc('\n', stdout);
}

static void print_json(dcmd *c, const evrec_difference *d) {
  char *line = NULL;
  size_t len = 0;
  if (evrec_difference_format(&line, &len, d, NULL) != EVREC_OK) {
    c->oom = true;
    return;
  }
  fwrite(line, 1, len, stdout);
  fputc('\n', stdout);
  free(line);
}

/* ====================================================================== */
/* JSON Patch output                                                      */
/* ====================================================================== */

static void patch_add(dcmd *c, const char *s, size_t n) {
  if (c->patch_len + n + 1 > c->patch_cap) {
    size_t cap = (c->patch_len + n + 1) * 2;
    char *p = realloc(c->patch, cap);
    if (!p) {
      c->oom = true;
      return;
    }
    c->patch = p;
    c->patch_cap = cap;
  }
  memcpy(c->patch + c->patch_len, s, n);
  c->patch_len += n;
}

static void patch_str(dcmd *c, const char *s) { patch_add(c, s, strlen(s)); }

/* s as a JSON string into the patch buffer. */
static void patch_json_string(dcmd *c, const char *s) {
  static const char hex[] = "0123456789abcdef";
  patch_add(c, "\"", 1);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      char e[2] = {'\\', (char)ch};
      patch_add(c, e, 2);
    } else if (ch < 0x20) {
      char e[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
      patch_add(c, e, 6);
    } else {
      patch_add(c, s, 1);
    }
  }
  patch_add(c, "\"", 1);
}

/* Prints the buffered ops of the current record as one line. */
static void patch_flush(dcmd *c) {
  if (!c->in_record || !c->patch_len) return;
  fputs("{\"id\":", stdout);
  cli_json_string(stdout, c->cur_id ? c->cur_id : "");
  fputs(",\"patch\":[", stdout);
  fwrite(c->patch, 1, c->patch_len, stdout);
  fputs("]}\n", stdout);
  c->patch_len = 0;
}

static void print_patch(dcmd *c, const evrec_difference *d) {
  static const char *const ops[] = {"", "add", "remove", "replace"};
  if (!*d->path && d->op == EVREC_DIFF_REMOVE) {
    fputs("{\"id\":", stdout);
    cli_json_string(stdout, d->id);
    fputs(",\"removed\":true}\n", stdout);
    return;
  }
  if (c->patch_len) patch_add(c, ",", 1);
  patch_str(c, "{\"op\":\"");
  patch_str(c, ops[d->op]);
  patch_str(c, "\",\"path\":");
  patch_json_string(c, d->path);
  if (d->new_value) {
    patch_str(c, ",\"value\":");
    patch_add(c, d->new_value, d->new_len);
  }
  patch_add(c, "}", 1);
}

/* ====================================================================== */
/* --summary and --stat                                                   */
/* ====================================================================== */

static kind_count *kind_of(dcmd *c, const char *name) {
  for (size_t i = 0; i < c->n_kinds; i++)
    if (!strcmp(c->kinds[i].name, name)) return &c->kinds[i];
  kind_count *v = realloc(c->kinds, (c->n_kinds + 1) * sizeof *v);
  if (!v) return NULL;
  c->kinds = v;
  kind_count *k = &v[c->n_kinds];
  memset(k, 0, sizeof *k);
  if (!(k->name = strdup(name))) return NULL;
  c->n_kinds++;
  return k;
}

static void count_entity(dcmd *c, const evrec_difference *d) {
  kind_count *k = kind_of(c, d->entity);
  if (!k) {
    c->oom = true;
    return;
  }
  if (d->entity_whole) {
    if (d->op == EVREC_DIFF_ADD) k->added++;
    else k->removed++;
    return;
  }
  /* The differences inside one entity are consecutive: count it once. */
  size_t kl = strlen(d->entity), il = strlen(d->entity_id);
  if (c->last_entity && c->last_entity_rec == d->a_record && !strcmp(c->last_entity, d->entity) &&
      !strcmp(c->last_entity + kl + 1, d->entity_id))
    return;
  char *e = malloc(kl + il + 2);
  if (!e) {
    c->oom = true;
    return;
  }
  memcpy(e, d->entity, kl + 1);
  memcpy(e + kl + 1, d->entity_id, il + 1);
  free(c->last_entity);
  c->last_entity = e;
  c->last_entity_rec = d->a_record;
  k->changed++;
}

static void count_field(dcmd *c, const evrec_difference *d) {
  field_count *f = NULL;
  for (size_t i = 0; i < c->n_fields && !f; i++)
    if (!strcmp(c->fields[i].field, d->field)) f = &c->fields[i];
  if (!f) {
    field_count *v = realloc(c->fields, (c->n_fields + 1) * sizeof *v);
    char *name = v ? strdup(d->field) : NULL;
    if (v) c->fields = v;
    if (!name) {
      c->oom = true;
      return;
    }
    f = &c->fields[c->n_fields++];
    *f = (field_count){name, 0, 0, UINT64_MAX};
  }
  f->changes++;
  if (f->last_record != d->a_record) f->records++;
  f->last_record = d->a_record;
}

static const char *plural(uint64_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}

static void print_summary(const dcmd *c, const evrec_diff_stats *st) {
  printf("records: %llu added, %llu removed, %llu changed, %llu same (A %llu, B %llu)\n",
         (unsigned long long)st->added, (unsigned long long)st->removed,
         (unsigned long long)st->changed, (unsigned long long)st->same,
         (unsigned long long)st->a_records, (unsigned long long)st->b_records);
  for (size_t i = 0; i < c->n_kinds; i++)
    printf("%s: %llu added, %llu removed, %llu changed\n", c->kinds[i].name,
           (unsigned long long)c->kinds[i].added, (unsigned long long)c->kinds[i].removed,
           (unsigned long long)c->kinds[i].changed);
}

static int field_rank(const void *x, const void *y) {
  const field_count *a = x, *b = y;
  if (a->changes != b->changes) return a->changes > b->changes ? -1 : 1;
  return strcmp(a->field, b->field);
}

static void print_stat(dcmd *c) {
  if (c->n_fields) qsort(c->fields, c->n_fields, sizeof *c->fields, field_rank);
  size_t rows = c->n_fields < STAT_ROWS ? c->n_fields : STAT_ROWS;
  printf("%10s %10s  %s\n", "changes", "records", "field");
  for (size_t i = 0; i < rows; i++)
    printf("%10llu %10llu  %s\n", (unsigned long long)c->fields[i].changes,
           (unsigned long long)c->fields[i].records, c->fields[i].field);
  if (c->n_fields > rows)
    printf("(%zu more %s)\n", c->n_fields - rows, plural(c->n_fields - rows, "field", "fields"));
}

/* ====================================================================== */
/* Running                                                                */
/* ====================================================================== */

static int diff_cb(const evrec_difference *d, void *payload) {
  dcmd *c = payload;
  if (c->quiet) return 1; /* one difference decides the exit status */
  bool next = !same_record(c, d);
  if (next && c->form == FORM_JSON_PATCH) {
    patch_flush(c);
    free(c->cur_id);
    if (!(c->cur_id = strdup(d->id))) c->oom = true;
  }
  if (c->summary && d->entity && *d->path) count_entity(c, d);
  if (c->stat && *d->path) count_field(c, d);
  if (!c->summary && !c->stat) {
    if (c->form == FORM_TEXT) print_text(c, d);
    else if (c->form == FORM_JSON) print_json(c, d);
    else print_patch(c, d);
  }
  c->in_record = true;
  c->cur_a = d->a_record;
  c->cur_b = d->b_record;
  return c->oom || ferror(stdout);
}

static int open_side(const dcmd *c, int i, evrec_reader **r) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_error err;
  const char *shown = cli_display_name(c->in[i], false);
  ro.format = c->io.from;
  ro.json_flags = c->decode_flags;
  cli_limits_apply(&c->lim, &ro);
  ro.name = strcmp(c->in[i], "-") == 0 ? shown : NULL;
  if (evrec_reader_open_file(r, c->in[i], &ro, &err) == EVREC_OK) return 0;
  cli_report(shown, &err);
  return CLI_EXIT_USAGE;
}

static int diff_run(dcmd *c) {
  evrec_reader *r[2] = {NULL, NULL};
  int status = open_side(c, 0, &r[0]);
  if (!status) status = open_side(c, 1, &r[1]);
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  o.flags = c->flags;
  o.float_tolerance = c->tolerance;
  o.ignore = c->ignore;
  o.n_ignore = c->n_ignore;
  evrec_diff_stats st;
  evrec_error err;
  int rc = status ? EVREC_OK : evrec_diff(&st, r[0], r[1], &o, diff_cb, c, &err);
  evrec_reader_close(r[0]);
  evrec_reader_close(r[1]);
  if (status) return status;
  if (rc < 0) {
    cli_report(st.error_side ? cli_display_name(c->in[st.error_side - 1], false) : "diff", &err);
    return CLI_EXIT_USAGE;
  }
  if (c->oom) return cli_error("out of memory"), CLI_EXIT_USAGE;
  if (rc == EVREC_STOPPED && !c->quiet) {
    cli_error("error writing <stdout>: %s", strerror(errno));
    return CLI_EXIT_USAGE;
  }
  if (c->form == FORM_JSON_PATCH) patch_flush(c);
  if (c->summary) print_summary(c, &st);
  if (c->summary && c->stat) fputc('\n', stdout);
  if (c->stat) print_stat(c);
  bool differ = rc == EVREC_STOPPED || st.added || st.removed || st.changed;
  return differ ? CLI_EXIT_INVALID : CLI_EXIT_OK;
}

int cli_cmd_diff(const cli_command *cmd, int argc, char **argv) {
  dcmd c;
  memset(&c, 0, sizeof c);
  c.cmd = cmd;
  int rc = diff_parse(&c, argc, argv);
  if (rc == 0) rc = diff_run(&c);
  else if (rc == -1) rc = CLI_EXIT_OK;
  free(c.ignore);
  free(c.patch);
  free(c.cur_id);
  free(c.last_entity);
  for (size_t i = 0; i < c.n_kinds; i++) free(c.kinds[i].name);
  free(c.kinds);
  for (size_t i = 0; i < c.n_fields; i++) free(c.fields[i].field);
  free(c.fields);
  return rc;
}
