/*
 * error.c -- status names, evrec_error filling, library version.
 */
#include <string.h>

#include "fieldpath.h"
#include "internal.h"

const char *evrec_version(void) { return EVREC_VERSION_STRING; }

unsigned evrec_version_number(void) { return EVREC_VERSION_NUMBER; }

const char *evrec_status_str(int status) {
  switch (status) {
  case EVREC_OK: return "ok";
  case EVREC_DONE: return "end of input";
  case EVREC_STOPPED: return "stopped by callback";
  case EVREC_E_SYNTAX: return "syntax error";
  case EVREC_E_SCHEMA: return "schema error";
  case EVREC_E_RANGE: return "value out of range";
  case EVREC_E_UTF8: return "invalid UTF-8";
  case EVREC_E_LIMIT: return "limit exceeded";
  case EVREC_E_NOMEM: return "out of memory";
  case EVREC_E_IO: return "I/O error";
  case EVREC_E_TRUNCATED: return "truncated input";
  case EVREC_E_INVALID_ARG: return "invalid argument";
  case EVREC_E_UNSUPPORTED: return "unsupported";
  case EVREC_E_FORMAT: return "format error";
  case EVREC_E_CORRUPT: return "damaged data";
  case EVREC_E_NOT_FOUND: return "not found";
  case EVREC_E_CONFLICT: return "conflict";
  default: return "unknown status";
  }
}

void evrec_error_clear(evrec_error *err) {
  if (!err) return;
  err->code = 0;
  err->message[0] = '\0';
  err->offset = EVREC_UNKNOWN;
  err->line = 0;
  err->column = 0;
  err->record = EVREC_UNKNOWN;
  err->path[0] = '\0';
}

/* Every message is valid UTF-8 without control characters, whatever the
 * format put in it (evrec__text_vformat). */
int evrec__verr(evrec_error *err, int code, const char *fmt, va_list ap) {
  if (!err) return code;
  evrec_error_clear(err);
  err->code = code;
  evrec__text_vformat(err->message, sizeof err->message, fmt, ap);
  return code;
}

int evrec__err(evrec_error *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  evrec__verr(err, code, fmt, ap);
  va_end(ap);
  return code;
}
