/*
 * cli_validate.c -- how `evrec validate` and `evrec convert --validate`
 * print violations (docs/VALIDATION.md, "Output").
 *
 * Text, one line per violation:
 *
 *   FILE: record N (id ID): PATH: error|warning: message [rule-id]
 *   FILE:LINE:COL: record N: PATH: error: message [decode-rule]     JSON input
 *   FILE: record N at byte OFF: error: message [decode-rule]        binary input
 *
 * "(id ID)" is left out when the record has no id or could not be decoded,
 * "PATH: " when the violation concerns the record as a whole. JSON, one
 * object per violation: file, record (counted from 1, as in the text), id,
 * rule, severity, path, message, and for decoding violations line, column
 * and offset when known.
 */
#include <string.h>

#include "cli.h"

static const char *severity_name(evrec_severity s) {
  return s == EVREC_SEVERITY_ERROR ? "error" : "warning";
}

static void print_text(FILE *f, const char *prefix, const char *file, const evrec_violation *v) {
  fputs(prefix, f);
  if (v->error) {
    cli_print_where(f, file, v->error);
  } else {
    fprintf(f, "%s: record %llu", file, (unsigned long long)v->record + 1);
    if (v->record_id[0]) {
      fputs(" (id ", f);
      cli_print_excerpt(f, v->record_id, 80);
      fputc(')', f);
    }
  }
  fputs(": ", f);
  if (v->path[0]) fprintf(f, "%s: ", v->path);
  fprintf(f, "%s: ", severity_name(v->severity));
  if (v->error) cli_print_message(f, v->error);
  else fputs(v->message, f);
  fprintf(f, " [%s]\n", v->rule);
}

static void print_json(FILE *f, const char *file, const evrec_violation *v) {
  fputs("{\"file\":", f);
  cli_json_string(f, file);
  fprintf(f, ",\"record\":%llu,\"id\":", (unsigned long long)v->record + 1);
  cli_json_string(f, v->record_id);
  fprintf(f, ",\"rule\":\"%s\",\"severity\":\"%s\",\"path\":", v->rule,
          severity_name(v->severity));
  cli_json_string(f, v->path);
  char text[EVREC_ERROR_MESSAGE_MAX + 16];
  if (v->error) cli_message_text(text, sizeof text, v->error);
  fputs(",\"message\":", f);
  cli_json_string(f, v->error ? text : v->message);
  if (v->error && v->error->line)
    fprintf(f, ",\"line\":%lu,\"column\":%lu", (unsigned long)v->error->line,
            (unsigned long)v->error->column);
  if (v->error && v->error->offset != EVREC_UNKNOWN)
    fprintf(f, ",\"offset\":%llu", (unsigned long long)v->error->offset);
  fputs("}\n", f);
}

void cli_print_violation(FILE *f, bool json, const char *prefix, const char *file,
                         const evrec_violation *v) {
  if (json) print_json(f, file, v);
  else print_text(f, prefix, file, v);
}

const char *cli_plural(uint64_t n, const char *one, const char *many) {
  return n == 1 ? one : many;
}
