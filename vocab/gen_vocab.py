#!/usr/bin/env python3
"""gen_vocab.py -- vocabularies -> sorted C tables for src/vocab.c.

    gen_vocab.py VOCAB_DIR ISO_CODES_JSON_DIR OUT.c

Reads CAMEO event codes, PLOVER 2.0 categories and contexts, the FIPS 10-4
-> ISO 3166 cross-reference (VOCAB_DIR, see its README.md) and ISO 3166-1 /
ISO 639 from Debian's iso-codes JSON. One generator for the whole project:
`evrec validate` (src/validate.c) and `evrec import` (tools/imp_vocab.c)
read the same tables. Every table is sorted in strcmp() order (bytes), so
src/vocab.c can binary-search it. Any malformed input line stops the build:
a vocabulary silently shortened would pass bad codes. The output depends
only on the inputs, so rebuilding gives the same file.
"""
import json
import os
import re
import sys


def fail(msg):
    sys.exit("gen_vocab.py: " + msg)


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cameo(path):
    codes = {}
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        if header != "code\tdescription":
            fail("%s: unexpected header %r" % (path, header))
        for n, line in enumerate(f, 2):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not re.fullmatch(r"[0-9]{2,4}", parts[0]):
                fail("%s:%d: not 'CODE<TAB>LABEL': %r" % (path, n, line))
            root = int(parts[0][:2])
            if not 1 <= root <= 20:
                fail("%s:%d: root %02d is not a CAMEO root (01-20)" % (path, n, root))
            if parts[0] in codes:
                fail("%s:%d: duplicate code %s" % (path, n, parts[0]))
            codes[parts[0]] = parts[1]
    return sorted(codes.items())


QUADS = {"VERBAL_COOPERATION": 1, "MATERIAL_COOPERATION": 2,
         "VERBAL_CONFLICT": 3, "MATERIAL_CONFLICT": 4}


def plover(path):
    cats = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        if header != "category\tquad_class\trequires_recipient\tmodes":
            fail("%s: unexpected header %r" % (path, header))
        for n, line in enumerate(f, 2):
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if (len(parts) != 4 or not re.fullmatch(r"[A-Z]+", parts[0])
                    or parts[1] not in QUADS or parts[2] not in ("yes", "no")):
                fail("%s:%d: malformed category line %r" % (path, n, line))
            modes = [m for m in parts[3].split(",") if m]
            for m in modes:
                if not re.fullmatch(r"[a-z][a-z-]*", m):
                    fail("%s:%d: malformed mode %r" % (path, n, m))
            cats.append((parts[0], QUADS[parts[1]], parts[2] == "yes", sorted(modes)))
    return sorted(cats)


def words(path, pattern):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            w = line.strip()
            if not w:
                continue
            if not re.fullmatch(pattern, w):
                fail("%s:%d: malformed entry %r" % (path, n, w))
            out.append(w)
    if len(set(out)) != len(out):
        fail("%s: duplicate entries" % path)
    return sorted(out)


def iso(dirname, name, key, fields):
    with open(os.path.join(dirname, "iso_%s.json" % name), encoding="utf-8") as f:
        rows = json.load(f)[key]
    out = set()
    for r in rows:
        for fld in fields:
            v = r.get(fld)
            if v:
                out.add(v)
    return out


def c_bytes(s):
    """A C string literal of any UTF-8 text (non-ASCII as octal escapes)."""
    out = ['"']
    for ch in s.encode("utf-8"):
        if ch in (0x22, 0x5C):
            out.append("\\" + chr(ch))
        elif ch < 0x20 or ch >= 0x7F:
            out.append("\\%03o" % ch)
        else:
            out.append(chr(ch))
    out.append('"')
    return "".join(out)


def pair_table(out, name, pairs):
    """key -> value pairs, sorted by key bytes, keys unique."""
    items = sorted(pairs, key=lambda p: p[0].encode("utf-8"))
    out.append("const evrec__vocab_pair %s[] = {" % name)
    out += ["  {%s, %s}," % (c_bytes(k), c_bytes(v)) for k, v in items]
    out.append("};")
    out.append("const size_t %s_n = %d;" % (name, len(items)))
    out.append("")


def country_tables(out, isodir):
    with open(os.path.join(isodir, "iso_3166-1.json"), encoding="utf-8") as f:
        rows = json.load(f)["3166-1"]
    out.append("const evrec__country evrec__countries[] = {")
    for c in sorted(rows, key=lambda r: r["alpha_3"]):
        if not re.fullmatch(r"[A-Z]{3}", c["alpha_3"]) or not re.fullmatch(r"[A-Z]{2}", c["alpha_2"]):
            fail("odd ISO 3166-1 entry %r" % c)
        out.append("  {%s, %s, %s, %s}," % (c_bytes(c["alpha_3"]), c_bytes(c["alpha_2"]),
                                            c_bytes(c["numeric"]), c_bytes(c["name"])))
    out.append("};")
    out.append("const size_t evrec__countries_n = %d;" % len(rows))
    out.append("")
    names = {}
    for c in rows:
        for key in ("name", "common_name", "official_name"):
            if key in c:
                names.setdefault(c[key].casefold(), c["alpha_3"])
    pair_table(out, "evrec__country_names", names.items())
    a2 = {c["alpha_2"]: c["alpha_3"] for c in rows}
    pair_table(out, "evrec__country_alpha2", a2.items())
    pair_table(out, "evrec__country_numeric", [(c["numeric"], c["alpha_3"]) for c in rows])
    return a2


def fips(out, vocab, a2):
    path = os.path.join(vocab, "fips10-4-iso3166.tsv")
    pairs = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        if not header.startswith("fips\tiso3166_alpha2"):
            fail("%s: unexpected header %r" % (path, header))
        for n, line in enumerate(f, 2):
            row = line.rstrip("\n").rstrip("\r").split("\t")
            if not row[0]:
                continue
            code, iso2 = row[0].strip(), row[1].strip() if len(row) > 1 else ""
            if not re.fullmatch(r"[A-Z0-9]{2}", code) or (iso2 and iso2 not in a2):
                fail("%s:%d: FIPS %r -> %r is not a known ISO 3166-1 country" % (path, n, code, iso2))
            pairs.append((code, a2.get(iso2, "")))
    if len({p[0] for p in pairs}) != len(pairs):
        fail("%s: duplicate FIPS codes" % path)
    pair_table(out, "evrec__fips", pairs)


def language_pairs(isodir):
    """ISO 639-2 (incl. bibliographic) and 639-3 three-letter codes -> their
    639-1 two-letter code ("" when none), and the 639-1 codes."""
    three, two = {}, set()
    for name, key, fields in (("639-2", "639-2", ("alpha_3", "bibliographic")),
                              ("639-3", "639-3", ("alpha_3",))):
        with open(os.path.join(isodir, "iso_%s.json" % name), encoding="utf-8") as f:
            for l in json.load(f)[key]:
                a2 = l.get("alpha_2", "")
                if a2:
                    two.add(a2)
                for fld in fields:
                    if l.get(fld) and re.fullmatch(r"[a-z]{3}", l[fld]):
                        three.setdefault(l[fld], a2)
    return three, sorted(two)


def table(out, ctype, name, items, width):
    out.append("const char %s[][%d] = {" % (name, width))
    for i in range(0, len(items), 10):
        out.append("  " + ", ".join(c_str(x) for x in items[i:i + 10]) + ",")
    out.append("};")
    out.append("const size_t %s_n = %d;" % (name, len(items)))


def main():
    if len(sys.argv) != 4:
        fail("usage: gen_vocab.py VOCAB_DIR ISO_CODES_JSON_DIR OUT.c")
    vocab, isodir, outpath = sys.argv[1:]
    cameo_codes = cameo(os.path.join(vocab, "cameo-eventcodes.tsv"))
    cats = plover(os.path.join(vocab, "plover-2.0.tsv"))
    contexts = words(os.path.join(vocab, "plover-2.0-contexts.txt"), r"[a-z][a-z_]*")
    countries = sorted(iso(isodir, "3166-1", "3166-1", ["alpha_3"]))
    langs = iso(isodir, "639-2", "639-2", ["alpha_2", "alpha_3", "bibliographic"])
    langs |= iso(isodir, "639-3", "639-3", ["alpha_2", "alpha_3"])
    langs |= iso(isodir, "639-5", "639-5", ["alpha_3"])
    langs = sorted(l for l in langs if l != "qaa-qtz")  # a range, handled in vocab.c
    if len(countries) < 200 or len(langs) < 7000:
        fail("iso-codes tables look truncated (%d countries, %d languages)"
             % (len(countries), len(langs)))
    for c in countries:
        if not re.fullmatch(r"[A-Z]{3}", c):
            fail("odd ISO 3166-1 alpha-3 code %r" % c)
    for c in langs:
        if not re.fullmatch(r"[a-z]{2,3}", c):
            fail("odd ISO 639 code %r" % c)

    out = ["/* generated by vocab/gen_vocab.py from vocab/ and Debian's iso-codes;",
           " * do not edit. Every table is sorted in strcmp() order. */",
           "#include <stddef.h>",
           '#include "vocab.h"', ""]
    out.append("const evrec__cameo_entry evrec__cameo[] = {")
    for code, label in cameo_codes:
        out.append("  {%s, %s}," % (c_str(code), c_str(label)))
    out.append("};")
    out.append("const size_t evrec__cameo_n = %d;" % len(cameo_codes))
    out.append("")
    out.append("const evrec__plover_category evrec__plover[] = {")
    for name, quad, recip, modes in cats:
        out.append("  {%s, %d, %d, %d, {%s}}," % (
            c_str(name), quad, 1 if recip else 0, len(modes),
            ", ".join(c_str(m) for m in modes) if modes else "NULL"))
    out.append("};")
    out.append("const size_t evrec__plover_n = %d;" % len(cats))
    out.append("")
    table(out, "char", "evrec__plover_contexts", contexts, 32)
    out.append("")
    table(out, "char", "evrec__iso3166", countries, 4)
    out.append("")
    table(out, "char", "evrec__iso639", langs, 4)
    out.append("")
    a2 = country_tables(out, isodir)
    fips(out, vocab, a2)
    three, two = language_pairs(isodir)
    pair_table(out, "evrec__lang3", three.items())
    table(out, "char", "evrec__lang2", two, 3)
    maxmodes = max(len(c[3]) for c in cats)
    out.append("")
    out.append("_Static_assert(%d <= EVREC__PLOVER_MAX_MODES, \"raise EVREC__PLOVER_MAX_MODES\");"
               % maxmodes)
    longest = max(len(c) for c in contexts)
    out.append("_Static_assert(%d < 32, \"a context name is too long\");" % longest)
    tmp = outpath + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, outpath)


if __name__ == "__main__":
    main()
