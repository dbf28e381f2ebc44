#!/usr/bin/python3
"""make_seed.py -- build (or check) examples/seed.json, evrec's flagship Record.

The coded data below (actors, places, events, claims ...) is written in the
canonical proto3 JSON form of evrec.v1.Record, except that every text span is
given as the exact text it must cover, optionally with context:

    S("President [[Donald Trump]] called")   -> Span over "Donald Trump"
    S("Canada")                              -> Span over "Canada"

The whole string (context included, [[ ]] removed) must occur exactly once in
the article body, else the script stops with an error: a span can never point
at the wrong text. Offsets are Unicode code points into Article.body, 0-based,
end-exclusive (Python str indexing). Q() builds a Quote, M() an evidence
Mention (with its text and sentence index).

The body is examples/seed-article.txt minus its first line (" date 2025-06-16
By Samantha Waldenberg, CNN", the capture header) and the blank line after it:
the paragraphs from "(CNN) —" to the contributor credit line, joined with
"\\n\\n", without trailing newline, characters kept exactly as in the file.

Usage (Python 3 with Debian's python3-protobuf, and protoc on PATH):
    /usr/bin/python3 examples/make_seed.py          write examples/seed.json
    /usr/bin/python3 examples/make_seed.py --check  verify seed.json (exit 1 if bad)
    /usr/bin/python3 examples/make_seed.py --list   print every span and its text

Environment: PROTOC (default "protoc"), WKT_DIR (default "/usr/include").
Only the standard library and google.protobuf are used; nothing outside the
repository is read.
"""

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO = "evrec/v1/evrec.proto"
ARTICLE_FILE = os.path.join(ROOT, "examples", "seed-article.txt")
SEED_FILE = os.path.join(ROOT, "examples", "seed.json")
HEADER_LINE = " date 2025-06-16 By Samantha Waldenberg, CNN"


def die(msg):
    sys.stderr.write("make_seed.py: error: %s\n" % msg)
    sys.exit(1)


# ===========================================================================
# The article body and span lookup
# ===========================================================================

def load_body():
    with open(ARTICLE_FILE, encoding="utf-8", newline="") as f:
        text = f.read()
    header, sep, rest = text.partition("\n\n")
    if header != HEADER_LINE or not sep:
        die("%s: unexpected first line %r" % (ARTICLE_FILE, header))
    body = rest.rstrip("\n")
    if not body.startswith("(CNN) \u2014 President Donald Trump"):
        die("%s: body does not start with the dateline" % ARTICLE_FILE)
    return body


BODY = load_body()


def split_sentences(body):
    """[(start, end)] of each sentence, in code points.

    Paragraphs ("\\n\\n") always end a sentence; inside a paragraph a sentence
    ends after ".", "!" or "?" (plus an optional closing quote) followed by
    whitespace and an upper-case letter or an opening quote.
    """
    out = []
    pos = 0
    for para in body.split("\n\n"):
        start = 0
        for m in re.finditer(r"[.!?][\u201d\"]?(\s+)(?=[A-Z\u201c\"])", para):
            out.append((pos + start, pos + m.start(1)))
            start = m.end()
        out.append((pos + start, pos + len(para)))
        pos += len(para) + 2
    return out


SENTENCES = split_sentences(BODY)


class SpanRef:
    """A resolved span, kept as an object until the data is serialised so that
    the JSON path of every span can be recorded for --check and --list."""

    def __init__(self, spec):
        if "[[" in spec:
            pre, rest = spec.split("[[", 1)
            target, post = rest.split("]]", 1)
        else:
            pre, target, post = "", spec, ""
        if not target:
            die("empty span target in %r" % spec)
        whole = pre + target + post
        hits = [m.start() for m in re.finditer("(?=%s)" % re.escape(whole), BODY)]
        if not hits:
            die("span text not found in body: %r" % spec)
        if len(hits) > 1:
            die("span text is ambiguous (%d occurrences at %s); add context: %r"
                % (len(hits), hits, spec))
        self.start = hits[0] + len(pre)
        self.end = self.start + len(target)
        self.text = target
        assert BODY[self.start:self.end] == target

    def sentence_index(self):
        for i, (s, e) in enumerate(SENTENCES):
            if s <= self.start < e:
                return i
        die("span %r is not inside a sentence" % self.text)


def S(spec):
    """A Span."""
    return SpanRef(spec)


def Q(spec, language=None):
    """A Quote: the verbatim words and their span."""
    ref = SpanRef(spec)
    q = {"text": ref.text, "span": ref}
    if language:
        q["language"] = language
    return q


def M(spec, confidence=None, inferred=False):
    """An evidence Mention: span, text, sentence index, confidence."""
    ref = SpanRef(spec)
    m = {"span": ref, "text": ref.text, "sentenceIndex": ref.sentence_index()}
    if confidence is not None:
        m["confidence"] = confidence
    if inferred:
        m["inferred"] = True
    return m


def resolve(node, path, spans):
    """Replace SpanRefs by {"start", "end"} dicts; record (path, text)."""
    if isinstance(node, SpanRef):
        spans.append((path, node.text))
        return {"start": node.start, "end": node.end}
    if isinstance(node, dict):
        return {k: resolve(v, path + [k], spans) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, path + [i], spans) for i, v in enumerate(node)]
    return node


# ===========================================================================
# The coded record
# ===========================================================================

ARTICLE_URI = ("https://www.cnn.com/2025/06/16/politics/"
               "trump-ice-deportations-democratic-cities")
HEADLINE = "Trump calls on ICE to expand deportation efforts in Democratic cities"
CODED_AT = "2026-11-27T17:00:00Z"

CNN = {"name": "CNN", "url": "https://www.cnn.com/", "domain": "cnn.com",
       "country": "USA", "actorId": "a14"}

CAMEO, PLOVER = "EVENT_SCHEME_CAMEO", "EVENT_SCHEME_PLOVER"


def cameo(code, label):
    return {"scheme": CAMEO, "code": code, "label": label}


def plover(category):
    return {"scheme": PLOVER, "code": category}


def part(actor_id, role, associated_with=None):
    p = {"actorId": actor_id, "role": "PARTICIPANT_ROLE_" + role}
    if associated_with:
        p["associatedWith"] = associated_with
    return p


def truth_social(date):
    return {"publisher": "Truth Social", "isFirst": True, "publishedDate": date}


CNN_APPEARANCE = {"url": ARTICLE_URI, "headline": HEADLINE, "publisher": "CNN",
                  "publishedDate": "2025-06-16"}

ARTICLE = {
    "uri": ARTICLE_URI,
    "kind": "ARTICLE_KIND_TEXT",
    "pubStatus": "PUB_STATUS_USABLE",
    "language": "en",
    "headline": HEADLINE,
    "body": BODY,
    "byline": "By Samantha Waldenberg, CNN",
    "dateline": {"text": "(CNN)"},
    "publishedDate": "2025-06-16",
    "publisher": dict(CNN),
    "contributors": [
        {"name": "Samantha Waldenberg", "role": "CONTRIBUTOR_ROLE_AUTHOR"},
        {"name": "Priscilla Alvarez", "role": "CONTRIBUTOR_ROLE_CONTRIBUTOR"},
        {"name": "Michael Williams", "role": "CONTRIBUTOR_ROLE_CONTRIBUTOR"},
    ],
    "section": "politics",
    "keywords": ["immigration", "deportation", "ICE", "Donald Trump",
                 "No Kings protests", "Truth Social"],
    "rights": {
        "copyrightHolder": "CNN",
        "copyrightNotice": "\u00a9 2025 Cable News Network. A Warner Bros. "
                           "Discovery Company. All Rights Reserved.",
    },
}

ACTORS = [
    {"id": "a1", "name": "Donald Trump", "kind": "ACTOR_KIND_PERSON",
     "country": "USA", "sectors": ["GOV"], "cameoCode": "USAGOV",
     "wikidataId": "Q22686",
     "sameAs": ["https://www.wikidata.org/wiki/Q22686"],
     "title": "President of the United States",
     "aliases": ["President Donald Trump", "the president"],
     "mentions": [
         S("(CNN) \u2014 [[President Donald Trump]] called"),
         S("[[the president]] posted on Truth Social"),
         S("[[The president]]\u2019s post comes"),
         S("on the heels of [[Trump]] acknowledging"),
         S("[[The president]] also directed ICE"),
         S("reside,\u201d [[Trump]] said."),
         S("prompted [[the president]] to mobilize"),
         S("Since [[Trump]] took office"),
         S("at the core of [[the president]]\u2019s campaign promise"),
         S("fulfill [[Trump]]\u2019s goal"),
         S("[[The president]] appeared to acknowledge"),
         S("[[Trump]] said on Truth Social"),
     ]},
    {"id": "a2", "name": "U.S. Immigration and Customs Enforcement",
     "kind": "ACTOR_KIND_GOVERNMENT", "country": "USA",
     "sectors": ["COP", "GOV"], "cameoCode": "USACOP",
     "sameAs": ["https://www.ice.gov/"],
     "aliases": ["ICE", "Immigration and Customs Enforcement"],
     "mentions": [
         S("called for [[Immigration and Customs Enforcement]] to expand"),
         S("\u201c[[ICE]] Officers are herewith"),
         S("reported that [[ICE]] has been racing"),
         S("directed [[ICE]] to"),
         S("office, [[ICE]], which had"),
         S("as [[ICE]] races"),
     ],
     "affiliationIds": ["a4"]},
    {"id": "a3", "name": "The White House", "kind": "ACTOR_KIND_GOVERNMENT",
     "country": "USA", "sectors": ["GOV"], "cameoCode": "USAGOV",
     "sameAs": ["https://www.whitehouse.gov/"],
     "mentions": [
         S("meet [[White House]] arrest quotas"),
         S("[[The White House]] has enlisted"),
     ],
     "affiliationIds": ["a4"]},
    {"id": "a4", "name": "Trump administration (U.S. federal government)",
     "kind": "ACTOR_KIND_GOVERNMENT", "country": "USA", "sectors": ["GOV"],
     "cameoCode": "USAGOV",
     "aliases": ["the administration", "the federal government"],
     "mentions": [
         S("components across [[the federal government]]"),
         S("while [[the Trump administration]] has publicly"),
         S("[[The administration]]\u2019s immigration crackdown"),
     ]},
    {"id": "a5", "name": "National Guard", "kind": "ACTOR_KIND_GOVERNMENT",
     "country": "USA", "sectors": ["MIL"], "cameoCode": "USAMIL",
     "sameAs": ["https://www.nationalguard.mil/"],
     "mentions": [S("[[National Guard troops]]")],
     "affiliationIds": ["a4"]},
    {"id": "a6", "name": "United States Marine Corps",
     "kind": "ACTOR_KIND_GOVERNMENT", "country": "USA", "sectors": ["MIL"],
     "cameoCode": "USAMIL", "sameAs": ["https://www.marines.mil/"],
     "aliases": ["Marines"],
     "mentions": [S("[[Marines]]")],
     "affiliationIds": ["a4"]},
    {"id": "a7", "name": "Protesters (United States)",
     "kind": "ACTOR_KIND_GROUP", "country": "USA", "sectors": ["CVL"],
     "cameoCode": "USACVL",
     "aliases": ["anti-Trump protesters"],
     "mentions": [S("[[anti-Trump protesters]]")],
     "codes": [{"scheme": "acled.inter", "code": "6", "label": "Protesters"}]},
    {"id": "a8", "name": "Farmers", "kind": "ACTOR_KIND_GROUP",
     "country": "USA", "sectors": ["AGR"], "cameoCode": "USAAGR",
     "aliases": ["farm employers"],
     "mentions": [
         S("including [[farms]] and hotels"),
         S("Our great [[Farmers]]"),
         S("protect our [[Farmers]]"),
     ]},
    {"id": "a9", "name": "Hotel and leisure businesses",
     "kind": "ACTOR_KIND_GROUP", "country": "USA", "sectors": ["BUS"],
     "cameoCode": "USABUS",
     "aliases": ["hospitality industry"],
     "mentions": [
         S("those in [[the hospitality industry]]"),
         S("farms and [[hotels]]"),
         S("people in the [[Hotel and Leisure business]]"),
     ]},
    {"id": "a10", "name": "Immigrants without legal status",
     "kind": "ACTOR_KIND_GROUP", "sectors": ["CVL"],
     "aliases": ["Illegal Aliens", "immigrant workers", "farm workers"],
     "mentions": [
         S("impacted [[farm workers]]"),
         S("using \u201c[[Illegal Aliens]]\u201d"),
         S("deport [[Illegal Aliens]] in America"),
         S("Millions of [[Illegal Aliens]] reside"),
         S("reliant on [[immigrant workforces]]"),
         S("[[long time workers]]"),
     ]},
    {"id": "a11", "name": "Trump's political opponents (Democrats)",
     "kind": "ACTOR_KIND_GROUP", "country": "USA", "sectors": ["OPP"],
     "cameoCode": "USAOPP",
     "aliases": ["Democrats"],
     "mentions": [S("[[his political opponents]]")]},
    {"id": "a12", "name": "multiple sources familiar with the discussions",
     "kind": "ACTOR_KIND_ANONYMOUS_SOURCE",
     "mentions": [S("[[multiple sources familiar with the discussions]]")]},
    {"id": "a13", "name": "Administration immigration officials",
     "kind": "ACTOR_KIND_GOVERNMENT", "country": "USA", "sectors": ["GOV"],
     "cameoCode": "USAGOV",
     "mentions": [S("efforts, [[officials]] have privately")],
     "affiliationIds": ["a4"]},
    {"id": "a14", "name": "CNN", "kind": "ACTOR_KIND_ORGANIZATION",
     "country": "USA", "sectors": ["MED"], "cameoCode": "USAMED",
     "wikidataId": "Q48340", "sameAs": ["https://www.cnn.com/"],
     "aliases": ["Cable News Network"],
     "mentions": [
         S("([[CNN]]) \u2014"),
         S("as [[CNN]] has reported"),
         S("[[CNN]]\u2019s Priscilla Alvarez"),
     ]},
    {"id": "a15", "name": "Canada", "kind": "ACTOR_KIND_COUNTRY",
     "country": "CAN", "cameoCode": "CAN", "wikidataId": "Q16",
     "mentions": [S("Air Force One to [[Canada]]")]},
]

PLACES = [
    {"id": "p1", "name": "Los Angeles",
     "mention": S("such as [[Los Angeles]], Chicago"),
     "country": "USA", "admin1": "California", "admin1Code": "US-CA",
     "admin2": "Los Angeles County",
     "point": {"latitude": 34.05223, "longitude": -118.24368},
     "precision": "PLACE_PRECISION_CITY", "geonamesId": "5368361",
     "featureCode": "PPLA2", "wikidataId": "Q65"},
    {"id": "p2", "name": "Chicago", "mention": S("[[Chicago]]"),
     "country": "USA", "admin1": "Illinois", "admin1Code": "US-IL",
     "admin2": "Cook County",
     "point": {"latitude": 41.85003, "longitude": -87.65005},
     "precision": "PLACE_PRECISION_CITY", "geonamesId": "4887398",
     "featureCode": "PPLA2", "wikidataId": "Q1297"},
    {"id": "p3", "name": "New York City", "mention": S("[[New York]]"),
     "country": "USA", "admin1": "New York", "admin1Code": "US-NY",
     "point": {"latitude": 40.71427, "longitude": -74.00597},
     "precision": "PLACE_PRECISION_CITY", "geonamesId": "5128581",
     "featureCode": "PPL", "wikidataId": "Q60"},
    {"id": "p4", "name": "Canada", "mention": S("Air Force One to [[Canada]]"),
     "country": "CAN",
     "point": {"latitude": 60.10867, "longitude": -113.64258},
     "precision": "PLACE_PRECISION_COUNTRY", "geonamesId": "6251999",
     "featureCode": "PCLI", "wikidataId": "Q16",
     "extensions": {"evrec/note": "G7 summit host country; the summit site "
                                  "(Kananaskis, Alberta) is not named in the "
                                  "article"}},
    {"id": "p5", "name": "United States", "mention": S("[[USA]]"),
     "country": "USA",
     "point": {"latitude": 39.76, "longitude": -98.5},
     "precision": "PLACE_PRECISION_COUNTRY", "geonamesId": "6252001",
     "featureCode": "PCLI", "wikidataId": "Q30"},
]

EVENTS = [
    {"id": "e1",
     "summary": "Trump directs ICE to expand deportation efforts in "
                "Democratic cities and to achieve mass deportations",
     "types": [cameo("1042", "Demand policy change"), plover("REQUEST")],
     "mode": "change", "contexts": ["migration", "executive"],
     "participants": [part("a1", "ACTOR"), part("a2", "RECIPIENT")],
     "startDate": "2025-06-15",
     "quadClass": "QUAD_CLASS_VERBAL_CONFLICT", "goldstein": -5.0,
     "evidence": [
         M("[[President Donald Trump called for Immigration and Customs "
           "Enforcement to expand deportation efforts in Democratic cities]]",
           confidence=0.95),
         M("[[The president also directed ICE to \u201cexpand efforts\u201d in "
           "\u201cthe Democrat Power Center\u201d]]", confidence=0.9),
     ],
     "confidence": 0.9,
     "clusterId": "2025-06-15:trump-truth-social-ice-order",
     "isRoot": True},
    {"id": "e2",
     "summary": "The White House enlists components across the federal "
                "government to reach 3,000 immigration arrests per day",
     "types": [cameo("153", "Mobilize or increase police power"),
               plover("MOBILIZE")],
     "mode": "police", "contexts": ["migration", "executive"],
     "modality": ["MODALITY_HISTORICAL"],
     "participants": [part("a3", "ACTOR"),
                      part("a2", "ASSOCIATED", associated_with="a3"),
                      part("a10", "RECIPIENT")],
     "placeId": "p5",
     "quadClass": "QUAD_CLASS_MATERIAL_CONFLICT", "goldstein": -7.2,
     "evidence": [
         M("[[The White House has enlisted components across the federal "
           "government to achieve its goal of 3,000 immigration-related "
           "arrests per day.]]", confidence=0.85),
         M("[[ICE has been racing to meet White House arrest quotas]]",
           confidence=0.7),
     ],
     "confidence": 0.8,
     "extensions": {"newsdesk.example/arrest-quota-per-day": "3000"}},
    {"id": "e3",
     "summary": "Officials privately criticised for failing to meet the "
                "arrest quota",
     "types": [cameo("111", "Criticize or denounce"), plover("ACCUSE")],
     "mode": "disapprove", "contexts": ["migration", "executive"],
     "modality": ["MODALITY_ALLEGED"],
     "participants": [part("a13", "RECIPIENT")],
     "quadClass": "QUAD_CLASS_VERBAL_CONFLICT", "goldstein": -2.0,
     "evidence": [
         M("[[officials have privately faced criticism for failing to meet "
           "that quota]]", confidence=0.7),
     ],
     "confidence": 0.6},
    {"id": "e4",
     "summary": "ICE arrests immigrants at routine immigration checks, "
                "immigration courts and worksites",
     "types": [cameo("173", "Arrest, detain, or charge with legal action"),
               plover("COERCE")],
     "mode": "arrest", "contexts": ["migration"],
     "participants": [part("a2", "ACTOR"), part("a10", "RECIPIENT")],
     "placeId": "p5", "startDate": "2025", "endDate": "2025-06",
     "quadClass": "QUAD_CLASS_MATERIAL_CONFLICT", "goldstein": -5.0,
     "evidence": [
         M("[[Recent arrests have taken place during routine immigration "
           "checks, and at immigration court and worksites.]]",
           confidence=0.9),
     ],
     "confidence": 0.85},
    {"id": "e5",
     "summary": "Protests in Los Angeles against the administration's "
                "immigration crackdown and federal raids",
     "types": [cameo("141", "Demonstrate or rally"), plover("PROTEST")],
     "mode": "demo", "contexts": ["migration"],
     "modality": ["MODALITY_HISTORICAL"],
     "participants": [part("a7", "ACTOR"), part("a4", "RECIPIENT")],
     "placeId": "p1", "startDate": "2025-06",
     "quadClass": "QUAD_CLASS_VERBAL_CONFLICT", "goldstein": -6.5,
     "evidence": [
         M("[[The administration\u2019s immigration crackdown sparked protests "
           "in Los Angeles earlier this month]]", confidence=0.95),
     ],
     "confidence": 0.9,
     "clusterId": "2025-06:los-angeles-immigration-raid-protests"},
    {"id": "e6",
     "summary": "Federal immigration raids in Los Angeles",
     "types": [cameo("173", "Arrest, detain, or charge with legal action"),
               plover("COERCE")],
     "mode": "arrest", "contexts": ["migration"],
     "modality": ["MODALITY_HISTORICAL"],
     "participants": [part("a2", "ACTOR"), part("a10", "RECIPIENT")],
     "placeId": "p1", "startDate": "2025-06",
     "quadClass": "QUAD_CLASS_MATERIAL_CONFLICT", "goldstein": -5.0,
     "evidence": [
         M("demonstrations over [[federal raids in the city]]",
           confidence=0.8),
     ],
     "confidence": 0.75},
    {"id": "e7",
     "summary": "Trump mobilizes National Guard troops and Marines to deal "
                "with the Los Angeles demonstrations",
     "types": [cameo("154", "Mobilize or increase armed forces"),
               plover("MOBILIZE")],
     "mode": "troops", "contexts": ["military", "migration"],
     "modality": ["MODALITY_HISTORICAL"],
     "participants": [part("a1", "ACTOR"),
                      part("a5", "ASSOCIATED", associated_with="a1"),
                      part("a6", "ASSOCIATED", associated_with="a1"),
                      part("a7", "RECIPIENT")],
     "placeId": "p1", "startDate": "2025-06",
     "quadClass": "QUAD_CLASS_MATERIAL_CONFLICT", "goldstein": -7.2,
     "evidence": [
         M("prompted [[the president to mobilize both National Guard troops "
           "and Marines to deal with demonstrations]]", confidence=0.95),
     ],
     "confidence": 0.9},
    {"id": "e8",
     "summary": "Hundreds of thousands join \u201cNo Kings\u201d protests "
                "against Trump nationwide",
     "types": [cameo("141", "Demonstrate or rally"), plover("PROTEST")],
     "mode": "demo", "contexts": ["pro_democracy"],
     "participants": [part("a7", "ACTOR"), part("a1", "RECIPIENT")],
     "placeId": "p5", "startDate": "2025-06-14", "endDate": "2025-06-15",
     "quadClass": "QUAD_CLASS_VERBAL_CONFLICT", "goldstein": -6.5,
     "counts": {"crowdSizeText": "hundreds of thousands"},
     "evidence": [
         M("[[Protests have expanded across the country, culminating in "
           "hundreds of thousands of anti-Trump protesters taking to the "
           "streets in \u201cNo Kings\u201d protests nationwide over the "
           "weekend.]]", confidence=0.95),
     ],
     "confidence": 0.9,
     "clusterId": "2025-06-14:no-kings-protests"},
    {"id": "e9",
     "summary": "ICE to expand detention and deportation of immigrants in "
                "the largest US cities (Los Angeles, Chicago, New York)",
     "types": [cameo("174", "Expel or deport individuals"), plover("COERCE")],
     "mode": "deport", "contexts": ["migration"],
     "modality": ["MODALITY_FUTURE"],
     "participants": [part("a2", "ACTOR"), part("a10", "RECIPIENT")],
     "placeId": "p5",
     "quadClass": "QUAD_CLASS_MATERIAL_CONFLICT", "goldstein": -5.0,
     "evidence": [
         M("\u201c[[We must expand efforts to detain and deport Illegal Aliens "
           "in America\u2019s largest Cities, such as Los Angeles, Chicago, "
           "and New York]]", confidence=0.8),
         M("[[to achieve mass deportations]]", confidence=0.7),
     ],
     "confidence": 0.75},
    {"id": "e10",
     "summary": "Trump acknowledges that his immigration policies hurt farms "
                "and the hotel and leisure industry",
     "types": [cameo("015", "Acknowledge or claim responsibility"),
               plover("CONCEDE")],
     "contexts": ["migration", "economic"],
     "participants": [part("a1", "ACTOR"), part("a8", "RECIPIENT"),
                      part("a9", "RECIPIENT")],
     "startDate": "2025-06-12",
     "quadClass": "QUAD_CLASS_VERBAL_COOPERATION", "goldstein": 0.0,
     "evidence": [
         M("[[The president appeared to acknowledge Thursday that his "
           "immigration policies are straining those sectors.]]",
           confidence=0.85),
         M("on the heels of [[Trump acknowledging that his immigration "
           "policies have impacted farm workers and those in the hospitality "
           "industry]]", confidence=0.8),
     ],
     "confidence": 0.8},
    {"id": "e11",
     "summary": "Trump travels to Canada for the G7 summit",
     "types": [cameo("042", "Make a visit"), plover("CONSULT")],
     "mode": "visit", "contexts": ["diplomatic"],
     "participants": [part("a1", "ACTOR"), part("a15", "RECIPIENT")],
     "placeId": "p4", "startDate": "2025-06-15",
     "quadClass": "QUAD_CLASS_VERBAL_COOPERATION", "goldstein": 1.9,
     "evidence": [
         M("as [[he traveled on Air Force One to Canada for the G7 summit]]",
           confidence=0.9),
     ],
     "confidence": 0.9},
]

CLAIMS = [
    {"id": "c1", "claimantId": "a1", "claimantName": "Donald Trump",
     "addresseeIds": ["a2"],
     "text": "ICE officers are ordered to do all in their power to deliver "
             "the single largest mass deportation program in history.",
     "quote": Q("\u201c[[ICE Officers are herewith ordered, by notice of this "
                "TRUTH, to do all in their power to achieve the very important "
                "goal of delivering the single largest Mass Deportation "
                "Program in History]],\u201d"),
     "reportingVerb": "posted", "medium": "Truth Social post",
     "statedDate": "2025-06-15",
     "attribution": "ATTRIBUTION_DIRECT_QUOTE", "stance": "STANCE_ORDERS",
     "aboutEventIds": ["e1", "e9"],
     "evidence": [M("[[the president posted on Truth Social]]")],
     "appearances": [truth_social("2025-06-15"), dict(CNN_APPEARANCE)]},
    {"id": "c2", "claimantId": "a1", "claimantName": "Donald Trump",
     "text": "Trump's political opponents are using illegal immigrants to "
             "cheat in elections and to grow the welfare state.",
     "quote": Q("\u201c[[cheat in Elections, and grow the Welfare State]].\u201d"),
     "reportingVerb": "claiming", "medium": "Truth Social post",
     "statedDate": "2025-06-15",
     "attribution": "ATTRIBUTION_PARAPHRASE", "stance": "STANCE_ASSERTS",
     "evidence": [
         M("[[claiming without evidence that his political opponents are "
           "using \u201cIllegal Aliens\u201d to \u201ccheat in Elections, and "
           "grow the Welfare State.\u201d]]"),
     ],
     "appearances": [truth_social("2025-06-15"), dict(CNN_APPEARANCE)],
     "reviews": [
         {"reviewer": dict(CNN), "url": ARTICLE_URI, "title": HEADLINE,
          "publishedDate": "2025-06-16", "language": "en",
          "textualRating": "without evidence",
          "explanation": "CNN reports that the president made the claim "
                         "without evidence.",
          "verdict": "VERDICT_WITHOUT_EVIDENCE"},
     ]},
    {"id": "c3", "claimantId": "a1", "claimantName": "Donald Trump",
     "text": "Farmers and hotel and leisure businesses say the aggressive "
             "immigration policy is taking long-time workers who are almost "
             "impossible to replace.",
     "quote": Q("\u201c[[Our great Farmers and people in the Hotel and Leisure "
                "business have been stating that our very aggressive policy on "
                "immigration is taking very good, long time workers away from "
                "them, with those jobs being almost impossible to replace]],"
                "\u201d"),
     "reportingVerb": "said", "medium": "Truth Social post",
     "statedDate": "2025-06-12",
     "attribution": "ATTRIBUTION_DIRECT_QUOTE", "stance": "STANCE_ASSERTS",
     "aboutEventIds": ["e10"],
     "evidence": [M("[[Trump said on Truth Social]]")],
     "appearances": [truth_social("2025-06-12"), dict(CNN_APPEARANCE)]},
    {"id": "c4", "claimantId": "a12",
     "claimantName": "multiple sources familiar with the discussions",
     "text": "Administration officials have privately faced criticism for "
             "failing to meet the White House goal of 3,000 "
             "immigration-related arrests per day.",
     "reportingVerb": "according to",
     "attribution": "ATTRIBUTION_ANONYMOUS_SOURCES",
     "stance": "STANCE_ASSERTS",
     "aboutEventIds": ["e3", "e2"],
     "evidence": [
         M("[[But while the Trump administration has publicly touted its "
           "enforcement efforts, officials have privately faced criticism for "
           "failing to meet that quota, according to multiple sources "
           "familiar with the discussions.]]"),
     ],
     "appearances": [dict(CNN_APPEARANCE, isFirst=True)]},
    {"id": "c5", "claimantId": "a1", "claimantName": "Donald Trump",
     "addresseeIds": ["a2"],
     "text": "Immigration enforcement must expand detention and deportation "
             "in the largest US cities, such as Los Angeles, Chicago and New "
             "York.",
     "quote": Q("\u201c[[We must expand efforts to detain and deport Illegal "
                "Aliens in America\u2019s largest Cities, such as Los Angeles, "
                "Chicago, and New York, where Millions upon Millions of Illegal "
                "Aliens reside]],\u201d"),
     "reportingVerb": "said", "medium": "Truth Social post",
     "statedDate": "2025-06-15",
     "attribution": "ATTRIBUTION_DIRECT_QUOTE", "stance": "STANCE_ORDERS",
     "aboutEventIds": ["e9", "e1"],
     "appearances": [truth_social("2025-06-15"), dict(CNN_APPEARANCE)]},
    {"id": "c6", "claimantId": "a1", "claimantName": "Donald Trump",
     "text": "Changes to immigration enforcement are coming that protect "
             "farmers while removing criminals from the United States.",
     "quote": Q("[[We must protect our Farmers, but get the CRIMINALS OUT OF "
                "THE USA. Changes are coming!]]"),
     "reportingVerb": "said", "medium": "Truth Social post",
     "statedDate": "2025-06-12",
     "attribution": "ATTRIBUTION_DIRECT_QUOTE", "stance": "STANCE_PROMISES",
     "aboutEventIds": ["e10"],
     "appearances": [truth_social("2025-06-12"), dict(CNN_APPEARANCE)]},
]

PROVENANCE = {
    "coder": {"name": "evrec project", "version": "seed-1",
              "kind": "CODER_KIND_HYBRID"},
    "codebooks": [
        {"name": "CAMEO", "version": "1.1b3",
         "uri": "http://eventdata.parusanalytics.com/data.dir/cameo.html"},
        {"name": "PLOVER", "version": "2.0",
         "uri": "https://github.com/openeventdata/PLOVER"},
    ],
    "codedAt": CODED_AT,
    "license": "CC-BY-4.0",
    "notes": "Flagship example, coded by hand from the article text with "
             "machine assistance and reviewed. The body is verbatim; the "
             "headline and URL are reconstructed (the source text has "
             "neither). Goldstein scores are the CAMEO code values; "
             "quadClass follows the CAMEO root. The coding is CC-BY-4.0; the "
             "article text remains CNN's (see article.rights). Generated by "
             "examples/make_seed.py.",
}

RECORD = {
    "id": "cnn.com:2025-06-16:trump-ice-deportations",
    "revision": 1,
    "status": "RECORD_STATUS_ACTIVE",
    "updatedAt": CODED_AT,
    "article": ARTICLE,
    "actors": ACTORS,
    "places": PLACES,
    "events": EVENTS,
    "claims": CLAIMS,
    "provenance": PROVENANCE,
    "extensions": {
        "evrec/example": "flagship",
        "newsdesk.example/desk": "politics",
    },
}


# ===========================================================================
# Protobuf plumbing
# ===========================================================================

def load_pb2(tmpdir):
    """Generate evrec_pb2 with protoc into tmpdir and import it."""
    protoc = os.environ.get("PROTOC", "protoc")
    wkt = os.environ.get("WKT_DIR", "/usr/include")
    cmd = [protoc, "-I" + os.path.join(ROOT, "proto"), "-I" + wkt,
           "--python_out=" + tmpdir, PROTO]
    try:
        subprocess.run(cmd, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        die("cannot run %s: %s" % (" ".join(cmd), e))
    sys.path.insert(0, tmpdir)
    return importlib.import_module("evrec.v1.evrec_pb2")


def build(pb2):
    """(Record message, [(json path, intended text)])."""
    from google.protobuf import json_format
    spans = []
    data = resolve(RECORD, [], spans)
    msg = pb2.Record()
    json_format.ParseDict(data, msg)  # rejects unknown names and bad enums
    return msg, spans


def sort_maps(msg, d):
    """Sort the keys of every map in d (MessageToDict output of msg) in place.

    MessageToJson prints map entries in hash order, which varies from run to
    run; everything else comes out in field-number order, which is kept.
    """
    for fd in msg.DESCRIPTOR.fields:
        if fd.json_name not in d or fd.type != fd.TYPE_MESSAGE:
            continue
        value = getattr(msg, fd.name)
        if fd.message_type.GetOptions().map_entry:
            vfd = fd.message_type.fields_by_name["value"]
            if vfd.type == vfd.TYPE_MESSAGE:
                for k, sub in d[fd.json_name].items():
                    sort_maps(value[k], sub)
            d[fd.json_name] = dict(sorted(d[fd.json_name].items()))
        elif fd.message_type.full_name.startswith("google.protobuf."):
            continue  # well-known types have special JSON forms and no maps
        elif fd.label == fd.LABEL_REPEATED:
            for m, sub in zip(value, d[fd.json_name]):
                sort_maps(m, sub)
        else:
            sort_maps(value, d[fd.json_name])


def to_json(msg):
    """Canonical proto3 JSON (MessageToJson layout, map keys sorted)."""
    from google.protobuf import json_format
    d = json_format.MessageToDict(msg)
    sort_maps(msg, d)
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def fmt_path(path):
    out = ""
    for p in path:
        out += "[%d]" % p if isinstance(p, int) else ("." if out else "") + p
    return out


# ===========================================================================
# Checks
# ===========================================================================

def walk(msg, path, visit):
    """Call visit(message, path) for msg and every message nested in it."""
    visit(msg, path)
    for fd, value in msg.ListFields():
        if fd.type != fd.TYPE_MESSAGE:
            continue
        if fd.message_type.GetOptions().map_entry:
            continue
        if fd.label == fd.LABEL_REPEATED:
            for i, v in enumerate(value):
                walk(v, path + [fd.json_name, i], visit)
        else:
            walk(value, path + [fd.json_name], visit)


def check_message(msg):
    """Span bounds, quote/mention texts and local references; [errors]."""
    errors = []
    body = msg.article.body
    ids = {
        "actor": {a.id for a in msg.actors},
        "place": {p.id for p in msg.places},
        "event": {e.id for e in msg.events},
    }
    refs = {"actorId": "actor", "actorIds": "actor", "placeId": "place",
            "claimantId": "actor", "addresseeIds": "actor",
            "affiliationIds": "actor", "associatedWith": "actor",
            "aboutEventIds": "event"}

    def visit(m, path):
        name = m.DESCRIPTOR.full_name
        if name == "evrec.v1.Span":
            if not m.start <= m.end <= len(body):
                errors.append("%s: span %d..%d outside body (%d code points)"
                              % (fmt_path(path), m.start, m.end, len(body)))
        if name in ("evrec.v1.Quote", "evrec.v1.Mention") and m.text:
            got = body[m.span.start:m.span.end]
            if got != m.text:
                errors.append("%s: body[span] is %r, text is %r"
                              % (fmt_path(path), got, m.text))
        if name == "evrec.v1.Actor":
            starts = [(sp.start, sp.end) for sp in m.mentions]
            if starts != sorted(starts):
                errors.append("%s.mentions: not in text order" % fmt_path(path))
        for fd, value in m.ListFields():
            kind = refs.get(fd.json_name)
            if kind is None or fd.type != fd.TYPE_STRING:
                continue
            for v in (value if fd.label == fd.LABEL_REPEATED else [value]):
                if v not in ids[kind]:
                    errors.append("%s.%s: unknown %s id %r"
                                  % (fmt_path(path), fd.json_name, kind, v))

    walk(msg, [], visit)
    return errors


def get_path(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def check(pb2):
    from google.protobuf import json_format
    built, spans = build(pb2)
    try:
        with open(SEED_FILE, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        die("cannot read %s: %s" % (SEED_FILE, e))
    errors = []
    # 1. Google's parser accepts it and prints it back identically.
    parsed = json_format.Parse(text, pb2.Record())
    if to_json(parsed) != text:
        errors.append("seed.json is not in canonical form (MessageToDict, "
                      "map keys sorted, 2-space indent)")
    if json.loads(json_format.MessageToJson(parsed)) != json.loads(text):
        errors.append("MessageToJson of seed.json differs from seed.json")
    # 2. Binary round trip.
    again = pb2.Record.FromString(parsed.SerializeToString())
    if again != parsed:
        errors.append("binary round trip changed the message")
    # 3. It is what this script generates (the coded data is up to date).
    if parsed != built:
        errors.append("seed.json differs from the coded data: rerun make_seed.py")
    # 4. Every span covers exactly its intended text.
    raw = json.loads(text)
    body = raw["article"]["body"]
    for path, want in spans:
        try:
            sp = get_path(raw, path)
        except (KeyError, IndexError, TypeError):
            errors.append("%s: missing in seed.json" % fmt_path(path))
            continue
        got = body[sp.get("start", 0):sp.get("end", 0)]
        if got != want:
            errors.append("%s: covers %r, intended %r"
                          % (fmt_path(path), got, want))
    # 5. Bounds, quote/mention texts, references.
    errors += check_message(parsed)
    for e in errors:
        sys.stderr.write("make_seed.py: check: %s\n" % e)
    if errors:
        sys.exit(1)
    print("seed.json OK: %d spans verified, %d actors, %d places, %d events, "
          "%d claims, body %d code points (%d UTF-8 bytes)"
          % (len(spans), len(parsed.actors), len(parsed.places),
             len(parsed.events), len(parsed.claims), len(body),
             len(body.encode("utf-8"))))


def list_spans(pb2):
    _, spans = build(pb2)
    raw = json.loads(to_json(build(pb2)[0]))
    for path, want in spans:
        sp = get_path(raw, path)
        print("%-36s %5d %5d  %s" % (fmt_path(path), sp.get("start", 0),
                                     sp.get("end", 0), want))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--check", action="store_true",
                   help="verify examples/seed.json instead of writing it")
    g.add_argument("--list", action="store_true",
                   help="print every span with its offsets and text")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="evrec-seed-") as tmp:
        pb2 = load_pb2(tmp)
        if args.check:
            check(pb2)
            return
        if args.list:
            list_spans(pb2)
            return
        msg, spans = build(pb2)
        errors = check_message(msg)
        if errors:
            die("; ".join(errors))
        out = to_json(msg)
        tmpfile = SEED_FILE + ".tmp"
        with open(tmpfile, "w", encoding="utf-8", newline="\n") as f:
            f.write(out)
        os.replace(tmpfile, SEED_FILE)
        print("wrote %s (%d bytes, %d spans)"
              % (os.path.relpath(SEED_FILE), len(out.encode("utf-8")),
                 len(spans)))


if __name__ == "__main__":
    main()
