/*
 * cli.c -- option parsing, generated help and diagnostics for `evrec`.
 *
 * The parser follows GNU conventions: options and operands may be mixed;
 * "--name=value" and "--name value"; "-o value" and "-ovalue"; short flags
 * may be grouped ("-hx"); "--" ends the options; a lone "-" is an operand
 * (stdin/stdout). Long names must be spelled out (no prefixes), so adding an
 * option later never makes an old command line ambiguous.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"

/* ====================================================================== */
/* Messages                                                               */
/* ====================================================================== */

void cli_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("evrec: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "evrec %s: ", cmd->name);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nTry 'evrec %s --help'.\n", cmd->name);
  va_end(ap);
  return CLI_EXIT_USAGE;
}

const char *cli_display_name(const char *path, bool output) {
  if (strcmp(path, "-") == 0) return output ? "<stdout>" : "<stdin>";
  return path;
}

void cli_report(const char *file, const evrec_error *e) {
  if (e->code == EVREC_E_IO || e->code == EVREC_E_NOMEM) {
    cli_error("%s", e->message); /* I/O messages name their file */
    return;
  }
  fprintf(stderr, "evrec: %s", file);
  if (e->line) fprintf(stderr, ":%lu:%lu", (unsigned long)e->line, (unsigned long)e->column);
  fputs(": ", stderr);
  if (e->record != EVREC_UNKNOWN) fprintf(stderr, "record %llu", (unsigned long long)e->record + 1);
  if (!e->line && e->offset != EVREC_UNKNOWN)
    fprintf(stderr, "%sat byte %llu", e->record != EVREC_UNKNOWN ? " " : "",
            (unsigned long long)e->offset);
  if (e->record != EVREC_UNKNOWN || (!e->line && e->offset != EVREC_UNKNOWN)) fputs(": ", stderr);
  fputs(e->message, stderr);
  if (e->path[0]) fprintf(stderr, " (at %s)", e->path);
  fputc('\n', stderr);
}

evrec_format cli_parse_format(const cli_command *cmd, const char *opt, const char *name) {
  evrec_format f = evrec_format_from_name(name);
  if (f == EVREC_FORMAT_AUTO)
    cli_usage_error(cmd, "%s: unknown format '%s' (json, ndjson, jsonl, pb, pbd, evr)", opt,
                    name);
  return f;
}

int cli_close_stdout(int status) {
  if (fclose(stdout) != 0 && status == CLI_EXIT_OK) {
    cli_error("error writing <stdout>: %s", strerror(errno));
    return CLI_EXIT_USAGE;
  }
  return status;
}

/* ====================================================================== */
/* Option parsing                                                         */
/* ====================================================================== */

void cli_parser_init(cli_parser *p, const cli_command *cmd, int argc, char **argv) {
  memset(p, 0, sizeof *p);
  p->cmd = cmd;
  p->argc = argc;
  p->argv = argv;
  p->i = 1; /* argv[0] is the command name */
}

static const cli_option *find_long(const cli_option *o, const char *name, size_t len) {
  for (; o->id; o++)
    if (o->long_name && strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0)
      return o;
  return NULL;
}

static const cli_option *find_short(const cli_option *o, char c) {
  for (; o->id; o++)
    if (o->short_name == c) return o;
  return NULL;
}

/* "--name", "--name=value" or "--name value". */
static int next_long(cli_parser *p, const char *arg, const char **value) {
  const char *eq = strchr(arg, '=');
  size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
  const cli_option *o = find_long(p->cmd->options, arg, len);
  if (!o) {
    cli_usage_error(p->cmd, "unknown option '--%.*s'", (int)len, arg);
    return CLI_ERROR;
  }
  if (!o->arg && eq) {
    cli_usage_error(p->cmd, "option '--%s' takes no argument", o->long_name);
    return CLI_ERROR;
  }
  if (o->arg && !eq && p->i >= p->argc) {
    cli_usage_error(p->cmd, "option '--%s' needs an argument (%s)", o->long_name, o->arg);
    return CLI_ERROR;
  }
  *value = !o->arg ? NULL : eq ? eq + 1 : p->argv[p->i++];
  return o->id;
}

/* One letter of a "-abc" group; an option with an argument takes the rest
 * of the group or the next word. */
static int next_short(cli_parser *p, const char **value) {
  char c = *p->cluster++;
  const cli_option *o = find_short(p->cmd->options, c);
  if (!o) {
    p->cluster = NULL;
    cli_usage_error(p->cmd, "unknown option '-%c'", c);
    return CLI_ERROR;
  }
  *value = NULL;
  if (o->arg) {
    if (*p->cluster) {
      *value = p->cluster;
    } else if (p->i < p->argc) {
      *value = p->argv[p->i++];
    } else {
      cli_usage_error(p->cmd, "option '-%c' needs an argument (%s)", c, o->arg);
      return CLI_ERROR;
    }
    p->cluster = NULL;
  }
  if (p->cluster && !*p->cluster) p->cluster = NULL;
  return o->id;
}

int cli_next(cli_parser *p, const char **value) {
  *value = NULL;
  if (p->cluster) return next_short(p, value);
  while (p->i < p->argc) {
    const char *arg = p->argv[p->i++];
    if (p->operands_only || arg[0] != '-' || arg[1] == '\0') {
      *value = arg;
      return CLI_OPERAND;
    }
    if (strcmp(arg, "--") == 0) {
      p->operands_only = true;
      continue;
    }
    if (arg[1] == '-') return next_long(p, arg + 2, value);
    p->cluster = arg + 1;
    return next_short(p, value);
  }
  return CLI_END;
}

/* ====================================================================== */
/* Generated help                                                         */
/* ====================================================================== */

/* Writes "-o, --output=FILE" (or only measures it when f is NULL). */
static int option_label(FILE *f, const cli_option *o) {
  char shortpart[8] = "    ", buf[128];
  if (o->short_name) snprintf(shortpart, sizeof shortpart, "-%c, ", o->short_name);
  int n = snprintf(buf, sizeof buf, "%s--%s%s%s", shortpart, o->long_name, o->arg ? "=" : "",
                   o->arg ? o->arg : "");
  if (f) fputs(buf, f);
  return n;
}

void cli_help(FILE *f, const cli_command *cmd) {
  fprintf(f, "Usage: evrec %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->description);
  int width = 0;
  for (const cli_option *o = cmd->options; o->id; o++) {
    int n = option_label(NULL, o);
    if (n > width) width = n;
  }
  fputs("\nOptions:\n", f);
  for (const cli_option *o = cmd->options; o->id; o++) {
    fputs("  ", f);
    int n = option_label(f, o);
    fprintf(f, "%*s  %s\n", width - n, "", o->help);
  }
  fputs("\nExit status: 0 success, 1 invalid input, 2 usage or I/O error.\n", f);
}
