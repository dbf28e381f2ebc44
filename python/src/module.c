/*
 * module.c -- the evrec._evrec extension: exceptions, evrec.open() and its
 * Reader, evrec.blocks(), module init. (evrec/__init__.py re-exports all
 * of it and adds read_table and evrec.dask on top.)
 *
 * Readers. evrec.open() opens a libevrec reader on a path (random access,
 * block ranges, read-ahead on a second core) or on a binary file object,
 * which is read through a stdio stream of our own (fopencookie) whose read
 * function calls the object's readinto() with the GIL taken back. Every
 * record is fetched with the GIL released: the library inflates and
 * decodes (and, for as_="json"/"bytes", encodes) while other Python
 * threads run; only the dict building holds the GIL. A handle must not be
 * used by two threads at once (the library's rule), so a Reader refuses a
 * second thread with RuntimeError instead of crashing.
 *
 * Errors become evrec.Error subclasses carrying code, message, file, line,
 * column, record (1-based, as the CLI prints it), offset and path; str()
 * of one reads like the CLI's diagnostics.
 */
#include "evrecpy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "structmember.h"

/* ====================================================================== */
/* Exceptions                                                             */
/* ====================================================================== */

#define N_CODES 14 /* EVREC_E_SYNTAX (-1) .. EVREC_E_CONFLICT (-14) */

static PyObject *Error;
static PyObject *code_exc[N_CODES + 1]; /* index -code; 0 unused */

static const struct {
  const char *name;
  PyObject **base; /* a builtin the class also derives from, or NULL */
  const char *doc;
} exc_spec[N_CODES + 1] = {
    {NULL, NULL, NULL},
    {"ParseError", &PyExc_ValueError, "Malformed input: bad JSON, bad protobuf wire data."},
    {"SchemaError", &PyExc_ValueError, "Well-formed input that does not fit the record type."},
    {"RangeError", &PyExc_ValueError, "A value out of range for its field type."},
    {"UTF8Error", &PyExc_ValueError, "Invalid UTF-8 in the input or in a string field."},
    {"LimitError", NULL, "A configured limit was exceeded (nesting, record, string, block size)."},
    {"NoMemoryError", &PyExc_MemoryError, "The library ran out of memory."},
    {"FileError", &PyExc_OSError, "Reading, writing, opening or renaming a file failed."},
    {"TruncatedError", &PyExc_ValueError, "The input ends inside a record."},
    {"ArgumentError", &PyExc_ValueError, "Invalid argument or option value."},
    {"UnsupportedError", NULL, "A format or feature that is not supported."},
    {"FormatError", &PyExc_ValueError, "The input format could not be detected, or is wrong."},
    {"CorruptError", &PyExc_ValueError, "Damaged data: bad gzip member, CRC or index."},
    {"NotFoundError", &PyExc_LookupError, "No record with that id or ordinal."},
    {"ConflictError", &PyExc_ValueError,
     "The data contradicts the operation: a record id twice in a diff's input, a "
     "patch whose old value is not the record's."},
};

static int make_exceptions(PyObject *m) {
  Error = PyErr_NewExceptionWithDoc(
      "evrec.Error",
      "Base class of every error evrec raises from the library. Attributes: code "
      "(the evrec_status, < 0), status (its name), message (no position), file, "
      "line and column (JSON input; 0 when not JSON), record (1-based number of the "
      "record, or None), offset (byte offset, or None), path (field path such as "
      "'events[1].participants[0].actorId', or '').",
      NULL, NULL);
  if (!Error || PyModule_AddObjectRef(m, "Error", Error)) return -1;
  for (int i = 1; i <= N_CODES; i++) {
    char full[64];
    snprintf(full, sizeof full, "evrec.%s", exc_spec[i].name);
    PyObject *bases = exc_spec[i].base ? PyTuple_Pack(2, Error, *exc_spec[i].base)
                                       : PyTuple_Pack(1, Error);
    if (!bases) return -1;
    code_exc[i] = PyErr_NewExceptionWithDoc(full, exc_spec[i].doc, bases, NULL);
    Py_DECREF(bases);
    if (!code_exc[i] || PyModule_AddObjectRef(m, exc_spec[i].name, code_exc[i])) return -1;
  }
  return 0;
}

static PyObject *class_of(int code) {
  return code < 0 && code >= -N_CODES ? code_exc[-code] : Error;
}

/* The text the CLI prints after "evrec: " (tools/cli.c, cli_report). */
static PyObject *error_text(const evrec_error *e, const char *file) {
  if (e->code == EVREC_E_IO || e->code == EVREC_E_NOMEM || !file)
    return e->path[0] ? PyUnicode_FromFormat("%s (at %s)", e->message, e->path)
                      : PyUnicode_FromString(e->message);
  char head[512], at[48];
  size_t n = (size_t)snprintf(head, sizeof head, "%s", file);
  if (e->line && n < sizeof head)
    n += (size_t)snprintf(head + n, sizeof head - n, ":%lu:%lu", (unsigned long)e->line,
                          (unsigned long)e->column);
  snprintf(at, sizeof at, "at byte %llu", (unsigned long long)e->offset);
  int offset = !e->line && e->offset != EVREC_UNKNOWN; /* never in the message itself */
  if (n < sizeof head) n += (size_t)snprintf(head + n, sizeof head - n, ": ");
  if (e->record != EVREC_UNKNOWN && n < sizeof head)
    n += (size_t)snprintf(head + n, sizeof head - n, "record %llu",
                          (unsigned long long)e->record + 1);
  if (offset && n < sizeof head)
    n += (size_t)snprintf(head + n, sizeof head - n, "%s%s", e->record != EVREC_UNKNOWN ? " " : "", at);
  if ((e->record != EVREC_UNKNOWN || offset) && n < sizeof head)
    snprintf(head + n, sizeof head - n, ": ");
  return e->path[0] ? PyUnicode_FromFormat("%s%s (at %s)", head, e->message, e->path)
                    : PyUnicode_FromFormat("%s%s", head, e->message);
}

static int set_attr(PyObject *o, const char *name, PyObject *v) {
  if (!v) return -1;
  int rc = PyObject_SetAttrString(o, name, v);
  Py_DECREF(v);
  return rc;
}

static PyObject *u64_or_none(uint64_t v, uint64_t add) {
  if (v == EVREC_UNKNOWN) Py_RETURN_NONE;
  return PyLong_FromUnsignedLongLong(v + add);
}

PyObject *evpy_raise(const evrec_error *e, const char *file) {
  PyObject *cls = class_of(e->code), *text = error_text(e, file);
  PyObject *exc = text ? PyObject_CallOneArg(cls, text) : NULL;
  Py_XDECREF(text);
  if (!exc) return NULL;
  if (set_attr(exc, "code", PyLong_FromLong(e->code)) ||
      set_attr(exc, "status", PyUnicode_FromString(evrec_status_str(e->code))) ||
      set_attr(exc, "message", PyUnicode_DecodeUTF8(e->message, (Py_ssize_t)strlen(e->message), "replace")) ||
      set_attr(exc, "file", file ? PyUnicode_DecodeFSDefault(file) : Py_NewRef(Py_None)) ||
      set_attr(exc, "line", PyLong_FromUnsignedLong(e->line)) ||
      set_attr(exc, "column", PyLong_FromUnsignedLong(e->column)) ||
      set_attr(exc, "record", u64_or_none(e->record, 1)) ||
      set_attr(exc, "offset", u64_or_none(e->offset, 0)) ||
      set_attr(exc, "path", PyUnicode_DecodeUTF8(e->path, (Py_ssize_t)strlen(e->path), "replace"))) {
    Py_DECREF(exc);
    return NULL;
  }
  PyErr_SetObject(cls, exc);
  Py_DECREF(exc);
  return NULL;
}

PyObject *evpy_raise_msg(int code, const char *fmt, ...) {
  evrec_error e;
  evrec_error_clear(&e);
  e.code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e.message, sizeof e.message, fmt, ap);
  va_end(ap);
  return evpy_raise(&e, NULL);
}

/* ====================================================================== */
/* Arguments                                                              */
/* ====================================================================== */

int evpy_has_attr(PyObject *obj, const char *name) {
  PyObject *v = PyObject_GetAttrString(obj, name);
  if (v) {
    Py_DECREF(v);
    return 1;
  }
  if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return -1;
  PyErr_Clear();
  return 0;
}

int evpy_pop_kw(PyObject *kw, const char *key, PyObject **out) {
  *out = NULL;
  if (!kw) return 0;
  PyObject *k = PyUnicode_FromString(key);
  if (!k) return -1;
  PyObject *v = PyDict_GetItemWithError(kw, k); /* borrowed */
  int rc = 0;
  if (v) {
    *out = Py_NewRef(v);
    if (PyDict_DelItem(kw, k)) {
      Py_CLEAR(*out);
      rc = -1;
    }
  } else if (PyErr_Occurred()) {
    rc = -1;
  }
  Py_DECREF(k);
  return rc;
}

PyObject *evpy_fspath(PyObject *obj) {
  if (!PyUnicode_Check(obj) && !PyBytes_Check(obj) && evpy_has_attr(obj, "__fspath__") != 1)
    return NULL;
  PyObject *b = NULL;
  if (!PyUnicode_FSConverter(obj, &b)) return NULL;
  return b;
}

#define CAPSULE_NAME "evrec.MessageDescriptor"

const ProtobufCMessageDescriptor *evpy_find_type(PyObject *name) {
  if (!name || name == Py_None) return evrec_record_descriptor();
  if (PyCapsule_CheckExact(name)) {
    const ProtobufCMessageDescriptor *d = PyCapsule_GetPointer(name, CAPSULE_NAME);
    if (d && d->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC) return d;
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "not a message descriptor capsule");
    return NULL;
  }
  Py_ssize_t n;
  const char *s = PyUnicode_Check(name) ? PyUnicode_AsUTF8AndSize(name, &n) : NULL;
  if (!s) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "type must be a message type name (str)");
    return NULL;
  }
  const ProtobufCMessageDescriptor *d = evrec__find_type(s, (size_t)n, NULL, NULL, 0);
  if (!d) PyErr_Format(PyExc_ValueError, "unknown message type %R (the types built in are "
                       "evrec.v1.* and google.protobuf.*)", name);
  return d;
}

static int parse_format(PyObject *o, evrec_format *out) {
  *out = EVREC_FORMAT_AUTO;
  if (!o || o == Py_None) return 0;
  const char *s = PyUnicode_Check(o) ? PyUnicode_AsUTF8(o) : NULL;
  if (s) *out = evrec_format_from_name(s);
  if (*out == EVREC_FORMAT_AUTO) {
    PyErr_Format(PyExc_ValueError, "unknown format %R (json, ndjson, jsonl, pb, pbd, evr)", o);
    return -1;
  }
  return 0;
}

static int nonneg(Py_ssize_t v, const char *name, size_t *out) {
  if (v < 0) {
    PyErr_Format(PyExc_ValueError, "%s must be >= 0", name);
    return -1;
  }
  *out = (size_t)v;
  return 0;
}

/* The reader options every reading call takes as keywords. */
typedef struct ropts {
  evrec_reader_options o;
  PyObject *type;
} ropts;

static int ropts_finish(ropts *r, PyObject *format, int ignore_unknown, int skip_damage,
                        Py_ssize_t lim[6]) {
  evrec_reader_options d = EVREC_READER_OPTIONS_INIT;
  r->o = d;
  if (parse_format(format, &r->o.format)) return -1;
  if (!(r->o.type = evpy_find_type(r->type))) return -1;
  if (ignore_unknown) r->o.json_flags |= EVREC_JSON_IGNORE_UNKNOWN;
  if (skip_damage) r->o.flags |= EVREC_READ_SKIP_DAMAGE;
  size_t md;
  if (nonneg(lim[0], "max_depth", &md) || md > 100000 ||
      nonneg(lim[1], "max_record_size", &r->o.max_record_size) ||
      nonneg(lim[2], "max_string_size", &r->o.max_string_size) ||
      nonneg(lim[3], "max_block_size", &r->o.max_block_size) ||
      nonneg(lim[4], "max_block_records", &r->o.max_block_records) ||
      nonneg(lim[5], "max_index_size", &r->o.max_index_size)) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "max_depth is too large");
    return -1;
  }
  r->o.max_depth = (unsigned)md;
  return 0;
}

/* ====================================================================== */
/* Block                                                                  */
/* ====================================================================== */

static PyTypeObject BlockType;

static PyStructSequence_Field block_fields[] = {
    {"offset", "byte offset of the block's gzip member in the file"},
    {"size", "the member's size in bytes, compressed"},
    {"first", "ordinal of its first record in the file (0-based)"},
    {"records", "number of records in the block"},
    {NULL, NULL}};

static PyStructSequence_Desc block_desc = {
    "evrec.Block",
    "One data block of an .evr file, from its index: (offset, size, first, records). "
    "evrec.blocks() lists them; evrec.open(path, blocks=run) reads a contiguous run.",
    block_fields, 4};

static PyObject *block_new(const evrec_block *b) {
  PyObject *o = PyStructSequence_New(&BlockType);
  if (!o) return NULL;
  PyObject *v[4] = {PyLong_FromUnsignedLongLong(b->offset), PyLong_FromUnsignedLongLong(b->size),
                    PyLong_FromUnsignedLongLong(b->first), PyLong_FromUnsignedLong(b->records)};
  for (int i = 0; i < 4; i++) {
    if (!v[i]) {
      for (int k = 0; k < 4; k++) Py_XDECREF(v[k]);
      Py_DECREF(o);
      return NULL;
    }
  }
  for (int i = 0; i < 4; i++) PyStructSequence_SET_ITEM(o, i, v[i]);
  return o;
}

/* A Block or any 4-sequence of ints. */
static int block_from(PyObject *o, evrec_block *b) {
  PyObject *t = PySequence_Tuple(o);
  if (!t) return -1;
  unsigned long long v[4];
  int rc = PyTuple_GET_SIZE(t) == 4 ? 0 : -1;
  for (int i = 0; rc == 0 && i < 4; i++) {
    v[i] = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(t, i));
    if (v[i] == (unsigned long long)-1 && PyErr_Occurred()) rc = -1;
  }
  Py_DECREF(t);
  if (rc || v[3] > UINT32_MAX) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "a block is (offset, size, first, records)");
    return -1;
  }
  *b = (evrec_block){v[0], v[1], v[2], (uint32_t)v[3]};
  return 0;
}

/* ====================================================================== */
/* Reader                                                                 */
/* ====================================================================== */

enum { AS_DICT, AS_JSON, AS_BYTES };

typedef struct ReaderObject {
  PyObject_HEAD
  evrec_reader *r;
  FILE *fp;          /* stdio stream over a Python file object, or NULL */
  PyObject *fileobj; /* that object */
  int has_readinto;
  PyObject *exc_type, *exc_value, *exc_tb; /* what its read raised, to re-raise */
  char *name;        /* for messages */
  int as;
  long long remaining; /* records left in a block range; -1: no range */
  int busy;          /* 1: a call is in the library; 2: evrec.diff() holds it */
  evrec__buf out;    /* as_ json/bytes: the record's text or bytes, used without the GIL */
  evrec__jnames *names; /* as_ json: printed field names, kept from record to record */
} ReaderObject;

static PyTypeObject ReaderType;

/* fopencookie read: the file object's readinto(), with the GIL. */
static ssize_t cookie_read(void *cookie, char *buf, size_t size) {
  ReaderObject *self = cookie;
  PyGILState_STATE g = PyGILState_Ensure();
  ssize_t n = -1;
  PyObject *res;
  if (self->has_readinto) {
    PyObject *mv = PyMemoryView_FromMemory(buf, (Py_ssize_t)size, PyBUF_WRITE);
    res = mv ? PyObject_CallMethod(self->fileobj, "readinto", "O", mv) : NULL;
    if (mv) { /* no view of our buffer may outlive the call */
      PyObject *t, *v, *tb;
      PyErr_Fetch(&t, &v, &tb);
      PyObject *r2 = PyObject_CallMethod(mv, "release", NULL);
      if (!r2 && res) Py_CLEAR(res); /* someone kept a view: refuse the data */
      if (t) PyErr_Restore(t, v, tb);
      Py_XDECREF(r2);
      Py_DECREF(mv);
    }
    if (res && res != Py_None) n = PyLong_AsSsize_t(res);
    if (res == Py_None) PyErr_SetString(PyExc_BlockingIOError, "non-blocking file has no data");
    if (n > (ssize_t)size) PyErr_SetString(PyExc_ValueError, "readinto() returned too much");
  } else {
    res = PyObject_CallMethod(self->fileobj, "read", "n", (Py_ssize_t)size);
    if (res && !PyBytes_Check(res)) {
      PyErr_Format(PyExc_TypeError, "read() returned %.100s, not bytes: a binary file is needed",
                   Py_TYPE(res)->tp_name);
    } else if (res && (size_t)PyBytes_GET_SIZE(res) <= size) {
      n = PyBytes_GET_SIZE(res);
      memcpy(buf, PyBytes_AS_STRING(res), (size_t)n);
    }
  }
  Py_XDECREF(res);
  if (n < 0 || (size_t)n > size) {
    n = -1;
    if (!self->exc_type) PyErr_Fetch(&self->exc_type, &self->exc_value, &self->exc_tb);
    PyErr_Clear();
  }
  PyGILState_Release(g);
  if (n < 0) errno = EIO;
  return n;
}

static int reader_setup_source(ReaderObject *self, PyObject *src, const ropts *ro, evrec_error *e,
                               int *rc) {
  PyObject *path = evpy_fspath(src);
  if (path) {
    self->name = strdup(PyBytes_AS_STRING(path));
    evrec_reader_options o = ro->o;
    Py_BEGIN_ALLOW_THREADS
    *rc = evrec_reader_open_file(&self->r, PyBytes_AS_STRING(path), &o, e);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
    return self->name ? 0 : (PyErr_NoMemory(), -1);
  }
  if (PyErr_Occurred()) return -1;
  int has_read = evpy_has_attr(src, "read");
  if (has_read < 0 || (self->has_readinto = evpy_has_attr(src, "readinto")) < 0) return -1;
  if (!has_read && !self->has_readinto) {
    PyErr_Format(PyExc_TypeError, "evrec.open() takes a path or a binary file object, not %.100s",
                 Py_TYPE(src)->tp_name);
    return -1;
  }
  self->fileobj = Py_NewRef(src);
  /* a file object without a str name is read as "<stream>"; any other
   * failure (out of memory) is one */
  PyObject *nm = PyObject_GetAttrString(src, "name");
  PyObject *nb = nm && PyUnicode_Check(nm) ? PyUnicode_EncodeFSDefault(nm) : NULL;
  if (PyErr_Occurred()) {
    if (!PyErr_ExceptionMatches(PyExc_AttributeError) || nm) {
      Py_XDECREF(nm);
      return -1;
    }
    PyErr_Clear();
  }
  self->name = strdup(nb ? PyBytes_AS_STRING(nb) : "<stream>");
  Py_XDECREF(nm);
  Py_XDECREF(nb);
  if (!self->name) return PyErr_NoMemory(), -1;
  cookie_io_functions_t io = {cookie_read, NULL, NULL, NULL};
  self->fp = fopencookie(self, "rb", io);
  if (!self->fp) return PyErr_SetFromErrno(PyExc_OSError), -1;
  evrec_reader_options o = ro->o;
  o.name = self->name;
  Py_BEGIN_ALLOW_THREADS
  *rc = evrec_reader_open_FILE(&self->r, self->fp, &o, e);
  Py_END_ALLOW_THREADS
  return 0;
}

/* Raises for a failed call: the file object's own exception if it caused
 * the failure, else the evrec error. */
static PyObject *reader_raise(ReaderObject *self, const evrec_error *e) {
  if (self->exc_type) {
    PyErr_Restore(self->exc_type, self->exc_value, self->exc_tb);
    self->exc_type = self->exc_value = self->exc_tb = NULL;
    return NULL;
  }
  return evpy_raise(e, self->name);
}

static int reader_start_range(ReaderObject *self, PyObject *blocks) {
  PyObject *seq = PySequence_Fast(blocks, "blocks must be a sequence of evrec.Block");
  if (!seq) return -1;
  Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
  evrec_block first = {0, 0, 0, 0}, prev = {0, 0, 0, 0};
  unsigned long long total = 0;
  for (Py_ssize_t i = 0; i < n; i++) {
    evrec_block b;
    if (block_from(PySequence_Fast_GET_ITEM(seq, i), &b)) {
      Py_DECREF(seq);
      return -1;
    }
    if (i == 0) first = b;
    else if (b.first != prev.first + prev.records || b.offset < prev.offset + prev.size) {
      Py_DECREF(seq);
      PyErr_SetString(PyExc_ValueError, "blocks must be a contiguous run of evrec.blocks(path)");
      return -1;
    }
    prev = b;
    total += b.records;
  }
  Py_DECREF(seq);
  self->remaining = (long long)total;
  if (n == 0) return 0;
  evrec_error e;
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = evrec_reader_seek_block(self->r, &first, prev.offset + prev.size, &e);
  Py_END_ALLOW_THREADS
  return rc ? (reader_raise(self, &e), -1) : 0;
}

static PyObject *evpy_open(PyObject *mod, PyObject *args, PyObject *kw);

static PyObject *evpy_open(PyObject *mod, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"source", "format", "as_", "type", "ignore_unknown", "skip_damage",
                           "max_depth", "max_record_size", "max_string_size", "max_block_size",
                           "max_block_records", "max_index_size", "blocks", "skip_invalid", NULL};
  (void)mod;
  PyObject *src, *format = NULL, *blocks = NULL;
  const char *as = "dict";
  int ignore_unknown = 0, skip_damage = 0, skip_invalid = 0;
  Py_ssize_t lim[6] = {0, 0, 0, 0, 0, 0};
  ropts ro = {.type = NULL};
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O$sOppnnnnnnOp:open", kwlist, &src, &format, &as,
                                   &ro.type, &ignore_unknown, &skip_damage, &lim[0], &lim[1],
                                   &lim[2], &lim[3], &lim[4], &lim[5], &blocks, &skip_invalid))
    return NULL;
  int as_mode = strcmp(as, "dict") == 0 ? AS_DICT : strcmp(as, "json") == 0 ? AS_JSON
                : strcmp(as, "bytes") == 0 ? AS_BYTES : -1;
  if (as_mode < 0) return PyErr_Format(PyExc_ValueError, "as_ must be 'dict', 'json' or 'bytes', not '%s'", as);
  if (ropts_finish(&ro, format, ignore_unknown, skip_damage, lim)) return NULL;
  if (skip_invalid) ro.o.flags |= EVREC_READ_SKIP_INVALID;
  ReaderObject *self = PyObject_New(ReaderObject, &ReaderType);
  if (!self) return NULL;
  self->r = NULL;
  self->fp = NULL;
  self->fileobj = self->exc_type = self->exc_value = self->exc_tb = NULL;
  self->has_readinto = 0;
  self->name = NULL;
  self->as = as_mode;
  self->remaining = -1;
  self->busy = 0;
  evrec__buf_init(&self->out);
  self->names = NULL;
  evrec_error e;
  int rc = EVREC_OK;
  if (reader_setup_source(self, src, &ro, &e, &rc)) goto fail;
  if (rc) {
    reader_raise(self, &e);
    goto fail;
  }
  if (blocks && blocks != Py_None && reader_start_range(self, blocks)) goto fail;
  return (PyObject *)self;
fail:
  Py_DECREF(self);
  return NULL;
}

static void reader_release(ReaderObject *self) {
  evrec_reader_close(self->r);
  self->r = NULL;
  if (self->fp) fclose(self->fp);
  self->fp = NULL;
  Py_CLEAR(self->fileobj);
  Py_CLEAR(self->exc_type);
  Py_CLEAR(self->exc_value);
  Py_CLEAR(self->exc_tb);
}

static void reader_dealloc(ReaderObject *self) {
  reader_release(self);
  free(self->name);
  evrec__buf_free(&self->out);
  evrec__jnames_free(self->names);
  PyObject_Free(self);
}

/* Checks the reader is open and free; marks it busy. */
static int reader_enter(ReaderObject *self) {
  if (self->busy) {
    PyErr_SetString(PyExc_RuntimeError, self->busy == 2
                    ? "this evrec reader is being compared by evrec.diff()"
                    : "this evrec reader is in use by another thread");
    return -1;
  }
  if (!self->r) {
    PyErr_SetString(PyExc_ValueError, "I/O operation on a closed evrec reader");
    return -1;
  }
  self->busy = 1;
  return 0;
}

/* Without the GIL: JSON or pb bytes of msg into self->out. */
static int encode_out(ReaderObject *self, const ProtobufCMessage *msg, evrec_error *e) {
  self->out.len = 0;
  if (self->as == AS_JSON) {
    evrec_json_encode_options o = EVREC_JSON_ENCODE_OPTIONS_INIT;
    o.flags = EVREC_JSON_VALID_UTF8; /* readers validate every string */
    if (!self->names && !(self->names = evrec__jnames_new()))
      return evrec__err(e, EVREC_E_NOMEM, "out of memory");
    int rc = evrec__json_encode_buf(&self->out, msg, &o, self->names, e);
    if (rc == EVREC_OK && self->out.oom) rc = evrec__err(e, EVREC_E_NOMEM, "out of memory");
    return rc;
  }
  if (evrec__pack(&self->out, msg) == SIZE_MAX) return evrec__err(e, EVREC_E_NOMEM, "out of memory");
  return EVREC_OK;
}

static PyObject *record_out(ReaderObject *self, const ProtobufCMessage *msg) {
  if (self->as == AS_DICT) return evpy_message_to_dict(msg);
  if (self->as == AS_JSON) return PyUnicode_DecodeUTF8(self->out.data, (Py_ssize_t)self->out.len, NULL);
  return PyBytes_FromStringAndSize(self->out.data, (Py_ssize_t)self->out.len);
}

/* The next record with the GIL released; *msg NULL at the end. */
static int reader_fetch(ReaderObject *self, const ProtobufCMessage **msg, evrec_error *e) {
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = evrec_reader_next(self->r, msg, e);
  if (rc == EVREC_OK && self->as != AS_DICT) rc = encode_out(self, *msg, e);
  Py_END_ALLOW_THREADS
  return rc;
}

/* For validate.c: the next record of a Reader with the GIL released,
 * under the busy guard. @return the library status; < -100: a Python
 * exception is set (closed or busy reader). */
int evpy_reader_next_raw(PyObject *obj, const ProtobufCMessage **msg, evrec_error *e) {
  ReaderObject *self = (ReaderObject *)obj;
  if (reader_enter(self)) return -1000;
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = evrec_reader_next(self->r, msg, e);
  Py_END_ALLOW_THREADS
  self->busy = 0;
  return rc;
}

PyObject *evpy_reader_raise(PyObject *obj, const evrec_error *e) {
  return reader_raise((ReaderObject *)obj, e);
}

const char *evpy_reader_name(PyObject *obj) { return ((ReaderObject *)obj)->name; }

evrec_reader *evpy_reader_handle(PyObject *obj) { return ((ReaderObject *)obj)->r; }

PyObject *evpy_open_reader(PyObject *args, PyObject *kw) { return evpy_open(NULL, args, kw); }

int evpy_is_reader(PyObject *obj) { return PyObject_TypeCheck(obj, &ReaderType); }

int evpy_reader_lock(PyObject *obj) {
  ReaderObject *self = (ReaderObject *)obj;
  if (self->remaining >= 0 && self->r) {
    PyErr_SetString(PyExc_ValueError, "a Reader of a block range cannot be compared: evrec.diff() "
                    "reads to the input's end (open the file without blocks=)");
    return -1;
  }
  if (reader_enter(self)) return -1;
  self->busy = 2;
  return 0;
}

void evpy_reader_unlock(PyObject *obj) { ((ReaderObject *)obj)->busy = 0; }

static PyObject *reader_iternext(ReaderObject *self) {
  if (self->remaining == 0) return NULL;
  if (reader_enter(self)) return NULL;
  const ProtobufCMessage *msg = NULL;
  evrec_error e;
  int rc = reader_fetch(self, &msg, &e);
  PyObject *out = NULL;
  if (rc == EVREC_OK) {
    out = record_out(self, msg);
    if (self->remaining > 0) self->remaining--;
  } else if (rc == EVREC_DONE && self->remaining > 0) {
    evpy_raise_msg(EVREC_E_CORRUPT, "%s: the block range ended %lld records early", self->name,
                   self->remaining);
  } else if (rc < 0) {
    reader_raise(self, &e);
  }
  self->busy = 0;
  return out;
}

static PyObject *reader_close(ReaderObject *self, PyObject *unused) {
  (void)unused;
  if (self->busy)
    return PyErr_Format(PyExc_RuntimeError, self->busy == 2
                        ? "this evrec reader is being compared by evrec.diff()"
                        : "this evrec reader is in use by another thread");
  reader_release(self);
  Py_RETURN_NONE;
}

static PyObject *reader_enter_ctx(ReaderObject *self, PyObject *unused) {
  (void)unused;
  return Py_NewRef(self);
}

static PyObject *reader_exit_ctx(ReaderObject *self, PyObject *args) {
  (void)args;
  return reader_close(self, NULL);
}

static PyObject *reader_seek(ReaderObject *self, PyObject *arg) {
  unsigned long long ord = PyLong_AsUnsignedLongLong(arg);
  if (ord == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
  if (reader_enter(self)) return NULL;
  evrec_error e;
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = evrec_reader_seek_ordinal(self->r, ord, &e);
  Py_END_ALLOW_THREADS
  self->busy = 0;
  self->remaining = -1;
  if (rc) return reader_raise(self, &e);
  Py_RETURN_NONE;
}

static PyObject *reader_get(ReaderObject *self, PyObject *arg) {
  const char *id = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
  if (!id) return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_TypeError, "id must be str");
  if (reader_enter(self)) return NULL;
  const ProtobufCMessage *msg = NULL;
  evrec_error e;
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = evrec_reader_get_id(self->r, id, &msg, &e);
  if (rc == EVREC_OK && self->as != AS_DICT) rc = encode_out(self, msg, &e);
  Py_END_ALLOW_THREADS
  self->remaining = -1;
  PyObject *out = rc ? reader_raise(self, &e) : record_out(self, msg);
  self->busy = 0;
  return out;
}

static PyObject *blocks_list(ReaderObject *self) {
  evrec_block *v = NULL;
  size_t n = 0;
  evrec_error e;
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = evrec_reader_blocks(self->r, &v, &n, &e);
  Py_END_ALLOW_THREADS
  if (rc) return reader_raise(self, &e);
  PyObject *list = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; list && i < n; i++) {
    PyObject *b = block_new(&v[i]);
    if (!b) Py_CLEAR(list);
    else PyList_SET_ITEM(list, (Py_ssize_t)i, b);
  }
  free(v);
  return list;
}

static PyObject *reader_blocks(ReaderObject *self, PyObject *unused) {
  (void)unused;
  if (reader_enter(self)) return NULL;
  PyObject *r = blocks_list(self);
  self->remaining = -1;
  self->busy = 0;
  return r;
}

/* Reader._table(name): the rest of the records as {column: list}. */
static PyObject *reader_table(ReaderObject *self, PyObject *arg) {
  const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
  if (!name) return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_TypeError, "table must be str");
  if (self->as != AS_DICT)
    return PyErr_Format(PyExc_ValueError, "tables are read from a reader opened with as_='dict'");
  evpy_table *t = evpy_table_new(name);
  if (!t) return NULL;
  if (reader_enter(self)) return evpy_table_free(t), NULL;
  int failed = 0;
  while (self->remaining != 0 && !failed) {
    const ProtobufCMessage *msg = NULL;
    evrec_error e;
    int rc = reader_fetch(self, &msg, &e);
    if (rc == EVREC_DONE && self->remaining > 0) {
      evpy_raise_msg(EVREC_E_CORRUPT, "%s: the block range ended %lld records early", self->name,
                     self->remaining);
      failed = 1;
    } else if (rc == EVREC_DONE) {
      break;
    } else if (rc) {
      reader_raise(self, &e);
      failed = 1;
    } else {
      if (msg->descriptor != evrec_record_descriptor()) {
        PyErr_SetString(PyExc_ValueError, "tables need records of type evrec.v1.Record");
        failed = 1;
      } else {
        failed = evpy_table_add(t, msg) != 0;
      }
      if (self->remaining > 0) self->remaining--;
    }
  }
  self->busy = 0;
  if (failed) return evpy_table_free(t), NULL;
  return evpy_table_finish(t);
}

static PyObject *reader_get_count(ReaderObject *self, void *c) {
  (void)c;
  return PyLong_FromUnsignedLongLong(self->r ? evrec_reader_count(self->r) : 0);
}

static PyObject *reader_get_format(ReaderObject *self, void *c) {
  (void)c;
  if (!self->r) Py_RETURN_NONE;
  return PyUnicode_FromString(evrec_format_name(evrec_reader_format(self->r)));
}

static PyObject *reader_get_name(ReaderObject *self, void *c) {
  (void)c;
  return PyUnicode_DecodeFSDefault(self->name ? self->name : "");
}

static PyObject *str_or_empty(const char *s) {
  if (!s) s = "";
  return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

static PyObject *reader_get_header(ReaderObject *self, void *c) {
  (void)c;
  const evrec_container_header *h = self->r ? evrec_reader_header(self->r) : NULL;
  if (!h) Py_RETURN_NONE;
  PyObject *meta = PyDict_New();
  for (size_t i = 0; meta && i < h->n_meta; i++) {
    PyObject *k = str_or_empty(h->meta_keys[i]), *v = str_or_empty(h->meta_values[i]);
    if (!k || !v || PyDict_SetItem(meta, k, v)) Py_CLEAR(meta);
    Py_XDECREF(k);
    Py_XDECREF(v);
  }
  if (!meta) return NULL;
  return Py_BuildValue("{s:I,s:N,s:N,s:N,s:N,s:y#}", "format_version", h->format_version,
                       "record_type", str_or_empty(h->record_type), "creator",
                       str_or_empty(h->creator), "created_at", str_or_empty(h->created_at),
                       "meta", meta, "schema", (const char *)h->schema, (Py_ssize_t)h->schema_len);
}

static PyMethodDef reader_methods[] = {
    {"close", (PyCFunction)reader_close, METH_NOARGS, "Closes the reader (idempotent)."},
    {"__enter__", (PyCFunction)reader_enter_ctx, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)reader_exit_ctx, METH_VARARGS, NULL},
    {"seek", (PyCFunction)reader_seek, METH_O,
     "seek(ordinal): the next record is number `ordinal` (0-based), found through the "
     ".evr index (a path, not a stream)."},
    {"get", (PyCFunction)reader_get, METH_O,
     "get(id): the record with this id (the last one, if several), through the .evr index. "
     "Raises evrec.NotFoundError when there is none."},
    {"blocks", (PyCFunction)reader_blocks, METH_NOARGS,
     "blocks(): the data blocks of the .evr file as a list of evrec.Block. Moves the read "
     "position: seek() before reading on."},
    {"_table", (PyCFunction)reader_table, METH_O, "Internal: the columns of evrec.read_table."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef reader_getset[] = {
    {"count", (getter)reader_get_count, NULL, "records returned so far (the ordinal of the next)", NULL},
    {"format", (getter)reader_get_format, NULL, "the format being read: json, ndjson, pb, pbd or evr", NULL},
    {"name", (getter)reader_get_name, NULL, "the path or the file object's name", NULL},
    {"header", (getter)reader_get_header, NULL,
     "the .evr container header as a dict (format_version, record_type, creator, created_at, "
     "meta, schema), or None for other formats", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ReaderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "evrec.Reader",
    .tp_basicsize = sizeof(ReaderObject),
    .tp_dealloc = (destructor)reader_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An iterator over the records of one input, made by evrec.open().",
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)reader_iternext,
    .tp_methods = reader_methods,
    .tp_getset = reader_getset,
};

/* ====================================================================== */
/* Module functions                                                       */
/* ====================================================================== */

static PyObject *evpy_blocks(PyObject *mod, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"path", "max_index_size", NULL};
  PyObject *path, *rest;
  Py_ssize_t max_index = 0;
  (void)mod;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$n:blocks", kwlist, &path, &max_index)) return NULL;
  PyObject *a = Py_BuildValue("(O)", path);
  PyObject *k = a ? Py_BuildValue("{s:s,s:n}", "format", "evr", "max_index_size", max_index) : NULL;
  ReaderObject *r = k ? (ReaderObject *)evpy_open(NULL, a, k) : NULL;
  Py_XDECREF(a);
  Py_XDECREF(k);
  if (!r) return NULL;
  rest = r->fp ? PyErr_Format(PyExc_TypeError, "evrec.blocks() needs a path, not a stream")
               : blocks_list(r);
  Py_DECREF(r);
  return rest;
}

static PyMethodDef module_methods[] = {
    {"open", (PyCFunction)(void (*)(void))evpy_open, METH_VARARGS | METH_KEYWORDS,
     "open(source, format=None, *, as_='dict', type=None, ignore_unknown=False, "
     "skip_damage=False, max_depth=0, max_record_size=0, max_string_size=0, "
     "max_block_size=0, max_block_records=0, max_index_size=0, blocks=None)\n--\n\n"
     "Opens a path or a binary file object and returns an iterator of records: dicts "
     "(as_='dict'), canonical JSON text (as_='json') or pb bytes (as_='bytes'). See "
     "python/README.md."},
    {"_validate", (PyCFunction)(void (*)(void))evpy_validate, METH_VARARGS | METH_KEYWORDS,
     "Internal: see evrec.validate."},
    {"_diff", (PyCFunction)(void (*)(void))evpy_diff, METH_VARARGS | METH_KEYWORDS,
     "Internal: see evrec.diff."},
    {"record_diff", (PyCFunction)(void (*)(void))evpy_record_diff, METH_VARARGS | METH_KEYWORDS,
     EVPY_RECORD_DIFF_DOC},
    {"record_patch", (PyCFunction)(void (*)(void))evpy_record_patch, METH_VARARGS | METH_KEYWORDS,
     EVPY_RECORD_PATCH_DOC},
    {"rules", (PyCFunction)evpy_rules, METH_NOARGS,
     "rules()\n--\n\nEvery validation rule as a dict: id, severity, group, summary "
     "(docs/VALIDATION.md)."},
    {"blocks", (PyCFunction)(void (*)(void))evpy_blocks, METH_VARARGS | METH_KEYWORDS,
     "blocks(path, *, max_index_size=0)\n--\n\nThe data blocks of an .evr file, from its "
     "index, as a list of evrec.Block."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "evrec._evrec",
    "C core of the evrec package (libevrec, linked statically).", -1, module_methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__evrec(void);

PyMODINIT_FUNC PyInit__evrec(void) {
  PyObject *m = PyModule_Create(&module_def);
  if (!m) return NULL;
  if (PyType_Ready(&ReaderType) || PyStructSequence_InitType2(&BlockType, &block_desc) ||
      make_exceptions(m) || PyModule_AddObjectRef(m, "Reader", (PyObject *)&ReaderType) ||
      PyModule_AddObjectRef(m, "Block", (PyObject *)&BlockType) || evpy_writer_init_type(m) ||
      evpy_validate_init(m) || evpy_diff_init(m) ||
      PyModule_AddStringConstant(m, "library_version", evrec_version())) {
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
