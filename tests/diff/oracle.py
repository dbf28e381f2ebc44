#!/usr/bin/python3
"""oracle.py -- Google's side of evrec's differential test (driven by run.sh).

The oracle is Google's reference implementation of the proto3 JSON mapping:
Debian's python3-protobuf (`google.protobuf.json_format`), run by
/usr/bin/python3 (the pyenv `python3` on PATH has no protobuf). Message
classes come from `protoc --python_out` into BUILD/py at test time
(alltypes_pb2, evrec/v1/evrec_pb2); they are never committed.

Work layout (BUILD/diff/, rebuilt by run.sh on every run). One directory per
input set, with a `meta` file "TYPE KIND EXPECT" (TYPE alltypes|record, KIND
json|pb, EXPECT accept|reject|-) and these sub-directories, each holding
NAME.<ext> on success or NAME.err (one line) on failure:

    in/       the inputs: NAME.json (hand-written sets) or NAME.pb (random)
    e_pb/     evrec: in/*.json -> binary              (diffdriver json2pb)
    e_json/   evrec: our binary -> JSON               (diffdriver pb2json)
    g_pb/     Google: the message, deterministic binary     (oracle prepare)
    g_json/   Google: MessageToJson of the message          (oracle prepare)
    e_pb2/    evrec: g_json/*.json -> binary          (diffdriver json2pb)
    e_json2/  evrec: g_pb/*.pb -> JSON                (diffdriver pb2json)

`prepare` fills g_pb/ and g_json/; `verify` runs the checks, prints one FAIL
line per failed check and the summary `diff: N passed, M failed`, and exits 1
on any failure. The checks, per input:

    verdict      (JSON inputs) Google and evrec agree: both accept and produce
                 the same message (cases, seed), or both reject (reject set).
                 Whenever evrec rejects, its status must be the one the file
                 name starts with (see STATUS: syntax-, schema-, range-,
                 utf8-, limit-, truncated-, unsupported-).
    ours>google  evrec's JSON of evrec's binary, parsed by Google, is that
                 binary again (as a message).
    google>ours  Google's JSON of the message, parsed by evrec, is Google's
                 message again.
    canonical    evrec's JSON of Google's binary is byte-identical to evrec's
                 JSON of evrec's binary (deterministic output whatever the map
                 order or packing of the binary).
    google-reads (random inputs) Google accepts the binary evrec's random
                 generator produced.
    json-equal   (merge-* sets: binaries that repeat, split and concatenate
                 fields) evrec's JSON of the binary and json_format's
                 MessageToJson of Google's parse of it are the same JSON
                 value (objects compared as such; a number equal to the
                 other, or the same float32 -- the shortest texts of a
                 float may differ); with `ours>google` and `canonical` this
                 says evrec decodes the binary as Google does.

Messages are compared as deterministic serializations after normalising what
two equal messages may legitimately encode differently: the bytes inside
google.protobuf.Any (re-serialized deterministically, recursively) and NaN
payloads (JSON has one NaN).

Google's JSON is produced in varied styles (chosen per file by a hash of its
name, so runs are reproducible): pretty with \\u escapes (the default),
compact raw UTF-8, proto field names, and enums as numbers with default
values emitted. All are valid inputs evrec must accept.

Where Google's Python implementation has a quirk evrec deliberately does not
copy, the input is listed in KNOWN_DIVERGENCES below with the reason, and the
check asserts that exactly that divergence happens: an unlisted divergence
fails, and so does a listed one that no longer happens (the table cannot
silently grow or rot).
"""

import difflib
import json
import math
import struct
import os
import sys
import zlib

from google.protobuf import descriptor
from google.protobuf import json_format
from google.protobuf import symbol_database
from google.protobuf import text_format

# ============================================================================
# Known divergences from Google's Python implementation
# ============================================================================
#
# Key: "SET/FILE". Value: (outcome, detail, why).
#   outcome "google-only-accepts": Google accepts, evrec rejects (with the
#           status the file name starts with); detail = Google's binary (hex,
#           or "len=N,crc32=X" when longer than 32 bytes).
#   outcome "google-only-rejects": evrec accepts, Google rejects; detail = a
#           substring of Google's error message.
#   outcome "different": both accept with different messages; detail =
#           "google=HEX evrec=HEX".
# An optional fourth element gives the expected result of the google>ours
# check when it cannot pass: {"google>ours": X} with X the evrec status with
# which evrec rejects Google's JSON, "message-differs" (Google's JSON of its
# own message means another message), or "google-cannot-print" (Google's
# MessageToJson raises on the message its parser made).
_PY_INT = ("json_format converts integers with Python's int(), which also "
           "takes %s; the proto3 JSON mapping has JSON number syntax only")
_PY_FLOAT = ("json_format converts quoted floats with Python's float(), which "
             "also takes %s; the mapping allows a JSON number or "
             "\"NaN\"/\"Infinity\"/\"-Infinity\" only")
_PY_DURATION = ("Python parses Duration with int()/float(): %s passes; the "
                "mapping's form is -?digits(.1-9 digits)?s")
_PY_TIMESTAMP = ("Python parses Timestamp with strptime()/int(): %s passes; "
                 "RFC 3339 requires it")
_PY_NOT_OBJECT = ("json_format iterates over the value without checking it is "
                  "a JSON object, so [] reads as an empty message")
_PY_NAN_TOKEN = ("Python's json module accepts the non-standard token %s "
                 "(RFC 8259 has none); Google then prints the Value back as a "
                 "string, a different message")
_EXACT_INT = ("the mapping accepts integers in exponent notation and quoted; "
              "evrec reads a quoted integer exactly like a bare one (exact, "
              "must be integral and in range), Python's int() takes digits only")
_PBC_NEG_ZERO = ("protobuf-c 1.4.1 packs a proto3 singular float/double only "
                 "when it compares != 0, so -0.0 is dropped on the wire (the "
                 "decoded struct does hold -0.0); Google keeps the sign bit")

KNOWN_DIVERGENCES = {
    # ---- Google accepts, evrec rejects: Python leniency evrec does not copy
    "reject/range-float-overflow-string.json": (
        "google-only-accepts", "5d0000807f",
        "json_format range-checks float numbers but not quoted ones: \"3.5e38\" "
        "becomes +Infinity; a finite value beyond FLT_MAX is out of range "
        "however it is spelled"),
    "reject/range-timestamp-before-year-1-by-offset.json": (
        "google-only-accepts", "c2040b08f883b8c398feffffff01",
        "Python checks the date fields, not the UTC instant: the offset moves "
        "it before 0001-01-01, outside Timestamp's range (Google's own "
        "MessageToJson then fails on the message)",
        {"google>ours": "google-cannot-print"}),
    "reject/range-value-number-overflow.json": (
        "google-only-accepts", "e2040911000000000000f07f",
        "Python's json reads 1e400 as inf; a Value's number must be finite "
        "(Google prints it back as the string \"Infinity\", another message)",
        {"google>ours": "message-differs"}),
    "reject/schema-array-for-empty.json": (
        "google-only-accepts", "f20400", _PY_NOT_OBJECT),
    "reject/schema-array-for-message.json": (
        "google-only-accepts", "8a0100", _PY_NOT_OBJECT),
    "reject/schema-top-level-array.json": (
        "google-only-accepts", "", _PY_NOT_OBJECT),
    "reject/schema-bad-base64-char.json": (
        "google-only-accepts", "7a0269b7",
        "Python's base64 decoder (non-validating) drops characters outside "
        "the alphabet"),
    "reject/schema-bad-base64-padding-inside.json": (
        "google-only-accepts", "7a0100",
        "Python's base64 decoder stops at the first padding and ignores the "
        "rest"),
    "reject/schema-bool-for-enum.json": (
        "google-only-accepts", "800101",
        "json_format converts enum numbers with int(): true becomes 1"),
    "reject/schema-fraction-for-enum.json": (
        "google-only-accepts", "800101",
        "json_format converts enum numbers with int(): 1.5 is truncated to 1"),
    "reject/schema-duplicate-field-json-and-proto-name.json": (
        "google-only-accepts", "0802",
        "json_format detects duplicates by key text, not by field: fInt32 and "
        "f_int32 both set the field and the last wins"),
    "reject/schema-duplicate-map-key-int-spellings.json": (
        "google-only-accepts", "d2020408011002",
        "json_format detects duplicate map keys by text: \"1\" and \"01\" are "
        "the same int32 key, given twice, and the last wins"),
    "reject/schema-duration-empty-fraction.json": (
        "google-only-accepts", "ca04020801", _PY_DURATION % "\"1.s\""),
    "reject/schema-duration-leading-space.json": (
        "google-only-accepts", "ca04020801", _PY_DURATION % "\" 1s\""),
    "reject/schema-duration-plus-sign.json": (
        "google-only-accepts", "ca04020801", _PY_DURATION % "\"+1s\""),
    "reject/schema-duration-ten-fraction-digits.json": (
        "google-only-accepts", "ca04020801",
        _PY_DURATION % "a 10th fractional digit (rounded away)"),
    "reject/schema-float-string-inf.json": (
        "google-only-accepts", "61000000000000f07f", _PY_FLOAT % "\"inf\""),
    "reject/schema-float-string-spaces.json": (
        "google-only-accepts", "5d0000c03f", _PY_FLOAT % "surrounding spaces"),
    "reject/schema-float-string-underscore.json": (
        "google-only-accepts", "610000000000002440",
        _PY_FLOAT % "digit separators (\"1_0\")"),
    "reject/schema-int-string-leading-tab.json": (
        "google-only-accepts", "0801",
        _PY_INT % "leading whitespace other than a space"),
    "reject/schema-int-string-underscore.json": (
        "google-only-accepts", "08e807",
        _PY_INT % "digit separators (\"1_000\")"),
    "reject/schema-timestamp-empty-fraction.json": (
        "google-only-accepts", "c20400",
        _PY_TIMESTAMP % "a '.' without digits"),
    "reject/schema-timestamp-offset-one-digit-hour.json": (
        "google-only-accepts", "c2040b08f0e3ffffffffffffff01",
        _PY_TIMESTAMP % "a one-digit offset hour"),
    "reject/schema-timestamp-one-digit-month.json": (
        "google-only-accepts", "c20400", _PY_TIMESTAMP % "a one-digit month"),
    "reject/schema-fieldmask-empty-path.json": (
        "google-only-accepts", "d204140a07665f696e7433320a000a07665f696e743634",
        "Python splits the mask on ',' and keeps the empty path; an empty "
        "path names no field (Google prints it back, evrec rejects that too)",
        {"google>ours": -2}),
    "reject/schema-fieldmask-trailing-comma.json": (
        "google-only-accepts", "d2040b0a07665f696e7433320a00",
        "Python splits the mask on ',' and keeps the empty path; an empty "
        "path names no field (Google prints it back, evrec rejects that too)",
        {"google>ours": -2}),
    "reject/schema-any-wkt-unknown-extra-key.json": (
        "google-only-accepts", "len=53,crc32=b9d49ef4",
        "json_format reads only \"value\" from an Any holding a well-known "
        "type and ignores other keys; they are unknown fields"),
    "reject/syntax-bare-nan-in-listvalue.json": (
        "google-only-accepts", "ea040f0a0208000a0911000000000000f87f",
        _PY_NAN_TOKEN % "NaN", {"google>ours": "message-differs"}),
    "reject/syntax-bare-infinity-in-struct.json": (
        "google-only-accepts", "da04100a0e0a0161120911000000000000f0ff",
        _PY_NAN_TOKEN % "-Infinity", {"google>ours": "message-differs"}),
    "reject/syntax-bare-nan-in-value.json": (
        "google-only-accepts", "e2040911000000000000f87f",
        _PY_NAN_TOKEN % "NaN", {"google>ours": "message-differs"}),
    "reject/unsupported-string-with-nul-escape.json": (
        "google-only-accepts", "7203610062",
        "protobuf-c strings are NUL-terminated and cannot hold U+0000: evrec "
        "refuses rather than truncate (also in Google's JSON of the message)",
        {"google>ours": -10}),
    # ---- evrec accepts, Google rejects
    "cases/utf8-bom-skipped.json": (
        "google-only-rejects", "Unexpected UTF-8 BOM",
        "RFC 8259 section 8.1 lets a parser ignore a byte order mark at the start; "
        "evrec_json_decode() skips one as evrec's reader does in files (one, at "
        "the very start; columns count after it); Python's json module refuses it"),
    "cases/int-string-exponent.json": (
        "google-only-rejects", "invalid literal for int() with base 10: '1e3'",
        _EXACT_INT),
    "cases/int-string-integral-fraction.json": (
        "google-only-rejects", "invalid literal for int() with base 10: '1.0'",
        _EXACT_INT),
    "cases/map-key-exponent.json": (
        "google-only-rejects", "invalid literal for int() with base 10: '1e2'",
        _EXACT_INT + " (map keys included)"),
    "cases/float-max-shortest-form.json": (
        "google-only-rejects", "Float value too large",
        "3.4028235e38 is the shortest text that reads back as FLT_MAX (Google's "
        "MessageToJson prints it); json_format compares the double with "
        "FLT_MAX before rounding to float and rejects it, its own output "
        "included (protobuf issue 8336; C++, C#, Go and protobuf-es accept it; "
        "evrec prints 3.402823466e+38, which every parser reads)"),
    # ---- both accept, different messages
    "cases/double-negative-zero-singular.json": (
        "different", "google=610000000000000080 evrec=", _PBC_NEG_ZERO,
        {"google>ours": "message-differs"}),
    "cases/map-value-negative-zero.json": (
        "different", "google=f2020b0802110000000000000080 evrec=f2020b0802110000000000000000",
        _PBC_NEG_ZERO + " (a map value is a singular field of the entry)",
        {"google>ours": "message-differs"}),
}

# evrec_status values (include/evrec.h) by the file-name prefix that names them.
STATUS = {
    "syntax": -1, "schema": -2, "range": -3, "utf8": -4, "limit": -5,
    "truncated": -8, "unsupported": -10,
}

FD = descriptor.FieldDescriptor


# ============================================================================
# Message classes
# ============================================================================

def load_classes(build):
    """Imports the protoc-generated modules from BUILD/py."""
    sys.path.insert(0, os.path.join(build, "py"))
    import alltypes_pb2  # noqa: E402 (generated at test time)
    classes = {"alltypes": alltypes_pb2.AllTypes}
    try:
        from evrec.v1 import evrec_pb2
        classes["record"] = evrec_pb2.Record
    except ImportError:
        pass  # run.sh skips the record sets when the schema is missing
    return classes


def class_for_type_url(url):
    """The message class an Any's type URL names (as json_format finds it)."""
    db = symbol_database.Default()
    desc = db.pool.FindMessageTypeByName(url.split("/")[-1])
    return db.GetPrototype(desc)


# ============================================================================
# Canonical bytes: compare messages, not encodings
# ============================================================================

def _is_map(field):
    return (field.type == FD.TYPE_MESSAGE and
            field.message_type.GetOptions().map_entry)


def _norm_float(x):
    return float("nan") if math.isnan(x) else x


def _norm_any(m):
    if not m.type_url:
        return
    try:
        inner = class_for_type_url(m.type_url)()
        inner.ParseFromString(m.value)
    except Exception:  # unknown type or bad bytes: compare as they are
        return
    _norm(inner)
    m.value = inner.SerializeToString(deterministic=True)


def _norm_field(m, field, value):
    if field.cpp_type == FD.CPPTYPE_MESSAGE:
        if _is_map(field):
            vfield = field.message_type.fields_by_name["value"]
            for k in list(value.keys()):
                if vfield.cpp_type == FD.CPPTYPE_MESSAGE:
                    _norm(value[k])
                elif vfield.cpp_type in (FD.CPPTYPE_FLOAT, FD.CPPTYPE_DOUBLE):
                    value[k] = _norm_float(value[k])
        elif field.label == FD.LABEL_REPEATED:
            for sub in value:
                _norm(sub)
        else:
            _norm(value)
    elif field.cpp_type in (FD.CPPTYPE_FLOAT, FD.CPPTYPE_DOUBLE):
        if field.label == FD.LABEL_REPEATED:
            for i, x in enumerate(value):
                value[i] = _norm_float(x)
        else:
            setattr(m, field.name, _norm_float(value))


def _norm(m):
    if m.DESCRIPTOR.full_name == "google.protobuf.Any":
        _norm_any(m)
        return
    for field, value in m.ListFields():
        _norm_field(m, field, value)


def canon(msg):
    """Deterministic bytes of a normalised copy of msg."""
    m = type(msg)()
    m.CopyFrom(msg)
    _norm(m)
    return m.SerializeToString(deterministic=True)


def canon_binary(cls, data):
    """canon() of a binary, or None when Google cannot read it."""
    try:
        return canon(cls.FromString(data))
    except Exception:
        return None


def _float32(x):
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except (OverflowError, struct.error):
        return None


def same_json(a, b):
    """Equal JSON values; numbers equal as numbers or as float32."""
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys() and
                all(same_json(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return (isinstance(b, list) and len(a) == len(b) and
                all(same_json(x, y) for x, y in zip(a, b)))
    numbers = (int, float)
    if (isinstance(a, numbers) and isinstance(b, numbers) and
            not isinstance(a, bool) and not isinstance(b, bool)):
        return a == b or (_float32(a) is not None and _float32(a) == _float32(b))
    return type(a) is type(b) and a == b


def short_hex(data):
    """Hex of a binary, or its length and CRC-32 when that would be long."""
    if len(data) <= 32:
        return data.hex()
    return "len=%d,crc32=%08x" % (len(data), zlib.crc32(data))


def show_diff(cls, a, b):
    """The first differing lines of two binaries in text format (Any
    payloads expanded), for the failure message."""
    def lines(data):
        try:
            return text_format.MessageToString(
                cls.FromString(data),
                descriptor_pool=symbol_database.Default().pool).splitlines()
        except Exception as e:
            return ["<unreadable by Google: %s>" % e]
    diff = [l for l in difflib.unified_diff(lines(a), lines(b), "expected", "got",
                                           n=1, lineterm="")]
    return "".join("\n      " + l for l in diff[2:14])


# ============================================================================
# Files
# ============================================================================

def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8"))


def result(dirpath, name, ext):
    """(True, bytes) for dir/name.ext, (False, error line) for dir/name.err,
    (False, "missing") when neither exists."""
    p = os.path.join(dirpath, name + ext)
    if os.path.exists(p):
        return True, read(p)
    e = os.path.join(dirpath, name + ".err")
    if os.path.exists(e):
        return False, read(e).decode("utf-8", "replace").strip()
    return False, "missing (driver crashed?)"


def err_status(line):
    """The evrec status in a diffdriver error line "ERROR <code> ..."."""
    parts = line.split()
    if len(parts) >= 2 and parts[0] == "ERROR":
        try:
            return int(parts[1])
        except ValueError:
            pass
    return None


def sets(work):
    """[(set name, meta dict)] for every set directory in WORK."""
    out = []
    for s in sorted(os.listdir(work)):
        meta = os.path.join(work, s, "meta")
        if os.path.exists(meta):
            t, kind, expect = read(meta).decode().split()
            out.append((s, {"type": t, "kind": kind, "expect": expect}))
    return out


def inputs(work, s, kind):
    ext = "." + kind
    d = os.path.join(work, s, "in")
    return sorted(f[:-len(ext)] for f in os.listdir(d) if f.endswith(ext))


# ============================================================================
# prepare: Google's binary and JSON of every input
# ============================================================================

def json_style(name):
    """Varied MessageToJson options, reproducible per input name."""
    k = zlib.crc32(name.encode()) % 4
    if k == 0:
        return {}
    if k == 1:
        return {"indent": None, "ensure_ascii": False}
    if k == 2:
        return {"indent": None, "preserving_proto_field_name": True}
    return {"indent": 1, "use_integers_for_enums": True,
            "including_default_value_fields": True}


def google_message(cls, kind, data):
    if kind == "json":
        return json_format.Parse(data, cls())
    return cls.FromString(data)


def prepare_one(cls, kind, sdir, name):
    data = read(os.path.join(sdir, "in", name + "." + kind))
    try:
        msg = google_message(cls, kind, data)
        write(os.path.join(sdir, "g_pb", name + ".pb"), canon(msg))
    except Exception as e:
        write(os.path.join(sdir, "g_pb", name + ".err"),
              "%s: %s" % (type(e).__name__, e))
        return
    try:
        js = json_format.MessageToJson(msg, **json_style(name))
        write(os.path.join(sdir, "g_json", name + ".json"), js)
    except Exception as e:
        write(os.path.join(sdir, "g_json", name + ".err"),
              "%s: %s" % (type(e).__name__, e))


def prepare(build):
    classes = load_classes(build)
    work = os.path.join(build, "diff")
    for s, meta in sets(work):
        cls = classes[meta["type"]]
        for name in inputs(work, s, meta["kind"]):
            prepare_one(cls, meta["kind"], os.path.join(work, s), name)
    return 0


# ============================================================================
# verify: the checks
# ============================================================================

class Verifier(object):
    """Counts checks and prints one line per failure."""

    def __init__(self, work, classes):
        self.work = work
        self.classes = classes
        self.passed = 0
        self.failed = 0
        self.seen_divergences = set()

    def check(self, ok, label, why=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            if len(why) > 1200:
                why = why[:1200] + "..."
            print("FAIL %s%s" % (label, ": " + why if why else ""))

    # ------------------------------------------------------------ helpers

    def google_parse(self, cls, data):
        """(True, canonical bytes) or (False, error text)."""
        try:
            return True, canon(json_format.Parse(data, cls()))
        except Exception as e:
            return False, "%s: %s" % (type(e).__name__, e)

    def google_to_ours(self, cls, sdir, name, label, want, expect="ok"):
        """evrec parses Google's JSON of the message with canonical bytes
        `want`. `expect` is "ok", or for a known divergence the evrec status
        it fails with, "message-differs" or "google-cannot-print"."""
        gj = result(os.path.join(sdir, "g_json"), name, ".json")
        e2 = result(os.path.join(sdir, "e_pb2"), name, ".pb")
        c = canon_binary(cls, e2[1]) if e2[0] else None
        if not gj[0]:
            got, why = "google-cannot-print", "Google's MessageToJson fails: " + gj[1]
        elif not e2[0]:
            got, why = err_status(e2[1]), "evrec rejects Google's JSON: " + e2[1]
        elif c is None:
            got, why = "unreadable", "Google cannot read evrec's binary"
        elif c != want:
            got, why = "message-differs", "messages differ" + show_diff(cls, want, c)
        else:
            got, why = "ok", ""
        if expect != "ok" and got != expect:
            why = "known divergence (%s) does not hold: %s" % (expect, why or got)
        self.check(got == expect, label, why)

    def ours_to_google(self, cls, sdir, name, label, ours):
        """Google parses evrec's JSON of evrec's binary `ours`."""
        ok, js = result(os.path.join(sdir, "e_json"), name, ".json")
        if not ok:
            self.check(False, label, "evrec cannot encode: " + js)
            return
        gok, parsed = self.google_parse(cls, js)
        if not gok:
            self.check(False, label, "Google rejects evrec's JSON: " + parsed)
            return
        want = canon_binary(cls, ours)
        self.check(parsed == want, label,
                   "messages differ" + show_diff(cls, want, parsed))

    def canonical(self, sdir, name, label):
        a = result(os.path.join(sdir, "e_json"), name, ".json")
        b = result(os.path.join(sdir, "e_json2"), name, ".json")
        self.check(a[0] and b[0] and a[1] == b[1], label,
                   "evrec's JSON differs for the same message:\n      %r\n      %r"
                   % (a[1][:200], b[1][:200]))

    # ------------------------------------------------------------ JSON inputs

    def outcome(self, g, e):
        """How Google's result g (ok, canonical bytes | error) and evrec's e
        (ok, bytes | error, canonical bytes) relate."""
        if g[0] and e[0]:
            return "same" if e[2] == g[1] else "different"
        if g[0]:
            return "google-only-accepts"
        return "google-only-rejects" if e[0] else "both-reject"

    def divergence_detail(self, outcome, g, e):
        """What KNOWN_DIVERGENCES records about an outcome (see its header)."""
        if outcome == "google-only-accepts":
            return short_hex(g[1])
        if outcome == "different":
            return "google=%s evrec=%s" % (short_hex(g[1]), short_hex(e[2]))
        if outcome == "google-only-rejects":
            return g[1]
        return ""

    def expected_divergence(self, key, got, g, e):
        """(ok, why) for an input listed in KNOWN_DIVERGENCES."""
        self.seen_divergences.add(key)
        want, detail = KNOWN_DIVERGENCES[key][:2]
        have = self.divergence_detail(got, g, e)
        if got == "google-only-rejects":
            ok = got == want and detail in have
        else:
            ok = got == want and detail == have
        return ok, "known divergence does not hold: want %s %r, got %s %r%s" % (
            want, detail, got, have, "" if g[0] else "; Google: " + g[1])

    def expected_outcome(self, cls, meta, got, g, e):
        """(ok, why) for an input not listed in KNOWN_DIVERGENCES."""
        want = "same" if meta["expect"] == "accept" else "both-reject"
        why = "expected %s, got %s; Google: %s; evrec: %s" % (
            want, got, "ok" if g[0] else g[1], "ok" if e[0] else e[1])
        if got == "different":
            why += show_diff(cls, g[1], e[2] or e[1])
        return got == want, why

    def verdict(self, cls, key, meta, name, g, e):
        got = self.outcome(g, e)
        if key in KNOWN_DIVERGENCES:
            ok, why = self.expected_divergence(key, got, g, e)
        else:
            ok, why = self.expected_outcome(cls, meta, got, g, e)
        if ok and not e[0]:
            prefix = name.split("-")[0]
            ok = STATUS.get(prefix) is not None and err_status(e[1]) == STATUS[prefix]
            why = "evrec rejects with %r but the file name says %s" % (e[1], prefix)
        self.check(ok, key + " verdict", why)
        return got

    def json_input(self, cls, s, meta, name):
        sdir = os.path.join(self.work, s)
        g = result(os.path.join(sdir, "g_pb"), name, ".pb")
        e = result(os.path.join(sdir, "e_pb"), name, ".pb")
        e += (canon_binary(cls, e[1]) if e[0] else None,)
        key = "%s/%s.json" % (s, name)
        got = self.verdict(cls, key, meta, name, g, e)
        div = KNOWN_DIVERGENCES.get(key, ())
        extra = div[3] if len(div) > 3 else {}
        if e[0]:
            self.ours_to_google(cls, sdir, name, key + " ours>google", e[1])
        if g[0]:
            self.google_to_ours(cls, sdir, name, key + " google>ours", g[1],
                                extra.get("google>ours", "ok"))
        if got == "same":
            self.canonical(sdir, name, key + " canonical")

    # ------------------------------------------------------------ binary inputs

    def json_equal(self, cls, sdir, name, label):
        """evrec's JSON of the input and MessageToJson of Google's parse of
        it are the same JSON value."""
        ok, ours = result(os.path.join(sdir, "e_json"), name, ".json")
        if not ok:
            self.check(False, label, "evrec cannot encode: " + ours)
            return
        try:
            msg = cls.FromString(read(os.path.join(sdir, "in", name + ".pb")))
            theirs = json_format.MessageToJson(msg, indent=None)
        except Exception as e:
            self.check(False, label, "Google cannot print: %s: %s" % (type(e).__name__, e))
            return
        a, b = json.loads(ours), json.loads(theirs)
        self.check(same_json(a, b), label,
                   "JSON differs:\n      evrec  %s\n      google %s" % (ours[:600], theirs[:600]))

    def pb_input(self, cls, s, name):
        sdir = os.path.join(self.work, s)
        key = "%s/%s.pb" % (s, name)
        g = result(os.path.join(sdir, "g_pb"), name, ".pb")
        self.check(g[0], key + " google-reads", g[1] if not g[0] else "")
        if not g[0]:
            return
        ours = read(os.path.join(sdir, "in", name + ".pb"))
        self.ours_to_google(cls, sdir, name, key + " ours>google", ours)
        self.google_to_ours(cls, sdir, name, key + " google>ours", g[1])
        self.canonical(sdir, name, key + " canonical")
        if s.startswith("merge-"):
            self.json_equal(cls, sdir, name, key + " json-equal")

    # ------------------------------------------------------------ driver

    def run(self):
        for s, meta in sets(self.work):
            cls = self.classes[meta["type"]]
            before = self.passed + self.failed
            for name in inputs(self.work, s, meta["kind"]):
                if meta["kind"] == "json":
                    self.json_input(cls, s, meta, name)
                else:
                    self.pb_input(cls, s, name)
            print("diff: %-14s %5d checks" % (s, self.passed + self.failed - before))
        for key in sorted(set(KNOWN_DIVERGENCES) - self.seen_divergences):
            self.check(False, key, "listed in KNOWN_DIVERGENCES but not tested")


def verify(build, driver_failures):
    v = Verifier(os.path.join(build, "diff"), load_classes(build))
    v.run()
    for i in range(driver_failures):
        v.check(False, "diffdriver", "a diffdriver run failed (see above)")
    print("diff: %d passed, %d failed" % (v.passed, v.failed))
    return 1 if v.failed else 0


def main(argv):
    if len(argv) >= 3 and argv[1] == "prepare":
        return prepare(argv[2])
    if len(argv) >= 3 and argv[1] == "verify":
        return verify(argv[2], int(argv[3]) if len(argv) > 3 else 0)
    sys.stderr.write("usage: oracle.py prepare|verify BUILD_DIR [DRIVER_FAILURES]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
