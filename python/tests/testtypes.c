/*
 * testtypes.c -- test-only extension _evrec_testtypes: the descriptors of
 * the all-types test schema (tests/proto/alltypes.proto) as capsules, for
 * evrec.open(..., type=_evrec_testtypes.ALL_TYPES). Lets the Python tests
 * run the dict builder over every field type (64-bit integers, floats,
 * bytes, maps of every key type, oneofs, every well-known type) with the
 * JSON cases of tests/diff/cases. Never installed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "alltypes.pb-c.h"

static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_evrec_testtypes", NULL, -1, NULL,
                                 NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__evrec_testtypes(void);

PyMODINIT_FUNC PyInit__evrec_testtypes(void) {
  PyObject *m = PyModule_Create(&def);
  PyObject *c = m ? PyCapsule_New((void *)(uintptr_t)&evrec__test__all_types__descriptor,
                                  "evrec.MessageDescriptor", NULL)
                  : NULL;
  if (!c || PyModule_AddObject(m, "ALL_TYPES", c)) {
    Py_XDECREF(c);
    Py_XDECREF(m);
    return NULL;
  }
  return m;
}
