"""gen_vocab.py -- turns the vocabularies of `evrec import` into C tables.

    /usr/bin/python3 tools/gen_vocab.py DATA_DIR ISO_CODES_JSON_DIR OUT.c

Inputs (read at build time, never at run time):
  DATA_DIR/cameo-eventcodes.tsv     CAMEO event codes and labels
  DATA_DIR/plover-2.0.tsv           PLOVER 2.0 categories, quad class, recipient rule, modes
  DATA_DIR/plover-2.0-contexts.txt  PLOVER 2.0 contexts
  DATA_DIR/fips10-4-iso3166.tsv     FIPS 10-4 country codes -> ISO 3166-1 alpha-2
  ISO_CODES_JSON_DIR/iso_3166-1.json, iso_639-2.json, iso_639-3.json
                                    Debian's iso-codes (countries, languages)

Every table is sorted by its key with the C library's strcmp order (bytes),
so tools/imp_vocab.c looks keys up with bsearch(). The output depends only
on the inputs (no dates, no paths), so rebuilding gives the same file.
"""
import json
import os
import sys


def c_str(s):
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


def tsv_rows(path):
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n").rstrip("\r") for l in f if l.strip()]
    return [l.split("\t") for l in lines[1:]]  # first line: header


def byte_sorted(pairs):
    return sorted(pairs, key=lambda p: p[0].encode("utf-8"))


def pair_table(name, pairs):
    lines = ["const vocab_pair %s[] = {" % name]
    lines += ["  {%s, %s}," % (c_str(k), c_str(v)) for k, v in byte_sorted(pairs)]
    lines += ["};", "const size_t %s_n = sizeof %s / sizeof %s[0];" % (name, name, name), ""]
    return lines


def cameo(data):
    pairs = []
    for row in tsv_rows(os.path.join(data, "cameo-eventcodes.tsv")):
        code, label = row[0].strip(), row[1].strip() if len(row) > 1 else ""
        if not code.isdigit():
            sys.exit("gen_vocab: bad CAMEO code %r" % code)
        pairs.append((code, label))
    return pair_table("vocab_cameo", pairs)


QUADS = {"VERBAL_COOPERATION": 1, "MATERIAL_COOPERATION": 2, "VERBAL_CONFLICT": 3,
         "MATERIAL_CONFLICT": 4}


def plover(data):
    rows = []
    for row in tsv_rows(os.path.join(data, "plover-2.0.tsv")):
        row += [""] * (4 - len(row))
        name, quad, recip, modes = (x.strip() for x in row[:4])
        rows.append((name, QUADS[quad], 1 if recip == "yes" else 0, modes))
    lines = ["const vocab_plover vocab_plover_categories[] = {"]
    for name, quad, recip, modes in sorted(rows, key=lambda r: r[0].encode()):
        lines.append("  {%s, %d, %d, %s}," % (c_str(name), quad, recip, c_str(modes)))
    lines += ["};", "const size_t vocab_plover_categories_n = sizeof vocab_plover_categories / "
              "sizeof vocab_plover_categories[0];", ""]
    with open(os.path.join(data, "plover-2.0-contexts.txt"), encoding="utf-8") as f:
        ctx = sorted({l.strip() for l in f if l.strip()}, key=lambda s: s.encode())
    lines += ["const char *const vocab_plover_contexts[] = {"]
    lines += ["  %s," % c_str(c) for c in ctx]
    lines += ["};", "const size_t vocab_plover_contexts_n = sizeof vocab_plover_contexts / "
              "sizeof vocab_plover_contexts[0];", ""]
    return lines


def countries(iso):
    with open(os.path.join(iso, "iso_3166-1.json"), encoding="utf-8") as f:
        rows = json.load(f)["3166-1"]
    lines = ["const vocab_country vocab_countries[] = {"]
    for c in sorted(rows, key=lambda r: r["alpha_3"]):
        lines.append("  {%s, %s, %s, %s}," % (c_str(c["alpha_3"]), c_str(c["alpha_2"]),
                                              c_str(c["numeric"]), c_str(c["name"])))
    lines += ["};", "const size_t vocab_countries_n = sizeof vocab_countries / "
              "sizeof vocab_countries[0];", ""]
    names = {}
    for c in rows:
        for key in ("name", "common_name", "official_name"):
            if key in c:
                names.setdefault(c[key].casefold(), c["alpha_3"])
    lines += pair_table("vocab_country_names", names.items())
    a2 = {c["alpha_2"]: c["alpha_3"] for c in rows}
    num = {c["numeric"]: c["alpha_3"] for c in rows}
    lines += pair_table("vocab_country_alpha2", a2.items())
    lines += pair_table("vocab_country_numeric", num.items())
    return lines, a2


def fips(data, a2):
    pairs = []
    for row in tsv_rows(os.path.join(data, "fips10-4-iso3166.tsv")):
        code, iso2 = row[0].strip(), row[1].strip() if len(row) > 1 else ""
        if iso2 and iso2 not in a2:
            sys.exit("gen_vocab: FIPS %s maps to %s, not in ISO 3166-1" % (code, iso2))
        pairs.append((code, a2.get(iso2, "")))
    return pair_table("vocab_fips", pairs)


def languages(iso):
    three, two = {}, set()
    with open(os.path.join(iso, "iso_639-2.json"), encoding="utf-8") as f:
        for l in json.load(f)["639-2"]:
            a2 = l.get("alpha_2", "")
            if a2:
                two.add(a2)
            three.setdefault(l["alpha_3"], a2)
            if "bibliographic" in l:
                three.setdefault(l["bibliographic"], a2)
    with open(os.path.join(iso, "iso_639-3.json"), encoding="utf-8") as f:
        for l in json.load(f)["639-3"]:
            a2 = l.get("alpha_2", "")
            if a2:
                two.add(a2)
            three.setdefault(l["alpha_3"], a2)
    lines = pair_table("vocab_lang3", three.items())
    lines += ["const char *const vocab_lang2[] = {"]
    lines += ["  %s," % c_str(c) for c in sorted(two)]
    lines += ["};", "const size_t vocab_lang2_n = sizeof vocab_lang2 / sizeof vocab_lang2[0];", ""]
    return lines


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    data, iso, out = sys.argv[1:]
    lines = ["/* generated by tools/gen_vocab.py from data/ and Debian's iso-codes; do not edit */",
             '#include "imp_vocab.h"', ""]
    lines += cameo(data) + plover(data)
    clines, a2 = countries(iso)
    lines += clines + fips(data, a2) + languages(iso)
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main()
