/*
 * diff.c -- evrec.diff(), evrec.record_diff() and evrec.record_patch(): the
 * library's comparison and patcher (docs/DIFF.md) for Python.
 *
 * evrec.diff() is an iterator driven one record at a time through the
 * stepping form of evrec_diff() (src/diff.h: evrec__diff_step(), the very
 * loop evrec_diff() runs), so that differences stream out: memory is the
 * library's ~45 bytes per record and side plus the differences of one
 * record. Each step runs with the GIL released -- the first one reads
 * both inputs to the end (A on a helper thread of the library's when there
 * are two cores, as `evrec diff` does), later ones decode a changed record
 * again and compare it -- and its callback only copies the differences
 * into a C buffer (malloc: no Python object is touched without the GIL).
 * next() turns them into dicts with the GIL held. The Readers of both
 * sides are held (busy) for the whole run: the library keeps positions in
 * them between steps.
 *
 * The dicts are the lines of `evrec diff --format json`, parsed: "op",
 * "id", "path", and "old" / "new" (left out where absent) as json.loads
 * makes them of the canonical JSON -- so 64-bit integers are str, bytes
 * are base64 text, as in the delta -- and json.dumps of one is a line
 * `evrec patch` reads. With json_patch=True one dict per record, as
 * `evrec diff --format json-patch` prints it: {"id", "patch": [RFC 6902
 * ops]} or {"id", "removed": True}.
 *
 * record_diff() and record_patch() work on one record given as a dict, a
 * JSON str or pb bytes, decoded as Writer.write() decodes it; decoding,
 * comparing and patching run with the GIL released.
 */
#include "evrecpy.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

/* ====================================================================== */
/* Differences collected without the GIL                                  */
/* ====================================================================== */

#define ABSENT SIZE_MAX

/* One difference; strings are offsets into the text buffer. */
typedef struct dop {
  int op;
  size_t id, path, oldv, newv; /* ABSENT: no value on that side */
  size_t old_len, new_len;
} dop;

typedef struct dpend {
  dop *v;
  size_t n, cap;
  char *text;
  size_t len, tcap;
  int oom;
} dpend;

static void pend_free(dpend *p) {
  free(p->v);
  free(p->text);
  memset(p, 0, sizeof *p);
}

/* Appends s[0..n) and a NUL; @return its offset, ABSENT when out of memory. */
static size_t pend_put(dpend *p, const char *s, size_t n) {
  if (p->tcap - p->len < n + 1) {
    size_t cap = p->tcap ? p->tcap : 4096;
    while (cap - p->len < n + 1) {
      if (cap > SIZE_MAX / 4) return ABSENT;
      cap *= 2;
    }
    char *t = realloc(p->text, cap);
    if (!t) return ABSENT;
    p->text = t;
    p->tcap = cap;
  }
  size_t at = p->len;
  memcpy(p->text + at, s, n);
  p->text[at + n] = '\0';
  p->len += n + 1;
  return at;
}

/* The callback (no GIL): copies the difference. */
static int on_difference(const evrec_difference *d, void *payload) {
  dpend *p = payload;
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 16;
    dop *v = realloc(p->v, cap * sizeof *v);
    if (!v) return p->oom = 1;
    p->v = v;
    p->cap = cap;
  }
  dop *o = &p->v[p->n];
  o->op = d->op;
  o->id = pend_put(p, d->id, strlen(d->id));
  o->path = pend_put(p, d->path, strlen(d->path));
  o->oldv = d->old_value ? pend_put(p, d->old_value, d->old_len) : ABSENT;
  o->newv = d->new_value ? pend_put(p, d->new_value, d->new_len) : ABSENT;
  o->old_len = d->old_len;
  o->new_len = d->new_len;
  if (o->id == ABSENT || o->path == ABSENT || (d->old_value && o->oldv == ABSENT) ||
      (d->new_value && o->newv == ABSENT))
    return p->oom = 1; /* stops the call: EVREC_STOPPED, raised as MemoryError */
  p->n++;
  return 0;
}

/* ====================================================================== */
/* Dicts (with the GIL)                                                   */
/* ====================================================================== */

static PyObject *json_loads;   /* json.loads */
static PyObject *op_names[4];  /* "", "add", "remove", "replace" */

static PyObject *text_at(const dpend *p, size_t at) {
  const char *s = p->text + at;
  return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

/* A canonical JSON value as Python: json.loads of its text. */
static PyObject *value_at(const dpend *p, size_t at, size_t len) {
  PyObject *s = PyUnicode_DecodeUTF8(p->text + at, (Py_ssize_t)len, "strict");
  PyObject *v = s ? PyObject_CallOneArg(json_loads, s) : NULL;
  Py_XDECREF(s);
  return v;
}

static int set_new(PyObject *d, const char *key, PyObject *v) {
  int rc = v ? PyDict_SetItemString(d, key, v) : -1;
  Py_XDECREF(v);
  return rc;
}

/* {"op", "id", "path", "old", "new"}: a line of `evrec diff --format json`. */
static PyObject *delta_dict(const dpend *p, const dop *o) {
  PyObject *d = PyDict_New();
  if (!d || PyDict_SetItemString(d, "op", op_names[o->op]) || set_new(d, "id", text_at(p, o->id)) ||
      set_new(d, "path", text_at(p, o->path)) ||
      (o->oldv != ABSENT && set_new(d, "old", value_at(p, o->oldv, o->old_len))) ||
      (o->newv != ABSENT && set_new(d, "new", value_at(p, o->newv, o->new_len))))
    Py_CLEAR(d);
  return d;
}

/* {"op", "path", "value"}: one RFC 6902 operation. */
static PyObject *patch_op(const dpend *p, const dop *o) {
  PyObject *d = PyDict_New();
  if (!d || PyDict_SetItemString(d, "op", op_names[o->op]) ||
      set_new(d, "path", text_at(p, o->path)) ||
      (o->newv != ABSENT && set_new(d, "value", value_at(p, o->newv, o->new_len))))
    Py_CLEAR(d);
  return d;
}

/* The RFC 6902 operations of every pending difference. */
static PyObject *patch_list(const dpend *p) {
  PyObject *list = PyList_New((Py_ssize_t)p->n);
  for (size_t i = 0; list && i < p->n; i++) {
    PyObject *o = patch_op(p, &p->v[i]);
    if (!o) Py_CLEAR(list);
    else PyList_SET_ITEM(list, (Py_ssize_t)i, o);
  }
  return list;
}

/* One record's differences in the JSON Patch form: a line of `evrec diff
 * --format json-patch` (tools/cmd_diff.c, print_patch). */
static PyObject *patch_record(const dpend *p) {
  const dop *o = &p->v[0];
  if (p->n == 1 && !p->text[o->path] && o->op == EVREC_DIFF_REMOVE)
    return Py_BuildValue("{s:N,s:O}", "id", text_at(p, o->id), "removed", Py_True);
  return Py_BuildValue("{s:N,s:N}", "id", text_at(p, o->id), "patch", patch_list(p));
}

/* ====================================================================== */
/* Options                                                                */
/* ====================================================================== */

/* The comparison options every call takes as keywords. */
typedef struct dopts {
  evrec_diff_options o;
  const char **ignore; /* PyMem */
} dopts;

static int dopts_make(dopts *d, PyObject *keep, PyObject *ignore, double tolerance,
                      int ignore_order, int json_patch) {
  evrec_diff_options o = EVREC_DIFF_OPTIONS_INIT;
  d->o = o;
  d->ignore = NULL;
  if (evpy_str_array(ignore, keep, "ignore is a list of path globs (str)", &d->ignore, &d->o.n_ignore))
    return -1;
  d->o.ignore = d->ignore;
  d->o.float_tolerance = tolerance;
  d->o.flags = (ignore_order ? EVREC_DIFF_IGNORE_ORDER : 0) | (json_patch ? EVREC_DIFF_JSON_PATCH : 0);
  return 0;
}

/* ====================================================================== */
/* evrec.diff: the Diff iterator                                          */
/* ====================================================================== */

typedef struct DiffObject {
  PyObject_HEAD
  PyObject *side[2]; /* the Readers of A and B */
  int locked;        /* both are held (evpy_reader_lock) */
  PyObject *keep;    /* the ignore globs and temp_dir, alive for the run */
  const char **ignore;
  evrec__diff *d;    /* NULL once finished */
  dpend pend;        /* the current record's differences */
  size_t next;       /* the next of them to hand out */
  int json_patch;
  int busy;          /* a step is running (GIL released) */
  evrec_diff_stats st; /* as of the last step */
} DiffObject;

static PyTypeObject DiffType;

/* Ends the run: frees the library's state, lets go of the Readers (those
 * the diff opened itself close now, not when the iterator is dropped). */
static void diff_finish(DiffObject *self) {
  if (self->d) {
    evrec__diff_stats(self->d, &self->st);
    evrec__diff_free(self->d);
    self->d = NULL;
  }
  if (self->locked) {
    evpy_reader_unlock(self->side[0]);
    evpy_reader_unlock(self->side[1]);
    self->locked = 0;
  }
  Py_CLEAR(self->side[0]);
  Py_CLEAR(self->side[1]);
}

/* Runs one step; @return 1 when differences are pending, 0 at the end,
 * -1 with an exception. */
static int diff_step(DiffObject *self) {
  self->pend.n = self->pend.len = 0;
  self->pend.oom = 0;
  self->next = 0;
  if (!self->d) return 0;
  evrec_error e;
  int rc;
  self->busy = 1;
  Py_BEGIN_ALLOW_THREADS
  rc = evrec__diff_step(self->d, &e);
  Py_END_ALLOW_THREADS
  self->busy = 0;
  evrec__diff_stats(self->d, &self->st);
  if (rc == EVREC_OK) return 1;
  if (rc == EVREC_STOPPED) PyErr_NoMemory(); /* only the copy of a difference stops */
  else if (rc < 0 && self->st.error_side) evpy_reader_raise(self->side[self->st.error_side - 1], &e);
  else if (rc < 0) evpy_raise(&e, NULL);
  PyObject *t, *v, *tb;
  PyErr_Fetch(&t, &v, &tb);
  diff_finish(self);
  PyErr_Restore(t, v, tb);
  self->pend.n = 0;
  return rc == EVREC_DONE ? 0 : -1;
}

static PyObject *diff_next(DiffObject *self) {
  if (self->busy)
    return PyErr_Format(PyExc_RuntimeError, "this evrec.diff() iterator is in use by another thread");
  if (self->json_patch || self->next >= self->pend.n) {
    int rc = diff_step(self);
    if (rc <= 0) return NULL;
    if (self->json_patch) {
      self->next = self->pend.n;
      return patch_record(&self->pend);
    }
  }
  return delta_dict(&self->pend, &self->pend.v[self->next++]);
}

static PyObject *diff_close(DiffObject *self, PyObject *unused) {
  (void)unused;
  if (self->busy)
    return PyErr_Format(PyExc_RuntimeError, "this evrec.diff() iterator is in use by another thread");
  diff_finish(self);
  self->pend.n = self->next = 0;
  Py_RETURN_NONE;
}

static void diff_dealloc(DiffObject *self) {
  diff_finish(self);
  Py_XDECREF(self->keep);
  PyMem_Free(self->ignore);
  pend_free(&self->pend);
  PyObject_Free(self);
}

static PyObject *diff_get_stats(DiffObject *self, void *c) {
  (void)c;
  const evrec_diff_stats *s = &self->st;
  return Py_BuildValue("{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K}", "a_records",
                       (unsigned long long)s->a_records, "b_records",
                       (unsigned long long)s->b_records, "same", (unsigned long long)s->same,
                       "changed", (unsigned long long)s->changed, "removed",
                       (unsigned long long)s->removed, "added", (unsigned long long)s->added,
                       "decoded_again", (unsigned long long)s->decoded_again, "differences",
                       (unsigned long long)s->differences);
}

static PyMethodDef diff_methods[] = {
    {"close", (PyCFunction)diff_close, METH_NOARGS,
     "Ends the comparison early: frees its memory and lets go of the Readers (idempotent)."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef diff_getset[] = {
    {"stats", (getter)diff_get_stats, NULL,
     "counts so far: a_records, b_records (read from A and B), same, changed, removed, added "
     "(records), decoded_again (records read a second time), differences; final once the "
     "iterator is exhausted",
     NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject DiffType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "evrec.Diff",
    .tp_basicsize = sizeof(DiffObject),
    .tp_dealloc = (destructor)diff_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An iterator of the differences between two sets of records (evrec.diff()).",
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)diff_next,
    .tp_methods = diff_methods,
    .tp_getset = diff_getset,
};

/* A side: the caller's Reader, or one opened with the open options. */
static PyObject *open_side(PyObject *src, PyObject *open_kw) {
  if (evpy_is_reader(src)) return Py_NewRef(src);
  PyObject *a = PyTuple_Pack(1, src);
  PyObject *r = a ? evpy_open_reader(a, open_kw) : NULL;
  Py_XDECREF(a);
  return r;
}

enum { K_IGNORE, K_TOLERANCE, K_ORDER, K_PATCH, K_THREADS, K_TEMP, N_K };

/* The comparison options from their keywords' values (NULL: not given);
 * strings are kept alive in self->keep. */
static int options_from(DiffObject *self, PyObject *const *v, evrec_diff_options *out) {
  double t = 0.0;
  unsigned long threads = 0;
  int order = 0;
  if (v[K_TOLERANCE] && v[K_TOLERANCE] != Py_None) {
    t = PyFloat_AsDouble(v[K_TOLERANCE]); /* < 0, NaN: the library says ArgumentError */
    if (t == -1.0 && PyErr_Occurred()) return -1;
  }
  if ((order = v[K_ORDER] ? PyObject_IsTrue(v[K_ORDER]) : 0) < 0) return -1;
  if ((self->json_patch = v[K_PATCH] ? PyObject_IsTrue(v[K_PATCH]) : 0) < 0) return -1;
  if (v[K_THREADS] && v[K_THREADS] != Py_None) {
    threads = PyLong_AsUnsignedLong(v[K_THREADS]);
    if (threads == (unsigned long)-1 && PyErr_Occurred()) return -1;
    if (threads > UINT_MAX) {
      PyErr_SetString(PyExc_OverflowError, "threads is too large");
      return -1;
    }
  }
  dopts o;
  if (dopts_make(&o, self->keep, v[K_IGNORE], t, order, self->json_patch)) return -1;
  self->ignore = o.ignore;
  *out = o.o;
  out->threads = (unsigned)threads;
  if (v[K_TEMP] && v[K_TEMP] != Py_None) {
    PyObject *p = evpy_fspath(v[K_TEMP]);
    if (!p || PyList_Append(self->keep, p)) {
      Py_XDECREF(p);
      if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "temp_dir must be a path");
      return -1;
    }
    Py_DECREF(p); /* alive in keep */
    out->temp_dir = PyBytes_AS_STRING(p);
  }
  return 0;
}

/* Takes the comparison's keywords out of k (what is left are open options)
 * into *out. */
static int diff_options(DiffObject *self, PyObject *k, evrec_diff_options *out) {
  static const char *const names[N_K] = {"ignore", "float_tolerance", "ignore_order",
                                         "json_patch", "threads", "temp_dir"};
  PyObject *v[N_K] = {NULL};
  int rc = 0;
  for (int i = 0; i < N_K && !rc; i++) rc = evpy_pop_kw(k, names[i], &v[i]);
  if (!rc) rc = options_from(self, v, out);
  for (int i = 0; i < N_K; i++) Py_XDECREF(v[i]);
  return rc;
}

/* Opens (or takes) both sides, holds them and prepares the run. On
 * failure what is done is undone by diff_finish() (dealloc). */
static int diff_start(DiffObject *self, PyObject *a, PyObject *b, PyObject *open_kw,
                      const evrec_diff_options *o) {
  if (!(self->side[0] = open_side(a, open_kw)) || !(self->side[1] = open_side(b, open_kw)))
    return -1;
  if (evpy_reader_lock(self->side[0])) return -1;
  if (evpy_reader_lock(self->side[1])) {
    evpy_reader_unlock(self->side[0]);
    return -1;
  }
  self->locked = 1;
  evrec_error e;
  if (evrec__diff_new(&self->d, evpy_reader_handle(self->side[0]), evpy_reader_handle(self->side[1]),
                      o, on_difference, &self->pend, &e)) {
    evpy_raise(&e, NULL);
    return -1;
  }
  return 0;
}

/* _diff(a, b, *, ignore, float_tolerance, ignore_order, json_patch,
 * threads, temp_dir, **open_options): see evrec.diff in __init__.py. */
PyObject *evpy_diff(PyObject *mod, PyObject *args, PyObject *kw) {
  (void)mod;
  PyObject *a, *b;
  if (!PyArg_ParseTuple(args, "OO:diff", &a, &b)) return NULL;
  int pathlike = PyUnicode_Check(a) || PyBytes_Check(a) || (a == b ? evpy_has_attr(a, "__fspath__") : 1);
  if (pathlike < 0) return NULL;
  if (a == b && !pathlike) {
    PyErr_SetString(PyExc_ValueError, "diff: a and b are the same object: two readers, two file "
                    "objects or paths are needed");
    return NULL;
  }
  DiffObject *self = PyObject_New(DiffObject, &DiffType);
  if (!self) return NULL;
  self->side[0] = self->side[1] = NULL;
  self->keep = NULL;
  self->ignore = NULL;
  self->d = NULL;
  memset(&self->pend, 0, sizeof self->pend);
  self->next = 0;
  self->locked = self->busy = self->json_patch = 0;
  memset(&self->st, 0, sizeof self->st);
  PyObject *k = kw ? PyDict_Copy(kw) : PyDict_New();
  evrec_diff_options o;
  int rc = !k || !(self->keep = PyList_New(0)) || diff_options(self, k, &o) ? -1 : 0;
  if (rc == 0 && PyDict_GET_SIZE(k) && evpy_is_reader(a) && evpy_is_reader(b)) {
    PyErr_SetString(PyExc_TypeError, "diff: the open options apply to paths and file objects; "
                    "a and b are Readers, opened with their own");
    rc = -1;
  }
  if (rc == 0) rc = diff_start(self, a, b, k, &o);
  Py_XDECREF(k);
  if (rc) Py_CLEAR(self);
  return (PyObject *)self;
}

/* ====================================================================== */
/* One record: record_diff, record_patch                                  */
/* ====================================================================== */

enum { IN_DICT, IN_JSON, IN_PB };

/* A record given as a dict, a JSON str or pb bytes, ready to decode
 * without the GIL. */
typedef struct rin {
  int kind;
  const char *p;
  size_t n;
  evpy_buf json; /* a dict's JSON text */
  Py_buffer view;
} rin;

static int rin_get(rin *r, PyObject *rec, const char *name) {
  memset(r, 0, sizeof *r);
  Py_ssize_t n = 0;
  if (PyDict_Check(rec)) {
    r->kind = IN_DICT;
    if (evpy_to_json(&r->json, rec)) return -1;
    r->p = r->json.data;
    n = (Py_ssize_t)r->json.len;
  } else if (PyUnicode_Check(rec)) {
    r->kind = IN_JSON;
    if (!(r->p = PyUnicode_AsUTF8AndSize(rec, &n))) return -1;
  } else if (PyObject_CheckBuffer(rec)) {
    r->kind = IN_PB;
    if (PyObject_GetBuffer(rec, &r->view, PyBUF_SIMPLE)) return -1;
    r->p = r->view.buf ? r->view.buf : "";
    n = r->view.len;
  } else {
    PyErr_Format(PyExc_TypeError, "%s: a record is a dict, a JSON str or pb bytes, not %.100s", name,
                 Py_TYPE(rec)->tp_name);
    return -1;
  }
  r->n = (size_t)n;
  return 0;
}

static void rin_free(rin *r) {
  evpy_buf_free(&r->json);
  if (r->view.obj) PyBuffer_Release(&r->view);
}

/* Without the GIL. */
static int rin_decode(const rin *r, const ProtobufCMessageDescriptor *type,
                      const evrec_json_decode_options *jo, evrec_arena *arena,
                      ProtobufCMessage **out, evrec_error *e) {
  int rc = r->kind == IN_PB ? evrec_pb_decode(out, type, r->p, r->n, arena, e)
                            : evrec_json_decode(out, type, r->p, r->n, arena, jo, e);
  if (rc && r->kind == IN_DICT) e->line = e->column = 0, e->offset = EVREC_UNKNOWN; /* our text */
  return rc;
}

const char EVPY_RECORD_DIFF_DOC[] =
    "record_diff(a, b, *, type=None, ignore=None, float_tolerance=0.0, ignore_order=False, "
    "json_patch=False, ignore_unknown=False)\n--\n\n"
    "The differences between two records, each a dict, a JSON str or pb bytes, as a list of "
    "dicts like evrec.diff()'s: op, id (a's), path, old, new. With json_patch=True, the RFC 6902 "
    "operations that turn a's canonical JSON into b's: [{op, path, value}]. A record that does "
    "not decode raises, naming 'a' or 'b'. See python/README.md.";

PyObject *evpy_record_diff(PyObject *mod, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"a", "b", "type", "ignore", "float_tolerance", "ignore_order",
                           "json_patch", "ignore_unknown", NULL};
  (void)mod;
  PyObject *a, *b, *type = NULL, *ignore = NULL;
  double tol = 0.0;
  int order = 0, jp = 0, unknown = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|$OOdppp:record_diff", kwlist, &a, &b, &type,
                                   &ignore, &tol, &order, &jp, &unknown))
    return NULL;
  const ProtobufCMessageDescriptor *d = evpy_find_type(type);
  if (!d) return NULL;
  PyObject *keep = PyList_New(0), *out = NULL;
  dopts o = {.ignore = NULL};
  rin ra, rb;
  memset(&ra, 0, sizeof ra);
  memset(&rb, 0, sizeof rb);
  dpend pend;
  memset(&pend, 0, sizeof pend);
  evrec_arena *arena = evrec_arena_new(0);
  if (!keep || !arena) {
    if (!PyErr_Occurred()) PyErr_NoMemory();
    goto done;
  }
  if (dopts_make(&o, keep, ignore, tol, order, jp) || rin_get(&ra, a, "a") || rin_get(&rb, b, "b"))
    goto done;
  evrec_json_decode_options jo = EVREC_JSON_DECODE_OPTIONS_INIT;
  jo.flags = unknown ? EVREC_JSON_IGNORE_UNKNOWN : 0;
  ProtobufCMessage *ma = NULL, *mb = NULL;
  evrec_error e;
  int rc, bad = 0;
  Py_BEGIN_ALLOW_THREADS
  rc = rin_decode(&ra, d, &jo, arena, &ma, &e);
  if (rc == EVREC_OK) {
    bad = 1;
    rc = rin_decode(&rb, d, &jo, arena, &mb, &e);
  }
  if (rc == EVREC_OK) {
    bad = -1;
    rc = evrec_record_diff(ma, mb, &o.o, on_difference, &pend, &e);
  }
  Py_END_ALLOW_THREADS
  if (rc == EVREC_STOPPED) PyErr_NoMemory();
  else if (rc) evpy_raise(&e, bad < 0 ? NULL : bad ? "b" : "a");
  else if (jp) out = patch_list(&pend);
  else if ((out = PyList_New((Py_ssize_t)pend.n))) {
    for (size_t i = 0; out && i < pend.n; i++) {
      PyObject *x = delta_dict(&pend, &pend.v[i]);
      if (!x) Py_CLEAR(out);
      else PyList_SET_ITEM(out, (Py_ssize_t)i, x);
    }
  }
done:
  rin_free(&rb);
  rin_free(&ra);
  pend_free(&pend);
  evrec_arena_free(arena);
  PyMem_Free(o.ignore);
  Py_XDECREF(keep);
  return out;
}

const char EVPY_RECORD_PATCH_DOC[] =
    "record_patch(record, ops, *, type=None, ignore_unknown=False)\n--\n\n"
    "Applies the differences of one record -- dicts (or JSON lines) in the form evrec.diff() and "
    "evrec.record_diff() give, with the record's id -- to a record given as a dict, a JSON str "
    "or pb bytes, checking every old value; returns the patched record as a dict. An op that "
    "does not apply raises evrec.ConflictError, NotFoundError or SchemaError naming the op "
    "(ops[i]) and its path. See python/README.md.";

/* The ops as delta lines in one buffer: ends[i] is where op i's text ends. */
static int ops_text(PyObject *ops, evpy_buf *buf, size_t **ends, size_t *n) {
  PyObject *seq = PySequence_Fast(ops, "ops must be a list of difference dicts");
  if (!seq) return -1;
  Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
  *ends = PyMem_Calloc((size_t)len + 1, sizeof **ends);
  int rc = *ends ? 0 : (PyErr_NoMemory(), -1);
  for (Py_ssize_t i = 0; rc == 0 && i < len; i++) {
    PyObject *op = PySequence_Fast_GET_ITEM(seq, i);
    if (PyDict_Check(op)) {
      rc = evpy_to_json(buf, op);
    } else if (PyUnicode_Check(op)) {
      Py_ssize_t sn;
      const char *s = PyUnicode_AsUTF8AndSize(op, &sn);
      rc = !s || evpy_buf_reserve(buf, (size_t)sn) ? -1 : 0;
      if (rc == 0) memcpy(buf->data + buf->len, s, (size_t)sn), buf->len += (size_t)sn;
    } else {
      PyErr_Format(PyExc_TypeError, "ops[%zd]: an op is a dict or a JSON str, not %.100s", i,
                   Py_TYPE(op)->tp_name);
      rc = -1;
    }
    if (rc == 0) (*ends)[i] = buf->len;
  }
  *n = (size_t)len;
  Py_DECREF(seq);
  return rc;
}

/* A record_patch() call: its inputs, and what the work without the GIL
 * leaves for the result or the exception. */
typedef struct prun {
  const rin *rec;
  const ProtobufCMessageDescriptor *type;
  evrec_json_decode_options jo;
  const char *text;    /* the ops' JSON, one after the other */
  const size_t *ends;  /* ends[i]: where op i's text ends */
  size_t n;
  evrec_difference *v; /* the ops parsed (n) */
  evrec_arena *arena;
  ProtobufCMessage *m, *patched;
  size_t bad_op; /* the op a failure is about; SIZE_MAX: none found yet */
  int wrong_id;  /* that op is for another record */
  evrec_error e;
} prun;

/* Decodes the record, parses the ops, patches (no GIL). */
static int patch_run(prun *p) {
  int rc = rin_decode(p->rec, p->type, &p->jo, p->arena, &p->m, &p->e);
  for (size_t i = 0; rc == EVREC_OK && i < p->n; i++) {
    size_t from = i ? p->ends[i - 1] : 0;
    rc = evrec_difference_parse(&p->v[i], p->text + from, p->ends[i] - from, p->arena, &p->e);
    if (rc) {
      p->bad_op = i;
    } else if (strcmp(p->v[i].id, evrec__record_id(p->m)) != 0) {
      p->bad_op = i;
      p->wrong_id = 1;
      rc = EVREC_E_CONFLICT;
    }
  }
  if (rc == EVREC_OK) rc = evrec_record_patch(&p->patched, p->m, p->v, p->n, p->arena, &p->e);
  return rc;
}

/* Raises a failed run's error, prefixed with what it is about: "record"
 * (it did not decode) or the op, "ops[i]" (one that did not parse, is for
 * another record, or whose path the patcher's error names). */
static void patch_raise(prun *p) {
  char where[48] = "";
  if (p->bad_op == SIZE_MAX && p->m && p->e.code != EVREC_E_NOMEM)
    for (size_t i = 0; i < p->n; i++)
      if (!strcmp(p->v[i].path, p->e.path)) {
        p->bad_op = i;
        break;
      }
  if (p->bad_op != SIZE_MAX) snprintf(where, sizeof where, "ops[%zu]", p->bad_op);
  if (p->wrong_id)
    evpy_raise_msg(EVREC_E_CONFLICT, "%s: the op is for record \"%.100s\", not \"%.100s\"", where,
                   p->v[p->bad_op].id, evrec__record_id(p->m));
  else
    evpy_raise(&p->e, p->bad_op != SIZE_MAX ? where : p->m ? NULL : "record");
}

PyObject *evpy_record_patch(PyObject *mod, PyObject *args, PyObject *kw) {
  static char *kwlist[] = {"record", "ops", "type", "ignore_unknown", NULL};
  (void)mod;
  PyObject *rec, *ops, *type = NULL, *out = NULL;
  int unknown = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|$Op:record_patch", kwlist, &rec, &ops, &type,
                                   &unknown))
    return NULL;
  prun p = {.type = evpy_find_type(type), .jo = EVREC_JSON_DECODE_OPTIONS_INIT, .bad_op = SIZE_MAX};
  if (!p.type) return NULL;
  p.jo.flags = unknown ? EVREC_JSON_IGNORE_UNKNOWN : 0;
  evpy_buf text = {NULL, 0, 0};
  size_t *ends = NULL;
  rin r;
  memset(&r, 0, sizeof r);
  if (!(p.arena = evrec_arena_new(0))) {
    PyErr_NoMemory();
    goto done;
  }
  if (ops_text(ops, &text, &ends, &p.n) || rin_get(&r, rec, "record")) goto done;
  if (!(p.v = PyMem_Calloc(p.n + 1, sizeof *p.v))) {
    PyErr_NoMemory();
    goto done;
  }
  p.rec = &r;
  p.text = text.data;
  p.ends = ends;
  int rc;
  Py_BEGIN_ALLOW_THREADS
  rc = patch_run(&p);
  Py_END_ALLOW_THREADS
  if (rc == EVREC_OK) out = evpy_message_to_dict(p.patched);
  else patch_raise(&p);
done:
  rin_free(&r);
  evpy_buf_free(&text);
  PyMem_Free(ends);
  PyMem_Free(p.v);
  evrec_arena_free(p.arena);
  return out;
}

/* ====================================================================== */
/* Init                                                                   */
/* ====================================================================== */

int evpy_diff_init(PyObject *module) {
  static const char *const names[4] = {"", "add", "remove", "replace"};
  for (int i = 0; i < 4; i++)
    if (!op_names[i] && !(op_names[i] = PyUnicode_InternFromString(names[i]))) return -1;
  if (!json_loads) {
    PyObject *json = PyImport_ImportModule("json");
    json_loads = json ? PyObject_GetAttrString(json, "loads") : NULL;
    Py_XDECREF(json);
    if (!json_loads) return -1;
  }
  if (PyType_Ready(&DiffType)) return -1;
  return PyModule_AddObjectRef(module, "Diff", (PyObject *)&DiffType);
}
