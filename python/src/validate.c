/*
 * validate.c -- evrec.validate(): the library's validator (SPEC §6,
 * docs/VALIDATION.md) over a Reader, as an iterator of violation dicts.
 *
 * The loop is evrec_validate_reader()'s (src/validate.c, validate_stream),
 * driven one record per step so that violations stream out with bounded
 * memory: the reader is opened with EVREC_READ_SKIP_INVALID and
 * EVREC_READ_SKIP_DAMAGE, as `evrec validate` opens it; a record it cannot
 * decode is a violation of a decode-* rule carrying the reader's position
 * (evrec__validate_decode_error(), shared with that loop);
 * validation ends at the input's end or where the reader cannot go on.
 * The dicts have the keys and values of `evrec validate --format json`
 * (record numbers from 1). Records are read with the GIL released; the
 * checks and the dicts are made with it held.
 */
#include "evrecpy.h"

#include <string.h>

#include "internal.h"

typedef struct ValidationObject {
  PyObject_HEAD
  PyObject *reader;
  PyObject *patterns; /* keeps the rule pattern strings alive */
  evrec_validator *v;
  PyObject *pending;  /* violations of the current record, not yet yielded */
  Py_ssize_t next;
  evrec_validate_stats st;
  int done;
  int failed;         /* the callback could not build a dict */
} ValidationObject;

static PyTypeObject ValidationType;

static PyObject *text(const char *s) {
  return PyUnicode_DecodeUTF8(s ? s : "", (Py_ssize_t)strlen(s ? s : ""), "replace");
}

/* One violation as `evrec validate --format json` prints it. */
static PyObject *violation_dict(ValidationObject *self, const char *rule, evrec_severity sev,
                                uint64_t record, const char *id, const char *path,
                                const char *message, const evrec_error *e) {
  const char *name = evpy_reader_name(self->reader);
  PyObject *d = Py_BuildValue("{s:N,s:K,s:N,s:s,s:s,s:N,s:N}", "file", PyUnicode_DecodeFSDefault(name),
                              "record", (unsigned long long)record + 1, "id", text(id), "rule", rule,
                              "severity", sev == EVREC_SEVERITY_ERROR ? "error" : "warning", "path",
                              text(path), "message", text(message));
  if (d && e && e->line) {
    PyObject *l = PyLong_FromUnsignedLong(e->line), *c = PyLong_FromUnsignedLong(e->column);
    if (!l || !c || PyDict_SetItemString(d, "line", l) || PyDict_SetItemString(d, "column", c))
      Py_CLEAR(d);
    Py_XDECREF(l);
    Py_XDECREF(c);
  }
  if (d && e && e->offset != EVREC_UNKNOWN) {
    PyObject *o = PyLong_FromUnsignedLongLong(e->offset);
    if (!o || PyDict_SetItemString(d, "offset", o)) Py_CLEAR(d);
    Py_XDECREF(o);
  }
  return d;
}

static int on_violation(const evrec_violation *v, void *payload) {
  ValidationObject *self = payload;
  /* A decoding violation whose record is unknown counts as the first. */
  uint64_t record = v->record == EVREC_UNKNOWN ? 0 : v->record;
  PyObject *d = violation_dict(self, v->rule, v->severity, record, v->record_id, v->path,
                               v->message, v->error);
  if (!d || PyList_Append(self->pending, d)) self->failed = 1;
  Py_XDECREF(d);
  return self->failed; /* stop on failure: the exception is raised by next() */
}

/* Reads and checks records until some violations are pending or the end. */
static int step(ValidationObject *self) {
  while (!self->done && PyList_GET_SIZE(self->pending) == 0) {
    const ProtobufCMessage *msg = NULL;
    evrec_error e;
    int rc = evpy_reader_next_raw(self->reader, &msg, &e);
    if (rc < -100) return -1;
    if (rc == EVREC_DONE) {
      self->done = 1;
    } else if (rc == EVREC_OK) {
      evrec_reader *r = evpy_reader_handle(self->reader);
      rc = evrec_validator_check(self->v, msg, evrec_reader_count(r) - 1, &self->st, on_violation,
                                 self, &e);
      if (self->failed) return -1;
      if (rc < 0) return evpy_raise(&e, evpy_reader_name(self->reader)), -1;
    } else {
      rc = evrec__validate_decode_error(rc, &e, &self->st, on_violation, self);
      if (rc < 0) return evpy_reader_raise(self->reader, &e), -1; /* I/O, memory: not a record */
      if (rc) return -1; /* on_violation() failed */
      if (evrec__reader_sticky(evpy_reader_handle(self->reader))) self->done = 1;
    }
  }
  return 0;
}

static PyObject *validation_next(ValidationObject *self) {
  if (self->next >= PyList_GET_SIZE(self->pending)) {
    if (PyList_SetSlice(self->pending, 0, PyList_GET_SIZE(self->pending), NULL)) return NULL;
    self->next = 0;
    if (step(self)) return NULL;
    if (PyList_GET_SIZE(self->pending) == 0) return NULL; /* the end */
  }
  PyObject *d = PyList_GET_ITEM(self->pending, self->next);
  self->next++;
  return Py_NewRef(d);
}

static void validation_dealloc(ValidationObject *self) {
  evrec_validator_free(self->v);
  Py_XDECREF(self->reader);
  Py_XDECREF(self->patterns);
  Py_XDECREF(self->pending);
  PyObject_Free(self);
}

static PyObject *validation_get_stats(ValidationObject *self, void *c) {
  (void)c;
  return Py_BuildValue("{s:K,s:K,s:K,s:K}", "records", (unsigned long long)self->st.records,
                       "invalid", (unsigned long long)self->st.invalid, "errors",
                       (unsigned long long)self->st.errors, "warnings",
                       (unsigned long long)self->st.warnings);
}

static PyGetSetDef validation_getset[] = {
    {"stats", (getter)validation_get_stats, NULL,
     "counts so far: records, invalid (records with an error), errors, warnings", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject ValidationType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "evrec.Validation",
    .tp_basicsize = sizeof(ValidationObject),
    .tp_dealloc = (destructor)validation_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "An iterator of the violations of a stream's records (evrec.validate()).",
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)validation_next,
    .tp_getset = validation_getset,
};

int evpy_str_array(PyObject *seq, PyObject *keep, const char *what, const char ***out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (!seq || seq == Py_None) return 0;
  if (PyUnicode_Check(seq)) {
    PyErr_Format(PyExc_TypeError, "%s", what);
    return -1;
  }
  PyObject *list = PySequence_List(seq);
  if (!list || PyList_Append(keep, list)) {
    Py_XDECREF(list);
    return -1;
  }
  Py_DECREF(list); /* kept alive by `keep` */
  Py_ssize_t len = PyList_GET_SIZE(list);
  const char **v = PyMem_Calloc((size_t)len + 1, sizeof *v);
  if (!v) return PyErr_NoMemory(), -1;
  for (Py_ssize_t i = 0; i < len; i++) {
    PyObject *s = PyList_GET_ITEM(list, i);
    if (!PyUnicode_Check(s) || !(v[i] = PyUnicode_AsUTF8(s))) {
      if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%s", what);
      PyMem_Free(v);
      return -1;
    }
  }
  *out = v;
  *n = (size_t)len;
  return 0;
}

PyObject *evpy_validate(PyObject *mod, PyObject *args, PyObject *kw) {
  (void)mod;
  PyObject *k = kw ? PyDict_Copy(kw) : PyDict_New();
  if (!k) return NULL;
  PyObject *strict = NULL, *rules = NULL, *skip = NULL;
  ValidationObject *self = NULL;
  const char **rv = NULL, **sv = NULL;
  evrec_validate_options o = EVREC_VALIDATE_OPTIONS_INIT;
  if (evpy_pop_kw(k, "strict", &strict) || evpy_pop_kw(k, "rules", &rules) ||
      evpy_pop_kw(k, "skip_rules", &skip))
    goto done;
  if (PyDict_SetItemString(k, "skip_invalid", Py_True) || PyDict_SetItemString(k, "skip_damage", Py_True))
    goto done;
  self = PyObject_New(ValidationObject, &ValidationType);
  if (!self) goto done;
  self->reader = self->patterns = self->pending = NULL;
  self->v = NULL;
  self->next = 0;
  memset(&self->st, 0, sizeof self->st);
  self->done = self->failed = 0;
  if (!(self->patterns = PyList_New(0)) || !(self->pending = PyList_New(0))) goto fail;
  if (strict && PyObject_IsTrue(strict)) o.flags |= EVREC_VALIDATE_STRICT;
  static const char what[] = "rules and skip_rules are lists of rule ids or globs (str)";
  if (evpy_str_array(rules, self->patterns, what, &rv, &o.n_rules) ||
      evpy_str_array(skip, self->patterns, what, &sv, &o.n_skip_rules))
    goto fail;
  o.rules = rv;
  o.skip_rules = sv;
  evrec_error e;
  if (evrec_validator_new(&self->v, &o, &e)) {
    evpy_raise(&e, NULL);
    goto fail;
  }
  if (!(self->reader = evpy_open_reader(args, k))) goto fail;
  goto done;
fail:
  Py_CLEAR(self);
done:
  PyMem_Free(rv);
  PyMem_Free(sv);
  Py_XDECREF(strict);
  Py_XDECREF(rules);
  Py_XDECREF(skip);
  Py_DECREF(k);
  return (PyObject *)self;
}

PyObject *evpy_rules(PyObject *mod, PyObject *unused) {
  (void)mod;
  (void)unused;
  size_t n = 0;
  const evrec_rule *r = evrec_rules(&n);
  PyObject *list = PyList_New((Py_ssize_t)n);
  for (size_t i = 0; list && i < n; i++) {
    PyObject *d = Py_BuildValue("{s:s,s:s,s:s,s:s}", "id", r[i].id, "severity",
                                r[i].severity == EVREC_SEVERITY_ERROR ? "error" : "warning",
                                "group", r[i].group, "summary", r[i].summary);
    if (!d) Py_CLEAR(list);
    else PyList_SET_ITEM(list, (Py_ssize_t)i, d);
  }
  return list;
}

int evpy_validate_init(PyObject *module) {
  if (PyType_Ready(&ValidationType)) return -1;
  return PyModule_AddObjectRef(module, "Validation", (PyObject *)&ValidationType);
}
