/*
 * tojson.c -- a Python value as JSON text, for Writer.write(dict).
 *
 * A dict to write goes through the library's JSON decoder, which checks it
 * against the schema exactly as it checks JSON files (both field names,
 * 64-bit integers as numbers or strings, enum names, RFC 3339 timestamps,
 * unknown fields refused ...) and names the offending field in its error.
 * So this file only has to print any JSON-like Python value faithfully:
 *
 *   dict (str keys)  object        str          string (UTF-8; lone
 *   list, tuple      array                      surrogates refused)
 *   int              exact digits  bool         true / false
 *   float            repr digits;  None         null
 *                    NaN, Infinity, -Infinity as the strings proto3 JSON uses
 *   bytes, bytearray, memoryview   base64 string
 *
 * Anything else is a TypeError naming where it is ("events[2].goldstein").
 */
#include "evrecpy.h"

#include <math.h>
#include <string.h>

#define MAX_NEST 1000 /* JSON containers; the decoder allows far fewer */

int evpy_buf_reserve(evpy_buf *b, size_t n) {
  if (b->cap - b->len >= n) return 0;
  size_t cap = b->cap ? b->cap : 1024;
  while (cap - b->len < n) {
    if (cap > PY_SSIZE_T_MAX / 2) {
      PyErr_NoMemory();
      return -1;
    }
    cap *= 2;
  }
  char *p = PyMem_Realloc(b->data, cap);
  if (!p) {
    PyErr_NoMemory();
    return -1;
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

void evpy_buf_free(evpy_buf *b) {
  PyMem_Free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

static int put(evpy_buf *b, const char *s, size_t n) {
  if (evpy_buf_reserve(b, n)) return -1;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  return 0;
}

#define PUT_LIT(b, s) put((b), (s), sizeof(s) - 1)

/* Where the value being printed is, for TypeError messages. */
typedef struct jpath {
  const struct jpath *up;
  PyObject *key;    /* dict key (str), or NULL */
  Py_ssize_t index; /* list index when key is NULL */
} jpath;

static int type_error(const jpath *p, PyObject *v) {
  PyObject *text = PyUnicode_FromString("");
  for (; p && text; p = p->up) {
    PyObject *step = p->key ? PyUnicode_FromFormat(".%U", p->key)
                            : PyUnicode_FromFormat("[%zd]", p->index);
    PyObject *t = step ? PyUnicode_Concat(step, text) : NULL;
    Py_XDECREF(step);
    Py_SETREF(text, t);
  }
  if (!text) return -1;
  Py_ssize_t skip = PyUnicode_GET_LENGTH(text) && PyUnicode_READ_CHAR(text, 0) == '.';
  PyObject *where = PyUnicode_Substring(text, skip, PyUnicode_GET_LENGTH(text));
  Py_DECREF(text);
  if (!where) return -1;
  PyErr_Format(PyExc_TypeError, "cannot write a value of type %.100s as a record field%s%U",
               Py_TYPE(v)->tp_name, PyUnicode_GET_LENGTH(where) ? " at " : "", where);
  Py_DECREF(where);
  return -1;
}

/* A JSON string: '"', '\\' and control characters escaped, the rest raw. */
static int put_string(evpy_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (evpy_buf_reserve(b, n + 2)) return -1;
  b->data[b->len++] = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\') {
      b->data[b->len++] = (char)c;
      continue;
    }
    if (evpy_buf_reserve(b, 6 + (n - i))) return -1;
    char *p = b->data + b->len;
    p[0] = '\\';
    if (c == '"' || c == '\\') {
      p[1] = (char)c;
      b->len += 2;
    } else {
      memcpy(p + 1, "u00", 3);
      p[4] = hex[c >> 4];
      p[5] = hex[c & 15];
      b->len += 6;
    }
  }
  return put(b, "\"", 1);
}

static int put_str(evpy_buf *b, PyObject *v) {
  Py_ssize_t n;
  const char *s = PyUnicode_AsUTF8AndSize(v, &n);
  return s ? put_string(b, s, (size_t)n) : -1;
}

static int put_base64(evpy_buf *b, PyObject *v) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  Py_buffer view;
  if (PyObject_GetBuffer(v, &view, PyBUF_SIMPLE)) return -1;
  const uint8_t *d = view.buf;
  size_t n = (size_t)view.len, i = 0;
  int rc = evpy_buf_reserve(b, (n + 2) / 3 * 4 + 2);
  if (rc == 0) {
    char *p = b->data + b->len;
    *p++ = '"';
    for (; n - i >= 3; i += 3, p += 4) {
      uint32_t x = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
      p[0] = tab[x >> 18], p[1] = tab[(x >> 12) & 63], p[2] = tab[(x >> 6) & 63], p[3] = tab[x & 63];
    }
    if (n - i) {
      uint32_t x = (uint32_t)d[i] << 16 | (n - i == 2 ? (uint32_t)d[i + 1] << 8 : 0);
      p[0] = tab[x >> 18], p[1] = tab[(x >> 12) & 63];
      p[2] = n - i == 2 ? tab[(x >> 6) & 63] : '=';
      p[3] = '=';
      p += 4;
    }
    *p++ = '"';
    b->len = (size_t)(p - b->data);
  }
  PyBuffer_Release(&view);
  return rc;
}

static int put_float(evpy_buf *b, double d) {
  if (isnan(d)) return PUT_LIT(b, "\"NaN\"");
  if (isinf(d)) return d > 0 ? PUT_LIT(b, "\"Infinity\"") : PUT_LIT(b, "\"-Infinity\"");
  char *s = PyOS_double_to_string(d, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
  if (!s) return -1;
  int rc = put(b, s, strlen(s));
  PyMem_Free(s);
  return rc;
}

static int put_int(evpy_buf *b, PyObject *v) {
  int overflow = 0;
  long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
  if (x == -1 && PyErr_Occurred()) return -1;
  if (!overflow) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", x);
    return put(b, tmp, (size_t)n);
  }
  /* long's own repr, not str(v): an int subclass's __str__ could run any
   * code, even change the dict being printed. The decoder says which
   * values are out of range. */
  PyObject *s = PyLong_Type.tp_repr(v);
  if (!s) return -1;
  Py_ssize_t n;
  const char *t = PyUnicode_AsUTF8AndSize(s, &n);
  int rc = t ? put(b, t, (size_t)n) : -1;
  Py_DECREF(s);
  return rc;
}

static int put_value(evpy_buf *b, PyObject *v, const jpath *path, unsigned depth);

static int put_dict(evpy_buf *b, PyObject *v, const jpath *path, unsigned depth) {
  PyObject *k, *x;
  Py_ssize_t pos = 0, i = 0;
  if (put(b, "{", 1)) return -1;
  while (PyDict_Next(v, &pos, &k, &x)) {
    jpath here = {path, k, 0};
    if (!PyUnicode_Check(k)) {
      PyErr_Format(PyExc_TypeError, "record dict keys must be str, not %.100s", Py_TYPE(k)->tp_name);
      return -1;
    }
    if ((i++ && put(b, ",", 1)) || put_str(b, k) || put(b, ":", 1) ||
        put_value(b, x, &here, depth + 1))
      return -1;
  }
  return put(b, "}", 1);
}

static int put_seq(evpy_buf *b, PyObject *v, const jpath *path, unsigned depth) {
  PyObject *fast = PySequence_Fast(v, "not a sequence");
  if (!fast) return -1;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
  int rc = put(b, "[", 1);
  for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
    jpath here = {path, NULL, i};
    if (i) rc = put(b, ",", 1);
    if (rc == 0) rc = put_value(b, PySequence_Fast_GET_ITEM(fast, i), &here, depth + 1);
  }
  Py_DECREF(fast);
  return rc ? rc : put(b, "]", 1);
}

static int put_value(evpy_buf *b, PyObject *v, const jpath *path, unsigned depth) {
  if (depth > MAX_NEST) {
    evpy_raise_msg(EVREC_E_LIMIT, "value nested deeper than %d levels", MAX_NEST);
    return -1;
  }
  if (PyUnicode_Check(v)) return put_str(b, v);
  if (v == Py_None) return PUT_LIT(b, "null");
  if (v == Py_True) return PUT_LIT(b, "true");
  if (v == Py_False) return PUT_LIT(b, "false");
  if (PyLong_Check(v)) return put_int(b, v);
  if (PyFloat_Check(v)) return put_float(b, PyFloat_AS_DOUBLE(v));
  if (PyDict_Check(v)) return put_dict(b, v, path, depth);
  if (PyList_Check(v) || PyTuple_Check(v)) return put_seq(b, v, path, depth);
  if (PyBytes_Check(v) || PyByteArray_Check(v) || PyMemoryView_Check(v)) return put_base64(b, v);
  return type_error(path, v);
}

int evpy_to_json(evpy_buf *buf, PyObject *value) {
  if (!PyDict_Check(value)) {
    PyErr_Format(PyExc_TypeError, "a record is a dict, a JSON str or pb bytes, not %.100s",
                 Py_TYPE(value)->tp_name);
    return -1;
  }
  size_t start = buf->len;
  int rc = put_value(buf, value, NULL, 0);
  if (rc) buf->len = start;
  return rc;
}
