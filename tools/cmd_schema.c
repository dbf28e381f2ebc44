/*
 * cmd_schema.c -- `evrec schema`: the built-in schema, or a container's header.
 *
 *   evrec schema                          the evrec.v1 .proto text
 *   evrec schema --descriptor-set -o F    its FileDescriptorSet
 *   evrec schema FILE.evr                 FILE's header, summarised
 *   evrec schema FILE.evr --descriptor-set -o F   FILE's embedded set
 *
 * The summary names the files of the embedded FileDescriptorSet with their
 * packages and message/enum counts. protobuf-c has no run-time descriptor of
 * descriptor.proto, and these few facts need no more than a walk over the
 * wire format (FileDescriptorSet.file = 1; FileDescriptorProto name = 1,
 * package = 2, message_type = 4, enum_type = 5), so it is done by hand here.
 * A set that does not parse is reported as such, not trusted.
 */
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct schema_cmd {
  const cli_command *cmd;
  const char *file;   /* NULL = the built-in schema */
  const char *output; /* "-" = stdout */
  bool output_given, descriptor_set;
} schema_cmd;

/* ====================================================================== */
/* A minimal protobuf wire walker                                         */
/* ====================================================================== */

typedef struct wire {
  const unsigned char *p, *end;
} wire;

static bool wire_varint(wire *w, uint64_t *v) {
  *v = 0;
  for (unsigned shift = 0; shift < 64 && w->p < w->end; shift += 7) {
    unsigned char b = *w->p++;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

/* Next field: its number, and for length-delimited ones the bytes in *sub.
 * Other wire types are skipped. @return false at the end or on bad data
 * (*bad tells which). */
static bool wire_next(wire *w, uint32_t *field, wire *sub, bool *bad) {
  uint64_t tag, v;
  *bad = false;
  if (w->p >= w->end) return false;
  if (!wire_varint(w, &tag)) return !(*bad = true);
  *field = (uint32_t)(tag >> 3);
  sub->p = sub->end = NULL;
  switch (tag & 7) {
  case 0: if (!wire_varint(w, &v)) return !(*bad = true); return true;
  case 1: v = 8; break;
  case 5: v = 4; break;
  case 2:
    if (!wire_varint(w, &v)) return !(*bad = true);
    sub->p = w->p;
    sub->end = w->p + (v <= (uint64_t)(w->end - w->p) ? v : 0);
    break;
  default: return !(*bad = true); /* groups: not in descriptors */
  }
  if (v > (uint64_t)(w->end - w->p)) return !(*bad = true);
  w->p += v;
  return true;
}

/* Prints one FileDescriptorProto's summary line. @return false on bad data. */
static bool print_file(wire f) {
  wire sub;
  uint32_t field;
  bool bad;
  int name_len = 0, pkg_len = 0;
  const unsigned char *name = NULL, *pkg = NULL;
  unsigned messages = 0, enums = 0;
  while (wire_next(&f, &field, &sub, &bad)) {
    if (!sub.p) continue;
    if (field == 1) name = sub.p, name_len = (int)(sub.end - sub.p);
    else if (field == 2) pkg = sub.p, pkg_len = (int)(sub.end - sub.p);
    else if (field == 4) messages++;
    else if (field == 5) enums++;
  }
  if (bad) return false;
  printf("             %.*s (package %.*s): %u message%s, %u enum%s\n", name_len,
         name ? (const char *)name : "", pkg_len, pkg ? (const char *)pkg : "", messages,
         messages == 1 ? "" : "s", enums, enums == 1 ? "" : "s");
  return true;
}

static void print_descriptor_set(const void *data, size_t len) {
  wire set = {data, (const unsigned char *)data + len}, sub, count = set;
  uint32_t field;
  bool bad;
  unsigned files = 0;
  while (wire_next(&count, &field, &sub, &bad))
    if (field == 1 && sub.p) files++;
  printf("schema:      %zu bytes, FileDescriptorSet of %u files\n", len, files);
  while (!bad && wire_next(&set, &field, &sub, &bad))
    if (field == 1 && sub.p && !print_file(sub)) bad = true;
  if (bad) puts("             (the descriptor set does not parse)");
}

/* ====================================================================== */
/* The command                                                            */
/* ====================================================================== */

static void print_header(const char *file, const evrec_container_header *h) {
  printf("file:        %s\n", file);
  printf("version:     %lu\n", (unsigned long)h->format_version);
  printf("record type: %s\n", h->record_type);
  printf("creator:     %s\n", h->creator);
  printf("created:     %s\n", h->created_at);
  for (size_t i = 0; i < h->n_meta; i++)
    printf("%s %s=%s\n", i ? "            " : "metadata:   ", h->meta_keys[i], h->meta_values[i]);
  if (h->schema_len) print_descriptor_set(h->schema, h->schema_len);
  else puts("schema:      none");
}

/* Writes the descriptor set, refusing a terminal unless -o - was given. */
static int write_set(const schema_cmd *c, const void *data, size_t len) {
  if (strcmp(c->output, "-") == 0 && !c->output_given && isatty(STDOUT_FILENO)) {
    cli_error("refusing to write a binary descriptor set to a terminal (use -o FILE, "
              "or -o - to force)");
    return CLI_EXIT_USAGE;
  }
  return cli_write_file(c->output, data, len);
}

/* The header of c->file (header or descriptor set). */
static int schema_of_file(const schema_cmd *c) {
  evrec_reader_options ro = EVREC_READER_OPTIONS_INIT;
  evrec_reader *r;
  evrec_error err;
  const char *shown = cli_display_name(c->file, false);
  const ProtobufCMessage *msg;
  ro.name = strcmp(c->file, "-") == 0 ? shown : NULL;
  ro.format = EVREC_FORMAT_EVR; /* whatever the name: only a container has a header */
  int status = cli_stdin_check(c->file, ro.format);
  if (status) return status;
  if (evrec_reader_open_file(&r, c->file, &ro, &err) != EVREC_OK)
    return cli_open_failed(shown, &err);
  const evrec_container_header *h = evrec_reader_header(r);
  int rc = EVREC_OK;
  if (!h) { /* a stream: the header is parsed on the first read */
    rc = evrec_reader_next(r, &msg, &err);
    h = evrec_reader_header(r);
  }
  if (!h && rc < 0) { /* one message: what stopped the reader before a header */
    cli_report(shown, &err);
    status = CLI_EXIT_INVALID;
  } else if (!h) {
    cli_error("%s: the container has no header", shown);
    status = CLI_EXIT_INVALID;
  } else if (c->descriptor_set) {
    status = write_set(c, h->schema, h->schema_len);
  } else {
    print_header(shown, h);
  }
  evrec_reader_close(r);
  return status;
}

static int schema_builtin(const schema_cmd *c) {
  size_t len;
  if (c->descriptor_set) {
    const void *set = evrec_schema_descriptor_set(&len);
    return write_set(c, set, len);
  }
  const char *proto = evrec_schema_proto(&len);
  return cli_write_file(c->output, proto, len);
}

int cli_cmd_schema(const cli_command *cmd, int argc, char **argv) {
  schema_cmd c = {cmd, NULL, "-", false, false};
  cli_parser p;
  const char *value;
  int id;
  cli_parser_init(&p, cmd, argc, argv);
  while ((id = cli_next(&p, &value)) != CLI_END) {
    if (id == CLI_ERROR) return CLI_EXIT_USAGE;
    if (id == CLI_OPT_HELP) return cli_help(stdout, cmd), CLI_EXIT_OK;
    if (id == 'D') c.descriptor_set = true;
    if (id == 'o') c.output = value, c.output_given = true;
    if (id != CLI_OPERAND) continue;
    if (c.file) return cli_usage_error(cmd, "one FILE at most (got '%s' and '%s')", c.file, value);
    c.file = value;
  }
  if (c.output_given && !c.descriptor_set && c.file)
    return cli_usage_error(cmd, "-o writes the descriptor set: add --descriptor-set");
  return c.file ? schema_of_file(&c) : schema_builtin(&c);
}
