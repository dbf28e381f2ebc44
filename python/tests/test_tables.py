"""evrec.read_table: every column of every table against a reference made
here in plain Python from the record dicts (the documented meaning of each
column, python/README.md), on the seed record and on a generated corpus."""
import math

import pandas as pd
import pytest

import evrec
from conftest import SEED


def short(name):
    """Enum value name without its type's prefix: ACTOR_KIND_PERSON -> PERSON."""
    if name is None:
        return None
    for prefix in ("ACTOR_KIND_", "PLACE_PRECISION_", "ATTRIBUTION_", "STANCE_", "VERDICT_",
                   "RECORD_STATUS_", "ARTICLE_KIND_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    raise AssertionError(name)


QUAD = {"QUAD_CLASS_VERBAL_COOPERATION": 1, "QUAD_CLASS_MATERIAL_COOPERATION": 2,
        "QUAD_CLASS_VERBAL_CONFLICT": 3, "QUAD_CLASS_MATERIAL_CONFLICT": 4}


def ts(text):
    return pd.Timestamp(text) if text else None


def joined(v):
    return ";".join(v) if v else None


def by_id(items, key):
    return {x["id"]: x for x in items if x.get("id")} if items else {}


def ref(table, key):
    return table.get(key) if key else None


def first(items, pred):
    return next((x for x in items or [] if pred(x)), None)


def events_rows(r):
    actors, places = by_id(r.get("actors"), "id"), by_id(r.get("places"), "id")
    pub = ts(r.get("article", {}).get("publishedAt"))
    for e in r.get("events", []):
        cameo = first(e.get("types"), lambda t: t.get("scheme") == "EVENT_SCHEME_CAMEO") or {}
        plover = first(e.get("types"), lambda t: t.get("scheme") == "EVENT_SCHEME_PLOVER") or {}
        pl = ref(places, e.get("placeId")) or {}
        src = first(e.get("participants"), lambda p: p.get("role") == "PARTICIPANT_ROLE_ACTOR")
        tgt = first(e.get("participants"), lambda p: p.get("role") == "PARTICIPANT_ROLE_RECIPIENT")
        sa = ref(actors, (src or {}).get("actorId")) or {}
        ta = ref(actors, (tgt or {}).get("actorId")) or {}
        c = e.get("counts", {})
        yield {
            "record_id": r.get("id"), "event_id": e.get("id"), "cameo_code": cameo.get("code"),
            "cameo_label": cameo.get("label"), "plover_code": plover.get("code"),
            "plover_label": plover.get("label"), "mode": e.get("mode"),
            "contexts": joined(e.get("contexts")), "quad_class": QUAD.get(e.get("quadClass")),
            "goldstein": e.get("goldstein"), "confidence": e.get("confidence"), "tone": e.get("tone"),
            "start_date": e.get("startDate"), "end_date": e.get("endDate"),
            "occurred_at": ts(e.get("occurredAt")), "place_id": e.get("placeId"),
            "place_name": pl.get("name"), "place_country": pl.get("country"),
            "place_admin1": pl.get("admin1"), "latitude": pl.get("point", {}).get("latitude", 0.0) if "point" in pl else None,
            "longitude": pl.get("point", {}).get("longitude", 0.0) if "point" in pl else None,
            "source_id": (src or {}).get("actorId"), "source_name": sa.get("name"),
            "source_country": sa.get("country"), "source_cameo_code": sa.get("cameoCode"),
            "target_id": (tgt or {}).get("actorId"), "target_name": ta.get("name"),
            "target_country": ta.get("country"), "target_cameo_code": ta.get("cameoCode"),
            "fatalities": c.get("fatalities"), "injured": c.get("injured"),
            "arrested": c.get("arrested"), "crowd_size": c.get("crowdSize"),
            "cluster_id": e.get("clusterId"), "is_root": e.get("isRoot", False),
            "summary": e.get("summary"), "published_at": pub,
        }


def actors_rows(r):
    pub = ts(r.get("article", {}).get("publishedAt"))
    for a in r.get("actors", []):
        yield {"record_id": r.get("id"), "actor_id": a.get("id"), "name": a.get("name"),
               "kind": short(a.get("kind")), "country": a.get("country"),
               "cameo_code": a.get("cameoCode"), "wikidata_id": a.get("wikidataId"),
               "title": a.get("title"), "sectors": joined(a.get("sectors")),
               "aliases": joined(a.get("aliases")), "mentions": len(a.get("mentions", [])),
               "published_at": pub}


def places_rows(r):
    for p in r.get("places", []):
        pt = p.get("point")
        yield {"record_id": r.get("id"), "place_id": p.get("id"), "name": p.get("name"),
               "country": p.get("country"), "admin1": p.get("admin1"), "admin2": p.get("admin2"),
               "geonames_id": p.get("geonamesId"), "feature_code": p.get("featureCode"),
               "latitude": pt.get("latitude", 0.0) if pt is not None else None,
               "longitude": pt.get("longitude", 0.0) if pt is not None else None,
               "precision": short(p.get("precision")), "wikidata_id": p.get("wikidataId")}


def claims_rows(r):
    actors, places = by_id(r.get("actors"), "id"), by_id(r.get("places"), "id")
    pub = ts(r.get("article", {}).get("publishedAt"))
    for c in r.get("claims", []):
        rv = (c.get("reviews") or [{}])[0]
        yield {"record_id": r.get("id"), "claim_id": c.get("id"), "claimant_id": c.get("claimantId"),
               "claimant_name": c.get("claimantName") or (ref(actors, c.get("claimantId")) or {}).get("name"),
               "text": c.get("text"), "quote": c.get("quote", {}).get("text"),
               "reporting_verb": c.get("reportingVerb"), "medium": c.get("medium"),
               "stated_at": ts(c.get("statedAt")), "stated_date": c.get("statedDate"),
               "place_id": c.get("placeId"), "place_name": (ref(places, c.get("placeId")) or {}).get("name"),
               "attribution": short(c.get("attribution")), "stance": short(c.get("stance")),
               "about_event_ids": joined(c.get("aboutEventIds")), "verdict": short(rv.get("verdict")),
               "textual_rating": rv.get("textualRating"), "reviewer": rv.get("reviewer", {}).get("name"),
               "reviews": len(c.get("reviews", [])), "published_at": pub}


def articles_rows(r):
    a = r.get("article", {})
    p = a.get("publisher", {})
    yield {"record_id": r.get("id"), "revision": r.get("revision", 0), "status": short(r.get("status")),
           "updated_at": ts(r.get("updatedAt")), "uri": a.get("uri"), "headline": a.get("headline"),
           "language": a.get("language"), "kind": short(a.get("kind")),
           "published_at": ts(a.get("publishedAt")), "published_date": a.get("publishedDate"),
           "publisher": p.get("name"), "publisher_domain": p.get("domain"),
           "publisher_country": p.get("country"), "byline": a.get("byline"), "section": a.get("section"),
           "actors": len(r.get("actors", [])), "places": len(r.get("places", [])),
           "events": len(r.get("events", [])), "claims": len(r.get("claims", []))}


REFERENCE = {"events": events_rows, "actors": actors_rows, "places": places_rows,
             "claims": claims_rows, "articles": articles_rows}


def missing(v):
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def check_table(path, table):
    df = evrec.read_table(path, table=table)
    assert list(df.columns) == [c for c, _ in evrec._SCHEMA[table]]
    assert df.dtypes.to_dict() == evrec.empty_table(table).dtypes.to_dict()
    want = [row for r in evrec.open(path) for row in REFERENCE[table](r)]
    assert len(df) == len(want)
    for i, (got, exp) in enumerate(zip(df.to_dict("records"), want)):
        assert got.keys() == exp.keys()
        for k in got:
            g, e = got[k], exp[k]
            if missing(e) or e == "":
                assert missing(g), (table, i, k, g)
            else:
                assert not missing(g) and g == e, (table, i, k, g, e)
    return df


@pytest.mark.parametrize("table", evrec.TABLES)
def test_seed_tables(table):
    df = check_table(SEED, table)
    assert len(df) == {"events": 11, "actors": 15, "places": 5, "claims": 6, "articles": 1}[table]


@pytest.mark.parametrize("table", evrec.TABLES)
def test_corpus_tables(corpus, table):
    df = check_table(corpus["evr"], table)
    assert len(df) > 50 or table == "articles"
    if table == "events":  # the joins resolve in generated data
        assert df["source_name"].notna().mean() > 0.5 and df["place_name"].notna().mean() > 0.5


def test_seed_events_spot_check(seed_dict):
    df = evrec.read_table(SEED)
    e1 = df.iloc[0]
    assert (e1.event_id, e1.cameo_code, e1.plover_code, e1.quad_class) == ("e1", "1042", "REQUEST", 3)
    assert str(df.dtypes["published_at"]) == "datetime64[ns, UTC]"
    assert "publishedAt" not in seed_dict["article"]  # the seed has a publishedDate only
    assert df.published_at.isna().all()
    arts = evrec.read_table(SEED, table="articles")
    assert arts.published_date[0] == seed_dict["article"]["publishedDate"] == "2025-06-16"
    assert arts.updated_at[0] == pd.Timestamp(seed_dict["updatedAt"])


def test_table_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown table"):
        evrec.read_table(SEED, table="people")
    p = tmp_path / "far.ndjson"
    p.write_text('{"id": "x", "events": [{"id": "e", "occurredAt": "2999-01-01T00:00:00Z"}]}\n')
    with pytest.raises(evrec.RangeError, match="datetime64"):
        evrec.read_table(p)
    assert len(evrec.read_table(p, table="articles")) == 1
    empty = tmp_path / "e.ndjson"
    empty.write_text("")
    assert evrec.read_table(empty).dtypes.to_dict() == evrec.empty_table("events").dtypes.to_dict()
