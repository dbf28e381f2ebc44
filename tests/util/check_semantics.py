"""check_semantics.py -- the SPEC §6 rules, as the import tests read them.

    /usr/bin/python3 tests/util/check_semantics.py DATA_DIR FILE.ndjson...

Checks every record of NDJSON files written by `evrec import` against the
semantic rules of SPEC §6 (ids, references, spans, dates, code lists,
ranges, quad class, PLOVER recipients, rating scales, extension keys) and
prints one line per violation: "FILE: record N (ID): PATH: message". Exit
status 1 when there is any. DATA_DIR holds the code lists (data/ of the
repository); countries and languages come from Debian's iso-codes.

This is the import tests' stand-in for `evrec validate` (issue 9) on a
branch where that command does not exist yet: tests/import.sh runs
`evrec validate` whenever the command exists and this script otherwise.
"""
import json
import os
import re
import sys

ISO = "/usr/share/iso-codes/json"


def load(data):
    with open(os.path.join(data, "cameo-eventcodes.tsv")) as f:
        cameo = {l.split("\t")[0] for l in f.read().splitlines()[1:] if l}
    plover = {}
    with open(os.path.join(data, "plover-2.0.tsv")) as f:
        for l in f.read().splitlines()[1:]:
            p = (l.split("\t") + [""] * 4)[:4]
            plover[p[0]] = (p[1], p[2] == "yes", set(x for x in p[3].split(",") if x))
    with open(os.path.join(data, "plover-2.0-contexts.txt")) as f:
        contexts = {l.strip() for l in f if l.strip()}
    with open(os.path.join(ISO, "iso_3166-1.json")) as f:
        countries = {c["alpha_3"] for c in json.load(f)["3166-1"]}
    langs = set()
    for name, key in (("iso_639-2.json", "639-2"), ("iso_639-3.json", "639-3")):
        with open(os.path.join(ISO, name)) as f:
            for l in json.load(f)[key]:
                langs.add(l.get("alpha_2") or l["alpha_3"])
    return cameo, plover, contexts, countries, langs


QUAD = {1: "QUAD_CLASS_VERBAL_COOPERATION", 2: "QUAD_CLASS_MATERIAL_COOPERATION",
        3: "QUAD_CLASS_VERBAL_CONFLICT", 4: "QUAD_CLASS_MATERIAL_CONFLICT"}
PQUAD = {"VERBAL_COOPERATION": 1, "MATERIAL_COOPERATION": 2, "VERBAL_CONFLICT": 3,
         "MATERIAL_CONFLICT": 4}
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
BCP47 = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|\d{3}))?(-[A-Za-z0-9]{5,8})*$")
URL = re.compile(r"^https?://[^/\s]+\S*$")
EXT = re.compile(r"^[A-Za-z0-9.-]+\.?[A-Za-z0-9-]*/[^/\s].*$")


def cameo_quad(code):
    root = int(code[:2])
    return 1 if root <= 5 else 2 if root <= 9 else 3 if root <= 14 else 4


def valid_date(s):
    if not DATE.match(s):
        return False
    import datetime
    parts = [int(x) for x in s.split("-")] + [1, 1]
    try:
        datetime.date(parts[0], parts[1], parts[2])
        return True
    except ValueError:
        return False


class Checker:
    def __init__(self, vocab):
        self.cameo, self.plover, self.contexts, self.countries, self.langs = vocab
        self.problems = []

    def bad(self, path, msg):
        self.problems.append("%s: %s" % (path, msg))

    def exts(self, obj, path):
        for k in (obj.get("extensions") or {}):
            if not EXT.match(k):
                self.bad(path + ".extensions", "key %r is not namespaced <domain>/<name>" % k)

    def span(self, s, body, path, text=None):
        n = len(body)
        start, end = s.get("start", 0), s.get("end", 0)
        if not (0 <= start <= end <= n):
            self.bad(path, "span [%d, %d) outside the body (%d code points)" % (start, end, n))
        elif text is not None and body[start:end] != text:
            self.bad(path, "span text %r != body %r" % (text, body[start:end]))

    def country(self, c, path):
        if c and c not in self.countries:
            self.bad(path, "%r is not ISO 3166-1 alpha-3" % c)

    def lang(self, l, path):
        if l and (not BCP47.match(l) or l.split("-")[0] not in self.langs):
            self.bad(path, "%r is not a BCP 47 tag" % l)

    def url(self, u, path):
        if u and not URL.match(u):
            self.bad(path, "%r is not an absolute http(s) URL" % u)

    def date(self, d, path):
        if d and not valid_date(d):
            self.bad(path, "%r is not YYYY, YYYY-MM or YYYY-MM-DD" % d)

    def at_date(self, obj, at, d, path):
        if obj.get(at) and obj.get(d) and not obj[at].startswith(obj[d]):
            self.bad(path + "." + d, "%s and %s disagree" % (at, d))

    def record(self, r):
        body = (r.get("article") or {}).get("body", "")
        ids = {}
        for kind in ("actors", "places", "events", "claims"):
            seen = set()
            for i, e in enumerate(r.get(kind, [])):
                if not e.get("id"):
                    self.bad("%s[%d].id" % (kind, i), "missing")
                elif e["id"] in seen:
                    self.bad("%s[%d].id" % (kind, i), "duplicate %r" % e["id"])
                seen.add(e.get("id"))
            ids[kind] = seen

        def ref(kind, v, path):
            if v and v not in ids[kind]:
                self.bad(path, "%r does not resolve" % v)

        a = r.get("article") or {}
        self.lang(a.get("language"), "article.language")
        self.url(a.get("canonicalUri"), "article.canonicalUri")
        pub = a.get("publisher") or {}
        self.url(pub.get("url"), "article.publisher.url")
        self.country(pub.get("country"), "article.publisher.country")
        ref("actors", pub.get("actorId"), "article.publisher.actorId")
        for i, c in enumerate(a.get("contributors", [])):
            ref("actors", c.get("actorId"), "article.contributors[%d].actorId" % i)
        ref("places", (a.get("dateline") or {}).get("placeId"), "article.dateline.placeId")
        self.date(a.get("publishedDate"), "article.publishedDate")
        self.at_date(a, "publishedAt", "publishedDate", "article")
        u = (a.get("urgency"))
        if u is not None and not 1 <= u <= 9:
            self.bad("article.urgency", "%r not in 1..9" % u)
        self.lang((a.get("translation") or {}).get("sourceLanguage"), "article.translation")
        for i, x in enumerate(r.get("actors", [])):
            p = "actors[%d]" % i
            self.country(x.get("country"), p + ".country")
            if x.get("wikidataId") and not re.match(r"^Q\d+$", x["wikidataId"]):
                self.bad(p + ".wikidataId", "%r is not Q<digits>" % x["wikidataId"])
            for j, s in enumerate(x.get("mentions", [])):
                self.span(s, body, "%s.mentions[%d]" % (p, j))
            for j, v in enumerate(x.get("affiliationIds", [])):
                ref("actors", v, "%s.affiliationIds[%d]" % (p, j))
            self.exts(x, p)
        for i, x in enumerate(r.get("places", [])):
            p = "places[%d]" % i
            self.country(x.get("country"), p + ".country")
            pt = x.get("point")
            if pt and not (-90 <= pt.get("latitude", 0) <= 90 and -180 <= pt.get("longitude", 0) <= 180):
                self.bad(p + ".point", "out of range")
            if x.get("mention"):
                self.span(x["mention"], body, p + ".mention")
            self.exts(x, p)
        for i, e in enumerate(r.get("events", [])):
            self.event(e, "events[%d]" % i, ref, body)
        for i, c in enumerate(r.get("claims", [])):
            self.claim(c, "claims[%d]" % i, ref, body)
        pv = r.get("provenance") or {}
        self.date(pv.get("codedDate"), "provenance.codedDate")
        self.at_date(pv, "codedAt", "codedDate", "provenance")
        self.exts(r, "")

    def event(self, e, p, ref, body):
        for j, x in enumerate(e.get("participants", [])):
            ref("actors", x.get("actorId"), "%s.participants[%d].actorId" % (p, j))
            ref("places", x.get("placeId"), "%s.participants[%d].placeId" % (p, j))
            ref("actors", x.get("associatedWith"), "%s.participants[%d].associatedWith" % (p, j))
        ref("places", e.get("placeId"), p + ".placeId")
        self.date(e.get("startDate"), p + ".startDate")
        self.date(e.get("endDate"), p + ".endDate")
        if e.get("startDate") and e.get("endDate") and e["endDate"] < e["startDate"]:
            self.bad(p + ".endDate", "before startDate")
        g = e.get("goldstein")
        if g is not None and not -10 <= g <= 10:
            self.bad(p + ".goldstein", "out of range")
        t = e.get("tone")
        if t is not None and not -100 <= t <= 100:
            self.bad(p + ".tone", "out of range")
        c = e.get("confidence")
        if c is not None and not 0 <= c <= 1:
            self.bad(p + ".confidence", "out of range")
        quad_want = None
        plover_cat = None
        for j, t in enumerate(e.get("types", [])):
            code, scheme = t.get("code", ""), t.get("scheme")
            if scheme == "EVENT_SCHEME_CAMEO":
                if code not in self.cameo:
                    self.bad("%s.types[%d].code" % (p, j), "%r is not a CAMEO code" % code)
                elif quad_want is None:
                    quad_want = cameo_quad(code)
            elif scheme == "EVENT_SCHEME_PLOVER":
                if code not in self.plover:
                    self.bad("%s.types[%d].code" % (p, j), "%r is not a PLOVER category" % code)
                else:
                    plover_cat = plover_cat or code
        if quad_want is None and plover_cat:
            quad_want = PQUAD[self.plover[plover_cat][0]]
        q = e.get("quadClass")
        if q and quad_want and q != QUAD[quad_want]:
            self.bad(p + ".quadClass", "%s disagrees with the event type" % q)
        if plover_cat:
            _, needs, modes = self.plover[plover_cat]
            if e.get("mode") and e["mode"] not in modes:
                self.bad(p + ".mode", "%r is not a mode of %s" % (e["mode"], plover_cat))
            if needs and not any(x.get("role") == "PARTICIPANT_ROLE_RECIPIENT"
                                 for x in e.get("participants", [])):
                self.bad(p + ".participants", "%s requires a recipient" % plover_cat)
        for j, ctx in enumerate(e.get("contexts", [])):
            if ctx not in self.contexts:
                self.bad("%s.contexts[%d]" % (p, j), "%r is not a PLOVER context" % ctx)
        for j, m in enumerate(e.get("evidence", [])):
            if m.get("span"):
                self.span(m["span"], body, "%s.evidence[%d].span" % (p, j), m.get("text"))
            c = m.get("confidence")
            if c is not None and not 0 <= c <= 1:
                self.bad("%s.evidence[%d].confidence" % (p, j), "out of range")
        self.exts(e, p)

    def claim(self, c, p, ref, body):
        ref("actors", c.get("claimantId"), p + ".claimantId")
        for j, v in enumerate(c.get("addresseeIds", [])):
            ref("actors", v, "%s.addresseeIds[%d]" % (p, j))
        for j, v in enumerate(c.get("aboutEventIds", [])):
            ref("events", v, "%s.aboutEventIds[%d]" % (p, j))
        ref("places", c.get("placeId"), p + ".placeId")
        self.date(c.get("statedDate"), p + ".statedDate")
        self.at_date(c, "statedAt", "statedDate", p)
        q = c.get("quote") or {}
        if q.get("span"):
            self.span(q["span"], body, p + ".quote.span", q.get("text"))
        self.lang(q.get("language"), p + ".quote.language")
        for j, a in enumerate(c.get("appearances", [])):
            self.url(a.get("url"), "%s.appearances[%d].url" % (p, j))
            self.date(a.get("publishedDate"), "%s.appearances[%d].publishedDate" % (p, j))
            self.at_date(a, "publishedAt", "publishedDate", "%s.appearances[%d]" % (p, j))
        for j, v in enumerate(c.get("reviews", [])):
            pp = "%s.reviews[%d]" % (p, j)
            self.url(v.get("url"), pp + ".url")
            self.url((v.get("reviewer") or {}).get("url"), pp + ".reviewer.url")
            self.lang(v.get("language"), pp + ".language")
            self.date(v.get("publishedDate"), pp + ".publishedDate")
            self.at_date(v, "publishedAt", "publishedDate", pp)
            try:
                val = float(v["ratingValue"]) if v.get("ratingValue") else None
                best = float(v.get("bestRating") or 5)
                worst = float(v.get("worstRating") or 1)
                if val is not None and not worst <= val <= best:
                    self.bad(pp + ".ratingValue", "outside [%s, %s]" % (worst, best))
            except ValueError:
                self.bad(pp + ".ratingValue", "not a number")
        self.exts(c, p)


def main():
    vocab = load(sys.argv[1])
    bad = 0
    ids = set()
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                r = json.loads(line)
                c = Checker(vocab)
                if not r.get("id"):
                    c.bad("id", "missing")
                elif r["id"] in ids:
                    c.bad("id", "duplicate record id")
                ids.add(r.get("id"))
                c.record(r)
                for p in c.problems:
                    print("%s: record %d (%s): %s" % (path, n, r.get("id"), p))
                bad += len(c.problems)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
