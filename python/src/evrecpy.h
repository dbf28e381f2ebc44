/*
 * evrecpy.h -- private interface between the C files of the evrec Python
 * extension (evrec._evrec).
 *
 *   module.c   module init, exceptions, evrec.open (Reader), evrec.blocks
 *   writer.c   evrec.Writer
 *   todict.c   decoded message -> dicts, lists, str, int, float, bool, None
 *   tojson.c   Python value -> JSON text (Writer.write of a dict)
 *   table.c    records -> the columns of evrec.read_table
 *   validate.c evrec.validate
 *   diff.c     evrec.diff, evrec.record_diff, evrec.record_patch
 *
 * The extension links libevrec statically (build/libevrec.a) and, besides
 * the public API, uses the descriptor helpers of src/internal.h (WKT
 * classification, map detection, the Any registry): the same code the JSON
 * encoder uses, so dicts and JSON agree by construction, and always of the
 * same build (no version skew is possible with a static link).
 *
 * Every function here runs with the GIL held unless its comment says so.
 * The caches of interned keys live for the life of the process (module
 * state of a single-phase extension; the descriptors they key on are
 * static data of the same binary).
 */
#ifndef EVRECPY_H
#define EVRECPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "evrec.h"

/* ---------------------------------------------------------------- errors (module.c) */

/** Raises the evrec.Error subclass for err->code, with its attributes;
 *  `file` names the input (may be NULL). @return NULL. */
PyObject *evpy_raise(const evrec_error *err, const char *file);

/** Raises an evrec.Error subclass for `code` with a formatted message. */
PyObject *evpy_raise_msg(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- caches (todict.c) */

/** Interned Python str of a field's JSON (lowerCamelCase) name. Borrowed. */
PyObject *evpy_field_key(const ProtobufCFieldDescriptor *f);

/** Interned Python str of an enum value name; `short_name` drops the
 *  prefix its zero value has ("ACTOR_KIND_PERSON" -> "PERSON"). Borrowed;
 *  NULL when out of memory. */
PyObject *evpy_enum_name(const ProtobufCEnumDescriptor *ed, const ProtobufCEnumValue *v,
                         int short_name);

/* ---------------------------------------------------------------- conversion */

/** The dict of a message: canonical-JSON names and values, 64-bit
 *  integers as int, doubles (NaN and infinities too) as float. NULL with
 *  an exception set on failure (evrec.RangeError ... with the field path,
 *  as the JSON encoder fails). */
PyObject *evpy_message_to_dict(const ProtobufCMessage *msg);

/** Appends the JSON text of a Python value (dict, list, tuple, str, int,
 *  float, bool, None, bytes as base64) to *buf. @return 0, or -1 with an
 *  exception set (TypeError naming the path of the bad value). */
typedef struct evpy_buf {
  char *data;
  size_t len, cap;
} evpy_buf;
int evpy_buf_reserve(evpy_buf *b, size_t n);
void evpy_buf_free(evpy_buf *b);
int evpy_to_json(evpy_buf *buf, PyObject *value);

/* ---------------------------------------------------------------- tables (table.c) */

/** Names of the tables and, for each, its column names (NULL-terminated). */
extern const char *const evpy_table_names[];

/** A table being filled: one Python list per column. */
typedef struct evpy_table evpy_table;
evpy_table *evpy_table_new(const char *name);
/** Appends the rows of one record. @return 0 or -1 with an exception. */
int evpy_table_add(evpy_table *t, const ProtobufCMessage *record);
/** @return {column: list} in column order (new reference) and frees t. */
PyObject *evpy_table_finish(evpy_table *t);
void evpy_table_free(evpy_table *t);

/* ---------------------------------------------------------------- types (module.c, writer.c) */

extern PyTypeObject evpy_WriterType;
int evpy_writer_init_type(PyObject *module);

/** Resolves a message type name (full name, "evrec.v1.Record"); NULL =
 *  Record. Sets ValueError and returns NULL when unknown. */
const ProtobufCMessageDescriptor *evpy_find_type(PyObject *name);

/** A path, str or bytes or os.PathLike, as a new bytes object; NULL (no
 *  exception) when `obj` is not a path; NULL with an exception when
 *  converting it failed (out of memory, a bad path). */
PyObject *evpy_fspath(PyObject *obj);

/** Whether `obj` has the attribute `name`: 1 or 0, or -1 with the
 *  exception set when looking failed otherwise. (PyObject_HasAttrString
 *  reports any failure, a MemoryError too, as "no", which would turn
 *  running out of memory into a TypeError about the argument.) */
int evpy_has_attr(PyObject *obj, const char *name);

/** Takes the keyword `key` out of the dict kw (may be NULL): *out gets
 *  its value (a new reference) or NULL when absent. @return 0, or -1 with
 *  an exception set (PyDict_GetItemString would report running out of
 *  memory as "absent", and the keyword would then reach evrec.open). */
int evpy_pop_kw(PyObject *kw, const char *key, PyObject **out);

/* ---------------------------------------------------------------- readers for validate.c (module.c) */

/** evrec.open(*args, **kw): a new Reader, or NULL with an exception. */
PyObject *evpy_open_reader(PyObject *args, PyObject *kw);
/** The next record with the GIL released; < -100 with an exception set
 *  when the Reader is closed or in use by another thread. */
int evpy_reader_next_raw(PyObject *reader, const ProtobufCMessage **msg, evrec_error *e);
PyObject *evpy_reader_raise(PyObject *reader, const evrec_error *e);
const char *evpy_reader_name(PyObject *reader);
evrec_reader *evpy_reader_handle(PyObject *reader);
/** True for an evrec.Reader. */
int evpy_is_reader(PyObject *obj);
/** Marks a Reader as held by evrec.diff() until evpy_reader_unlock(): its
 *  own calls raise RuntimeError meanwhile. @return 0, or -1 with an
 *  exception (closed, in use, or on a block range). */
int evpy_reader_lock(PyObject *reader);
void evpy_reader_unlock(PyObject *reader);

/* ---------------------------------------------------------------- validation (validate.c) */

int evpy_validate_init(PyObject *module);
PyObject *evpy_validate(PyObject *mod, PyObject *args, PyObject *kw);
PyObject *evpy_rules(PyObject *mod, PyObject *unused);
/** A list of str (not a str) as a NULL-terminated C array from PyMem (free
 *  with PyMem_Free) of pointers into the strings, kept alive by appending
 *  the list to `keep`; None gives NULL and 0. `what` names the argument in
 *  the TypeError. */
int evpy_str_array(PyObject *seq, PyObject *keep, const char *what, const char ***out, size_t *n);

/* ---------------------------------------------------------------- diff (diff.c) */

int evpy_diff_init(PyObject *module);
PyObject *evpy_diff(PyObject *mod, PyObject *args, PyObject *kw);
PyObject *evpy_record_diff(PyObject *mod, PyObject *args, PyObject *kw);
PyObject *evpy_record_patch(PyObject *mod, PyObject *args, PyObject *kw);
extern const char EVPY_RECORD_DIFF_DOC[], EVPY_RECORD_PATCH_DOC[];

#endif /* EVRECPY_H */
