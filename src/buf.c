/*
 * buf.c -- growable byte buffer for encoders and writers.
 *
 * Growth doubles capacity so appends are amortised O(1). Failure is sticky
 * (`oom`) so a long sequence of appends can be checked once at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void evrec__buf_init(evrec__buf *b) { memset(b, 0, sizeof *b); }

void evrec__buf_free(evrec__buf *b) {
  free(b->data);
  evrec__buf_init(b);
}

static bool buf_grow(evrec__buf *b, size_t need) {
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p) {
    b->oom = true;
    return false;
  }
  b->data = p;
  b->cap = cap;
  return true;
}

bool evrec__buf_reserve(evrec__buf *b, size_t n) {
  if (b->oom) return false;
  if (n > SIZE_MAX - b->len - 1) {
    b->oom = true;
    return false;
  }
  size_t need = b->len + n + 1; /* +1 keeps room for a NUL */
  return need <= b->cap || buf_grow(b, need);
}

bool evrec__buf_append(evrec__buf *b, const void *p, size_t n) {
  if (!evrec__buf_reserve(b, n)) return false;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  return true;
}

bool evrec__buf_putc(evrec__buf *b, char c) {
  if (!evrec__buf_reserve(b, 1)) return false;
  b->data[b->len++] = c;
  return true;
}

bool evrec__buf_puts(evrec__buf *b, const char *s) {
  return evrec__buf_append(b, s, strlen(s));
}

char *evrec__buf_cstr(evrec__buf *b) {
  if (!evrec__buf_reserve(b, 0)) return NULL;
  b->data[b->len] = '\0';
  return b->data;
}
