"""evrec -- event-data records (evrec.v1) in Python, at the C library's speed.

    import evrec
    for rec in evrec.open("news.evr"):          # dicts; as_="json" / "bytes"
        print(rec["id"], len(rec.get("events", [])))
    with evrec.Writer("out.evr") as w:          # atomic: renamed on close
        w.write(rec)                            # a dict, a JSON str or pb bytes
    df = evrec.read_table("news.evr", table="events")   # pandas.DataFrame
    for d in evrec.diff("old.evr", "new.evr"):          # {"op", "id", "path", "old", "new"}
        print(d["op"], d["id"], d["path"])
    bag = evrec.dask.read_records(["a.evr", "b.evr"])   # Dask, split by block

The C extension evrec._evrec (libevrec linked statically) does the work;
this package adds pandas tables (read_table) and Dask (evrec.dask, imported
on first use). Reference: python/README.md.
"""
from evrec._evrec import (  # noqa: F401  (re-exported API)
    ArgumentError,
    Block,
    ConflictError,
    CorruptError,
    Diff,
    Error,
    FileError,
    FormatError,
    LimitError,
    NoMemoryError,
    NotFoundError,
    ParseError,
    RangeError,
    Reader,
    SchemaError,
    TruncatedError,
    UnsupportedError,
    UTF8Error,
    Writer,
    Validation,
    _diff,
    _validate,
    blocks,
    library_version,
    open,
    record_diff,
    record_patch,
    rules,
)

__version__ = library_version

TABLES = ("events", "actors", "places", "claims", "articles")

# Column kinds of read_table (python/README.md documents each column).
_S, _F, _I, _N, _B, _T = "str", "float", "Int64", "int64", "bool", "time"
_SCHEMA = {
    "events": [
        ("record_id", _S), ("event_id", _S), ("cameo_code", _S), ("cameo_label", _S),
        ("plover_code", _S), ("plover_label", _S), ("mode", _S), ("contexts", _S),
        ("quad_class", _I), ("goldstein", _F), ("confidence", _F), ("tone", _F),
        ("start_date", _S), ("end_date", _S), ("occurred_at", _T), ("place_id", _S),
        ("place_name", _S), ("place_country", _S), ("place_admin1", _S), ("latitude", _F),
        ("longitude", _F), ("source_id", _S), ("source_name", _S), ("source_country", _S),
        ("source_cameo_code", _S), ("target_id", _S), ("target_name", _S),
        ("target_country", _S), ("target_cameo_code", _S), ("fatalities", _I),
        ("injured", _I), ("arrested", _I), ("crowd_size", _I), ("cluster_id", _S),
        ("is_root", _B), ("summary", _S), ("published_at", _T),
    ],
    "actors": [
        ("record_id", _S), ("actor_id", _S), ("name", _S), ("kind", _S), ("country", _S),
        ("cameo_code", _S), ("wikidata_id", _S), ("title", _S), ("sectors", _S),
        ("aliases", _S), ("mentions", _N), ("published_at", _T),
    ],
    "places": [
        ("record_id", _S), ("place_id", _S), ("name", _S), ("country", _S), ("admin1", _S),
        ("admin2", _S), ("geonames_id", _S), ("feature_code", _S), ("latitude", _F),
        ("longitude", _F), ("precision", _S), ("wikidata_id", _S),
    ],
    "claims": [
        ("record_id", _S), ("claim_id", _S), ("claimant_id", _S), ("claimant_name", _S),
        ("text", _S), ("quote", _S), ("reporting_verb", _S), ("medium", _S),
        ("stated_at", _T), ("stated_date", _S), ("place_id", _S), ("place_name", _S),
        ("attribution", _S), ("stance", _S), ("about_event_ids", _S), ("verdict", _S),
        ("textual_rating", _S), ("reviewer", _S), ("reviews", _N), ("published_at", _T),
    ],
    "articles": [
        ("record_id", _S), ("revision", _N), ("status", _S), ("updated_at", _T), ("uri", _S),
        ("headline", _S), ("language", _S), ("kind", _S), ("published_at", _T),
        ("published_date", _S), ("publisher", _S), ("publisher_domain", _S),
        ("publisher_country", _S), ("byline", _S), ("section", _S), ("actors", _N),
        ("places", _N), ("events", _N), ("claims", _N),
    ],
}


def _column(values, kind):
    import numpy as np
    import pandas as pd
    if kind == _S:
        return pd.array(values, dtype=object)
    if kind == _F:
        return np.array(values, dtype="float64")
    if kind == _I:
        return pd.array(values, dtype="Int64")
    if kind == _N:
        return np.array(values, dtype="int64")
    if kind == _B:
        return np.array(values, dtype=bool)
    # nanoseconds since the epoch (None = absent) -> datetime64[ns, UTC]
    return pd.to_datetime(pd.array(values, dtype="Int64"), unit="ns", utc=True)


def _frame(columns, table):
    """The DataFrame of a table from the C side's {column: list}."""
    import pandas as pd
    return pd.DataFrame({name: _column(columns[name], kind) for name, kind in _SCHEMA[table]})


def empty_table(table):
    """An empty DataFrame with the columns and dtypes of `table`."""
    if table not in _SCHEMA:
        raise ValueError("unknown table %r (%s)" % (table, ", ".join(TABLES)))
    return _frame({name: [] for name, _ in _SCHEMA[table]}, table)


def read_table(source, table="events", **options):
    """read_table(source, table="events", *, format=None, blocks=None, limits...)

    One row per entity of the records in `source` (a path or a binary file
    object, any format evrec reads) as a pandas.DataFrame: table "events",
    "actors", "places", "claims" or "articles". Rows carry their record's
    id and the columns joined through the record's references (an event's
    place and its source and target actors, a claim's claimant). Columns
    and dtypes: python/README.md. Keyword options are those of evrec.open
    (format, blocks, type is always evrec.v1.Record, limits ...).
    """
    if table not in _SCHEMA:
        raise ValueError("unknown table %r (%s)" % (table, ", ".join(TABLES)))
    if options.get("as_", "dict") != "dict":
        raise ValueError("read_table reads records itself; as_ does not apply")
    options.pop("as_", None)
    with open(source, **options) as reader:
        columns = reader._table(table)
    return _frame(columns, table)


def validate(source, *, strict=False, rules=None, skip_rules=None, **options):
    """validate(source, *, strict=False, rules=None, skip_rules=None, format=None, limits...)

    Checks every record of `source` (a path or a binary file object, any
    format) against the rules of evrec.v1 (docs/VALIDATION.md; evrec.rules()
    lists them) and yields one dict per violation, as `evrec validate
    --format json` prints it: file, record (from 1), id, rule, severity
    ("error" or "warning"), path, message, and for records that cannot be
    decoded (decode-* rules) line, column and offset. Validation goes on
    after such records wherever the format allows it. `strict` reports
    warnings as errors; `rules` / `skip_rules` are lists of rule ids or
    globs ("span-*"). The returned iterator's `stats` gives the counts
    (records, invalid, errors, warnings) so far. Other keywords are
    evrec.open's (format, ignore_unknown, blocks, limits).
    """
    return _validate(source, strict=strict, rules=rules, skip_rules=skip_rules, **options)


def validate_record(record, **options):
    """The violations of one record (a dict, a JSON str or pb bytes) as a
    list of dicts (see validate); a record that does not decode raises, as
    Writer.write does. Duplicate ids cannot be found in one record."""
    import io
    buf = io.BytesIO()
    with Writer(buf, format="pbd") as w:
        w.write(record)
    return list(validate(io.BytesIO(buf.getvalue()), format="pbd", **options))


def diff(a, b, *, ignore=None, float_tolerance=0.0, ignore_order=False, json_patch=False,
         threads=0, temp_dir=None, **options):
    """diff(a, b, *, ignore=None, float_tolerance=0.0, ignore_order=False, json_patch=False, threads=0, temp_dir=None, format=None, limits...)

    The differences between two sets of records, matched by their id
    (docs/DIFF.md): a and b are paths, binary file objects or evrec.open()
    Readers, in any format. Yields one dict per difference, as `evrec diff
    --format json` prints it: op ("add", "remove", "replace"), id (the
    record's), path ("" for a whole record added or removed, else e.g.
    "events[id=e2].confidence"), and old / new (where present) as
    json.loads gives the canonical JSON values. Removed and changed records
    come in A's order, then the added ones in B's; a record's differences
    are consecutive. `ignore` is a list of path globs ("events.*"),
    `float_tolerance` makes floats that close equal, `ignore_order` compares
    every list as a multiset. With json_patch=True, one dict per record, as
    `--format json-patch` prints it: {"id", "patch": [RFC 6902 ops against
    A's canonical JSON]} or {"id", "removed": True}. `threads=1` reads A and
    B one after the other (default: at once, when there are two cores);
    `temp_dir` holds the records of a side that cannot seek (a pipe).
    Other keywords are evrec.open's (format, ignore_unknown, limits), for
    the sides given as paths or file objects. The iterator's `stats` gives
    the counts (records read, same, changed, removed, added, differences);
    a duplicate id raises evrec.ConflictError naming both records.
    """
    return _diff(a, b, ignore=ignore, float_tolerance=float_tolerance, ignore_order=ignore_order,
                 json_patch=json_patch, threads=threads, temp_dir=temp_dir, **options)


def __getattr__(name):
    # evrec.dask imports dask, which takes a while: only when used.
    if name == "dask":
        import importlib
        return importlib.import_module("evrec.dask")
    raise AttributeError("module 'evrec' has no attribute %r" % name)
