/*
 * writer.c -- evrec.Writer: records out to a path (written under a
 * temporary name and renamed into place by a successful close(), as the
 * CLI does) or to a binary file object (through a stdio stream of our own
 * whose write function calls the object's write() with the GIL).
 *
 * write() takes a dict (printed as JSON by tojson.c, then decoded by the
 * library's JSON decoder, which checks it against the schema), a JSON str,
 * or pb bytes (decoded and UTF-8 checked by evrec_pb_decode). Decoding,
 * encoding and compression run with the GIL released; the dict's JSON text
 * is made with it held. As with readers, one Writer is not for two
 * threads at once: a second thread gets RuntimeError.
 */
#include "evrecpy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct WriterObject {
  PyObject_HEAD
  evrec_writer *w;
  FILE *fp;
  PyObject *fileobj;
  PyObject *exc_type, *exc_value, *exc_tb;
  char *name;
  const ProtobufCMessageDescriptor *type;
  evrec_json_decode_options jopts;
  evrec_arena *arena;
  evpy_buf json;
  int busy;
  int discard; /* writes to fp are dropped: the writer is gone (writer_release) */
} WriterObject;

/* fopencookie write: the file object's write(), with the GIL. A failure
 * returns the bytes written before it (0 if none), never -1: glibc takes
 * the count as unsigned, and -1 made fwrite() go on as if one byte more
 * than asked had been written (silently corrupt output; fopencookie(3):
 * "must not return a negative value"). */
static ssize_t cookie_write(void *cookie, const char *buf, size_t size) {
  WriterObject *self = cookie;
  if (self->discard) return (ssize_t)size;
  PyGILState_STATE g = PyGILState_Ensure();
  size_t done = 0;
  while (done < size) {
    PyObject *mv = PyMemoryView_FromMemory((char *)(uintptr_t)(buf + done), (Py_ssize_t)(size - done), PyBUF_READ);
    PyObject *res = mv ? PyObject_CallMethod(self->fileobj, "write", "O", mv) : NULL;
    Py_XDECREF(mv);
    Py_ssize_t n = res && res != Py_None ? PyLong_AsSsize_t(res) : res ? (Py_ssize_t)(size - done) : -1;
    Py_XDECREF(res);
    if (n <= 0 || (size_t)n > size - done) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_OSError, "write() wrote nothing");
      if (!self->exc_type) PyErr_Fetch(&self->exc_type, &self->exc_value, &self->exc_tb);
      PyErr_Clear();
      PyGILState_Release(g);
      errno = EIO;
      return (ssize_t)done;
    }
    done += (size_t)n;
  }
  PyGILState_Release(g);
  return (ssize_t)size;
}

static PyObject *writer_raise(WriterObject *self, const evrec_error *e) {
  if (self->exc_type) {
    PyErr_Restore(self->exc_type, self->exc_value, self->exc_tb);
    self->exc_type = self->exc_value = self->exc_tb = NULL;
    return NULL;
  }
  return evpy_raise(e, self->name);
}

/* "k=v" strings from a dict or a sequence of str. */
static int meta_strings(PyObject *meta, PyObject **keep, const char ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  *keep = NULL;
  if (!meta || meta == Py_None) return 0;
  PyObject *list = PyList_New(0);
  if (!list) return -1;
  if (PyDict_Check(meta)) {
    PyObject *k, *v;
    Py_ssize_t pos = 0;
    while (PyDict_Next(meta, &pos, &k, &v)) {
      PyObject *s = PyUnicode_FromFormat("%S=%S", k, v);
      if (!s || PyList_Append(list, s)) {
        Py_XDECREF(s);
        Py_DECREF(list);
        return -1;
      }
      Py_DECREF(s);
    }
  } else {
    Py_SETREF(list, PySequence_List(meta));
    if (!list) return -1;
  }
  Py_ssize_t len = PyList_GET_SIZE(list);
  const char **v = PyMem_Calloc((size_t)len + 1, sizeof *v);
  if (!v) {
    Py_DECREF(list);
    PyErr_NoMemory();
    return -1;
  }
  for (Py_ssize_t i = 0; i < len; i++) {
    PyObject *s = PyList_GET_ITEM(list, i);
    v[i] = PyUnicode_Check(s) ? PyUnicode_AsUTF8(s) : NULL;
    if (!v[i]) {
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "meta: a dict or a list of 'key=value' str");
      PyMem_Free(v);
      Py_DECREF(list);
      return -1;
    }
  }
  *keep = list;
  *out = v;
  *n = (size_t)len;
  return 0;
}

static int writer_init(WriterObject *self, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"dest", "format", "type", "level", "threads", "block_size", "meta",
                           "created_at", "append", "pretty", "array", "emit_defaults",
                           "proto_names", "enums_as_ints", "ignore_unknown", "max_record_size",
                           NULL};
  PyObject *dest, *format = NULL, *type = NULL, *meta = NULL;
  const char *created = NULL;
  int level = -1, append = 0, pretty = 0, array = 0, emit = 0, proto = 0, ints = 0, ign = 0;
  unsigned int threads = 0;
  Py_ssize_t block = 0, max_rec = 0;
  if (self->w || self->fp) {
    PyErr_SetString(PyExc_RuntimeError, "Writer.__init__ called twice");
    return -1;
  }
  self->discard = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O$OiInOzpppppppn:Writer", kwlist, &dest, &format,
                                   &type, &level, &threads, &block, &meta, &created, &append,
                                   &pretty, &array, &emit, &proto, &ints, &ign, &max_rec))
    return -1;
  if (block < 0 || max_rec < 0) {
    PyErr_SetString(PyExc_ValueError, "block_size and max_record_size must be >= 0");
    return -1;
  }
  evrec_writer_options o = EVREC_WRITER_OPTIONS_INIT;
  if (format && format != Py_None) {
    const char *f = PyUnicode_Check(format) ? PyUnicode_AsUTF8(format) : NULL;
    o.format = f ? evrec_format_from_name(f) : EVREC_FORMAT_AUTO;
    if (o.format == EVREC_FORMAT_AUTO) {
      PyErr_Format(PyExc_ValueError, "unknown format %R (json, ndjson, jsonl, pb, pbd, evr)", format);
      return -1;
    }
  }
  if (!(self->type = evpy_find_type(type))) return -1;
  o.level = level;
  o.threads = threads;
  o.block_size = (size_t)block;
  o.max_record_size = (size_t)max_rec;
  o.created_at = created;
  o.flags = (append ? EVREC_WRITE_APPEND : 0) | (array ? EVREC_WRITE_ARRAY : 0) | EVREC_WRITE_VALID_UTF8;
  o.json_flags = (pretty ? EVREC_JSON_PRETTY : 0) | (emit ? EVREC_JSON_EMIT_DEFAULTS : 0) |
                 (proto ? EVREC_JSON_PROTO_NAMES : 0) | (ints ? EVREC_JSON_ENUMS_AS_INTS : 0);
  evrec_json_decode_options jd = EVREC_JSON_DECODE_OPTIONS_INIT;
  jd.flags = ign ? EVREC_JSON_IGNORE_UNKNOWN : 0;
  self->jopts = jd;
  PyObject *keep = NULL;
  const char **mv = NULL;
  if (meta_strings(meta, &keep, &mv, &o.n_meta)) return -1;
  o.meta = mv;
  if (!(self->arena = evrec_arena_new(0))) {
    PyMem_Free(mv);
    Py_XDECREF(keep);
    PyErr_NoMemory();
    return -1;
  }
  int rc;
  evrec_error e;
  PyObject *path = evpy_fspath(dest);
  if (path) {
    self->name = strdup(PyBytes_AS_STRING(path));
    Py_BEGIN_ALLOW_THREADS
    rc = evrec_writer_open_file(&self->w, PyBytes_AS_STRING(path), &o, &e);
    Py_END_ALLOW_THREADS
    Py_DECREF(path);
  } else if (!PyErr_Occurred() && evpy_has_attr(dest, "write") == 1) {
    self->fileobj = Py_NewRef(dest);
    self->name = strdup("<stream>");
    cookie_io_functions_t io = {NULL, cookie_write, NULL, NULL};
    self->fp = fopencookie(self, "wb", io);
    o.name = self->name;
    rc = self->fp ? evrec_writer_open_FILE(&self->w, self->fp, &o, &e) : EVREC_OK;
    if (!self->fp) PyErr_SetFromErrno(PyExc_OSError);
  } else {
    if (!PyErr_Occurred())
      PyErr_Format(PyExc_TypeError, "evrec.Writer() takes a path or a binary file object, not %.100s",
                   Py_TYPE(dest)->tp_name);
    rc = EVREC_OK;
  }
  PyMem_Free(mv);
  Py_XDECREF(keep);
  if (PyErr_Occurred()) return -1;
  if (!self->name) return PyErr_NoMemory(), -1;
  if (rc) return writer_raise(self, &e), -1;
  return 0;
}

static void writer_release(WriterObject *self) {
  /* what stdio still buffers belongs to a writer that failed or was
   * aborted (a closed one flushed it): the file object must not get it
   * after the error, out of order */
  self->discard = 1;
  if (self->w) evrec_writer_abort(self->w);
  self->w = NULL;
  if (self->fp) fclose(self->fp);
  self->fp = NULL;
  Py_CLEAR(self->fileobj);
}

static void writer_dealloc(WriterObject *self) {
  writer_release(self); /* never closed: discard, as a failed run */
  Py_CLEAR(self->exc_type);
  Py_CLEAR(self->exc_value);
  Py_CLEAR(self->exc_tb);
  evrec_arena_free(self->arena);
  evpy_buf_free(&self->json);
  free(self->name);
  Py_TYPE(self)->tp_free((PyObject *)self);
}

static int writer_enter(WriterObject *self) {
  if (self->busy) {
    PyErr_SetString(PyExc_RuntimeError, "this evrec writer is in use by another thread");
    return -1;
  }
  if (!self->w) {
    PyErr_SetString(PyExc_ValueError, "I/O operation on a closed evrec writer");
    return -1;
  }
  self->busy = 1;
  return 0;
}

enum { IN_DICT, IN_JSON, IN_PB };

/* Without the GIL: decode the input, write the record. */
static int decode_write(WriterObject *self, int kind, const char *p, size_t n, evrec_error *e) {
  ProtobufCMessage *m = NULL;
  evrec_arena_reset(self->arena);
  int rc = kind == IN_PB ? evrec_pb_decode(&m, self->type, p, n, self->arena, e)
                         : evrec_json_decode(&m, self->type, p, n, self->arena, &self->jopts, e);
  if (rc) {
    if (kind == IN_DICT) e->line = e->column = 0, e->offset = EVREC_UNKNOWN; /* our text */
    e->record = evrec_writer_count(self->w);
    return rc;
  }
  return evrec_writer_write(self->w, m, e);
}

static PyObject *writer_write(WriterObject *self, PyObject *rec) {
  if (writer_enter(self)) return NULL;
  Py_buffer view = {0};
  const char *p = NULL;
  Py_ssize_t n = 0;
  int kind;
  if (PyDict_Check(rec)) {
    kind = IN_DICT;
    self->json.len = 0;
    if (evpy_to_json(&self->json, rec) == 0) p = self->json.data, n = (Py_ssize_t)self->json.len;
  } else if (PyUnicode_Check(rec)) {
    kind = IN_JSON;
    p = PyUnicode_AsUTF8AndSize(rec, &n);
  } else if (PyObject_CheckBuffer(rec)) {
    kind = IN_PB;
    if (PyObject_GetBuffer(rec, &view, PyBUF_SIMPLE) == 0) p = view.buf ? view.buf : "", n = view.len;
  } else {
    kind = -1;
    PyErr_Format(PyExc_TypeError, "a record is a dict, a JSON str or pb bytes, not %.100s",
                 Py_TYPE(rec)->tp_name);
  }
  int rc = EVREC_OK;
  evrec_error e;
  if (p) {
    Py_BEGIN_ALLOW_THREADS
    rc = decode_write(self, kind, p, (size_t)n, &e);
    Py_END_ALLOW_THREADS
  }
  if (kind == IN_PB && view.obj) PyBuffer_Release(&view);
  self->busy = 0;
  if (!p) return NULL;
  if (rc) return writer_raise(self, &e);
  Py_RETURN_NONE;
}

static PyObject *writer_close(WriterObject *self, PyObject *unused) {
  (void)unused;
  if (!self->w && !self->busy) Py_RETURN_NONE;
  if (writer_enter(self)) return NULL;
  evrec_writer *w = self->w;
  evrec_error e;
  int rc;
  self->w = NULL;
  Py_BEGIN_ALLOW_THREADS
  rc = evrec_writer_close(w, &e);
  Py_END_ALLOW_THREADS
  self->busy = 0;
  /* a failed flush fails the close, whether or not the file object's
   * write() left an exception to re-raise (writer_raise prefers it) */
  if (rc == EVREC_OK && self->fp && fflush(self->fp) != 0)
    rc = EVREC_E_IO, snprintf(e.message, sizeof e.message, "error writing %s", self->name);
  writer_release(self);
  if (rc) return writer_raise(self, &e);
  Py_RETURN_NONE;
}

static PyObject *writer_abort(WriterObject *self, PyObject *unused) {
  (void)unused;
  if (self->busy) return PyErr_Format(PyExc_RuntimeError, "this evrec writer is in use by another thread");
  writer_release(self);
  Py_RETURN_NONE;
}

static PyObject *writer_enter_ctx(WriterObject *self, PyObject *unused) {
  (void)unused;
  return Py_NewRef(self);
}

static PyObject *writer_exit_ctx(WriterObject *self, PyObject *args) {
  PyObject *t = PyTuple_Size(args) > 0 ? PyTuple_GET_ITEM(args, 0) : Py_None;
  if (t != Py_None) { /* an exception: leave no output */
    PyObject *r = writer_abort(self, NULL);
    if (!r) return NULL;
    Py_DECREF(r);
    Py_RETURN_FALSE;
  }
  PyObject *r = writer_close(self, NULL);
  if (!r) return NULL;
  Py_DECREF(r);
  Py_RETURN_FALSE;
}

static PyObject *writer_get_count(WriterObject *self, void *c) {
  (void)c;
  return PyLong_FromUnsignedLongLong(self->w ? evrec_writer_count(self->w) : 0);
}

static PyObject *writer_get_closed(WriterObject *self, void *c) {
  (void)c;
  return PyBool_FromLong(self->w == NULL);
}

static PyMethodDef writer_methods[] = {
    {"write", (PyCFunction)writer_write, METH_O,
     "write(record): writes one record, a dict, a JSON str or pb bytes."},
    {"close", (PyCFunction)writer_close, METH_NOARGS,
     "Finishes the output (renames a path into place); raises on failure, leaving the "
     "destination as it was."},
    {"abort", (PyCFunction)writer_abort, METH_NOARGS, "Discards the output."},
    {"__enter__", (PyCFunction)writer_enter_ctx, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)writer_exit_ctx, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef writer_getset[] = {
    {"count", (getter)writer_get_count, NULL, "records written so far", NULL},
    {"closed", (getter)writer_get_closed, NULL, "True after close() or abort()", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

PyTypeObject evpy_WriterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "evrec.Writer",
    .tp_basicsize = sizeof(WriterObject),
    .tp_dealloc = (destructor)writer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc =
        "Writer(dest, format=None, *, type=None, level=-1, threads=0, block_size=0, meta=None, "
        "created_at=None, append=False, pretty=False, array=False, emit_defaults=False, "
        "proto_names=False, enums_as_ints=False, ignore_unknown=False, max_record_size=0)\n\n"
        "Writes records to a path (atomically: a temporary file renamed by close()) or a "
        "binary file object. Format from `format`, else the path's extension, else ndjson. "
        "Use as a context manager: an exception in the block discards the output.",
    .tp_methods = writer_methods,
    .tp_getset = writer_getset,
    .tp_init = (initproc)writer_init,
    .tp_new = PyType_GenericNew,
};

int evpy_writer_init_type(PyObject *module) {
  if (PyType_Ready(&evpy_WriterType)) return -1;
  return PyModule_AddObjectRef(module, "Writer", (PyObject *)&evpy_WriterType);
}
