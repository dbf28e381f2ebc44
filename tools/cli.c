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
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* A library message as the CLI shows it: a limit's closing
 * "(max_string_size)" (the reader option that raises it) becomes the
 * command line option, "(--max-string-size)". */
void cli_message_text(char *out, size_t size, const evrec_error *e) {
  const char *open = strrchr(e->message, '(');
  size_t n = open ? strlen(open) : 0, k;
  if (e->code != EVREC_E_LIMIT || n < 6 || strncmp(open, "(max_", 5) != 0 || open[n - 1] != ')' ||
      strspn(open + 1, "abcdefghijklmnopqrstuvwxyz_") != n - 2) {
    snprintf(out, size, "%s", e->message);
    return;
  }
  snprintf(out, size, "%.*s(--", (int)(open - e->message), e->message);
  k = strlen(out);
  for (const char *p = open + 1; *p != ')' && k + 2 < size; p++) out[k++] = *p == '_' ? '-' : *p;
  out[k++] = ')';
  out[k] = '\0';
}

void cli_print_message(FILE *f, const evrec_error *e) {
  char text[EVREC_ERROR_MESSAGE_MAX + 16];
  cli_message_text(text, sizeof text, e);
  fputs(text, f);
}

void cli_print_excerpt(FILE *f, const char *s, size_t max) {
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p & 0xC0) != 0x80 && n++ == max) {
      fputs("...", f);
      return;
    }
    if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\x%02x", *p);
    else fputc(*p, f);
  }
}

void cli_print_where(FILE *f, const char *file, const evrec_error *e) {
  /* Positions come from the error's fields only: library messages never
   * carry their own (evrec.h, evrec_error). */
  bool offset = !e->line && e->offset != EVREC_UNKNOWN;
  fputs(file, f);
  if (e->line) fprintf(f, ":%lu:%lu", (unsigned long)e->line, (unsigned long)e->column);
  if (e->record != EVREC_UNKNOWN || offset) fputs(": ", f);
  if (e->record != EVREC_UNKNOWN) fprintf(f, "record %llu", (unsigned long long)e->record + 1);
  if (offset)
    fprintf(f, "%sat byte %llu", e->record != EVREC_UNKNOWN ? " " : "",
            (unsigned long long)e->offset);
}

void cli_report(const char *file, const evrec_error *e) {
  if (e->code == EVREC_E_IO || e->code == EVREC_E_NOMEM) {
    cli_error("%s", e->message); /* I/O messages name their file */
    return;
  }
  fputs("evrec: ", stderr);
  cli_print_where(stderr, file, e);
  fputs(": ", stderr);
  cli_print_message(stderr, e);
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

int cli_io_option(const cli_command *cmd, cli_io *io, int id, const char *value) {
  switch (id) {
  case 'o':
    io->output = value;
    io->output_given = true;
    return 0;
  case 'f':
    io->from = cli_parse_format(cmd, "-f", value);
    return io->from ? 0 : CLI_EXIT_USAGE;
  case 't':
    io->to = cli_parse_format(cmd, "-t", value);
    return io->to ? 0 : CLI_EXIT_USAGE;
  default: return 1;
  }
}

void cli_io_output_format(cli_io *io, evrec_format fallback) {
  if (!io->to && strcmp(io->output, "-") != 0) io->to = evrec_format_from_path(io->output);
  if (!io->to) io->to = fallback;
}

int cli_io_check_terminal(const cli_io *io) {
  bool binary = io->to == EVREC_FORMAT_PB || io->to == EVREC_FORMAT_PBD ||
                io->to == EVREC_FORMAT_EVR;
  if (binary && strcmp(io->output, "-") == 0 && !io->output_given && isatty(STDOUT_FILENO)) {
    cli_error("refusing to write binary %s to a terminal (use -o FILE, or -o - to force)",
              evrec_format_name(io->to));
    return CLI_EXIT_USAGE;
  }
  return 0;
}

/* ferror() first, as jq does: a write that failed earlier (the error
 * flag is sticky) may have been followed by a successful flush, after
 * which fclose() alone would report success. */
int cli_close_stdout(int status) {
  int failed = ferror(stdout);
  errno = 0;
  if (fclose(stdout) != 0) failed = 1;
  if (failed && status == CLI_EXIT_OK) {
    cli_error("error writing <stdout>%s%s", errno ? ": " : "", errno ? strerror(errno) : "");
    return CLI_EXIT_USAGE;
  }
  return status;
}

int cli_open_failed(const char *file, const evrec_error *e) {
  cli_report(file, e);
  /* A damaged or cut input is invalid data (1); an input that cannot be
   * used at all -- missing, unreadable, not of the format asked for, not a
   * container -- is the same failure for every command (2). */
  return e->code == EVREC_E_CORRUPT || e->code == EVREC_E_TRUNCATED || e->code == EVREC_E_LIMIT
             ? CLI_EXIT_INVALID
             : CLI_EXIT_USAGE;
}

int cli_stdin_check(const char *path, evrec_format format) {
  if (strcmp(path, "-") != 0 || !isatty(STDIN_FILENO)) return CLI_EXIT_OK;
  if (format == EVREC_FORMAT_PB || format == EVREC_FORMAT_PBD || format == EVREC_FORMAT_EVR) {
    cli_error("refusing to read binary %s from a terminal (give a file, or redirect stdin)",
              evrec_format_name(format));
    return CLI_EXIT_USAGE;
  }
  cli_error("reading records from standard input (Ctrl-D to end)");
  return CLI_EXIT_OK;
}

/* ====================================================================== */
/* Values and output helpers                                              */
/* ====================================================================== */

int cli_parse_uint(const cli_command *cmd, const char *opt, const char *text, uint64_t max,
                   uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || *end || errno || v > max)
    return cli_usage_error(cmd, "%s: '%s' is not a number from 0 to %llu", opt, text,
                           (unsigned long long)max);
  *out = v;
  return 0;
}

int cli_parse_size(const cli_command *cmd, const char *opt, const char *text, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  unsigned shift = 0;
  if (*end == 'k' || *end == 'K') shift = 10, end++;
  else if (*end == 'm' || *end == 'M') shift = 20, end++;
  else if (*end == 'g' || *end == 'G') shift = 30, end++;
  if (text[0] < '0' || text[0] > '9' || *end || errno || v == 0 || v > (UINT64_MAX >> 34))
    return cli_usage_error(cmd, "%s: '%s' is not a size (a positive number, optionally "
                           "with k, M or G)", opt, text);
  *out = (uint64_t)v << shift;
  return 0;
}

void cli_json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", f);
    else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

/* Creates "<path>.tmp.XXXXXX" with O_EXCL and mode 0666 (the umask applies,
 * as for a plain create). @return the descriptor or -1. */
static int create_tmp(const char *path, char *tmp, size_t size) {
  for (unsigned i = 0; i < 64; i++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned x = (unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec ^ i * 40503u;
    snprintf(tmp, size, "%s.tmp.%06x", path, x & 0xffffffu);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

static bool write_all(int fd, const unsigned char *p, size_t len) {
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    p += n;
    len -= (size_t)n;
  }
  return true;
}

int cli_write_file(const char *path, const void *data, size_t len) {
  if (strcmp(path, "-") == 0) {
    if (fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0) return CLI_EXIT_OK;
    cli_error("error writing <stdout>: %s", strerror(errno));
    return CLI_EXIT_USAGE;
  }
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* /dev/null, a FIFO: in place */
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = false;
    if (ok) return CLI_EXIT_OK;
    cli_error("error writing %s: %s", path, strerror(errno));
    return CLI_EXIT_USAGE;
  }
  size_t n = strlen(path) + 16;
  char *tmp = malloc(n);
  int fd = tmp ? create_tmp(path, tmp, n) : -1;
  bool ok = fd >= 0 && write_all(fd, data, len);
  if (fd >= 0 && close(fd) != 0) ok = false;
  if (ok && rename(tmp, path) != 0) ok = false;
  if (!ok) {
    cli_error("error writing %s: %s", path, strerror(errno));
    if (fd >= 0) unlink(tmp);
  }
  free(tmp);
  return ok ? CLI_EXIT_OK : CLI_EXIT_USAGE;
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
  if (o->arg && o->arg[0] == '[') { /* optional: only as --name=value */
    *value = eq ? eq + 1 : NULL;
    return o->id;
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
  bool optional = o->arg && o->arg[0] == '[';
  int n = snprintf(buf, sizeof buf, "%s--%s%s%s", shortpart, o->long_name,
                   o->arg && !optional ? "=" : "", o->arg ? o->arg : "");
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
  /* Commands whose exit statuses differ (diff: 1 = different) say so in
   * their description; a second, generic line would contradict it. */
  if (!strstr(cmd->description, "Exit status"))
    fputs("\nExit status: 0 success, 1 invalid input, 2 usage or I/O error.\n", f);
}
