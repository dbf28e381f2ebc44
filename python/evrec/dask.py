"""evrec.dask -- evrec files as Dask collections, split by .evr block ranges.

    import evrec.dask
    bag = evrec.dask.read_records("data/*.evr", blocks_per_partition=64)
    df = evrec.dask.read_table("data/*.evr", table="events")
    paths = evrec.dask.to_evr(bag.filter(pred), "out/")

A partition of an .evr file is a contiguous run of its data blocks, listed
once from the file's index (evrec.blocks) when the collection is built; each
task opens the file itself, goes straight to the run's first block
(evrec.open(path, blocks=run)) and reads the run's records, so one file
becomes many partitions and no worker reads what another reads. Other
formats (JSON, NDJSON, pb, pbd) cannot be split without reading them: one
partition per file. The tasks need only the paths to be readable by the
workers (a shared file system when the cluster spans machines) and the
evrec package importable there. Everything runs on whatever scheduler is
current: threads, processes, or a distributed.Client (docs/SCALING.md).
"""
import glob
import os

import dask
import dask.bag
import dask.dataframe

import evrec

DEFAULT_BLOCKS_PER_PARTITION = 64  # 64 x 256 KiB blocks: ~16 MiB of records


def _paths(paths):
    if isinstance(paths, (str, bytes, os.PathLike)):
        paths = [paths]
    out = []
    for p in paths:
        p = os.fspath(p)
        if isinstance(p, str) and glob.has_magic(p):
            hits = sorted(glob.glob(p))
            if not hits:
                raise FileNotFoundError("no file matches %r" % p)
            out += hits
        else:
            out.append(p)
    if not out:
        raise ValueError("no input paths")
    return out


def partitions(paths, blocks_per_partition=DEFAULT_BLOCKS_PER_PARTITION, **options):
    """The partitions read_records and read_table make: a list of (path,
    blocks), where blocks is a list of evrec.Block (a run of the file's data
    blocks) or None (the whole file, not an .evr container)."""
    if blocks_per_partition < 1:
        raise ValueError("blocks_per_partition must be >= 1")
    out = []
    for path in _paths(paths):
        with evrec.open(path, format=options.get("format"),
                        max_index_size=options.get("max_index_size", 0)) as r:
            if r.format != "evr":
                out.append((path, None))
                continue
            blocks = r.blocks()
        if not blocks:
            out.append((path, []))
        for i in range(0, len(blocks), blocks_per_partition):
            out.append((path, blocks[i:i + blocks_per_partition]))
    return out


def _read_part(path, blocks, as_, options):
    # An iterator, not a list: Dask fuses the read with the map/filter/
    # reduction after it, so a partition streams through the task one
    # record at a time instead of being held whole in the worker's memory
    # (where a result must be kept, Dask turns it into a list itself).
    with evrec.open(path, as_=as_, blocks=blocks, **options) as r:
        yield from r


def _table_part(path, blocks, table, options):
    return evrec.read_table(path, table=table, blocks=blocks, **options)


def read_records(paths, blocks_per_partition=DEFAULT_BLOCKS_PER_PARTITION, as_="dict", **options):
    """A dask.bag of the records of `paths` (a path, a glob or a list of
    them), as dicts (or as_="json" text, as_="bytes" pb). Keyword options
    are evrec.open's (format, ignore_unknown, limits ...). Records keep
    file order within a partition and partitions keep file order."""
    parts = partitions(paths, blocks_per_partition, **options)
    # pure=False: a file may change between two computations, so results
    # are never reused by the name of the file (Dask would, for pure tasks)
    tasks = [dask.delayed(_read_part, pure=False)(p, b, as_, options) for p, b in parts]
    return dask.bag.from_delayed(tasks)


def read_table(paths, table="events", blocks_per_partition=DEFAULT_BLOCKS_PER_PARTITION,
               **options):
    """A dask.dataframe of evrec.read_table(table=...) over `paths`,
    partitioned like read_records; columns and dtypes as read_table's."""
    meta = evrec.empty_table(table)
    parts = partitions(paths, blocks_per_partition, **options)
    tasks = [dask.delayed(_table_part, pure=False)(p, b, table, options) for p, b in parts]
    return dask.dataframe.from_delayed(tasks, meta=meta, verify_meta=False)


def _write_part(records, path, options):
    with evrec.Writer(path, format="evr", **options) as w:
        for rec in records:
            w.write(rec)
    return path


def to_evr(bag, directory, name="part-{:05d}.evr", compute=True, **options):
    """Writes each partition of `bag` (records as dicts, JSON str or pb
    bytes) to its own .evr file in `directory` (created if needed), named
    name.format(partition number). Each file is complete and written
    atomically; in partition order, their byte concatenation
    (`cat out/part-*.evr > all.evr`) is itself a valid .evr holding every
    record in order. Keyword options are evrec.Writer's (level,
    block_size, meta, created_at ...; threads defaults to 1 here). Returns the list of paths (or, with
    compute=False, the delayed tasks that write them)."""
    os.makedirs(directory, exist_ok=True)
    # one compression thread per task unless asked: workers already run one
    # task per core, and the output is the same bytes for any thread count
    options.setdefault("threads", 1)
    tasks = [dask.delayed(_write_part, pure=False)(part, os.path.join(directory, name.format(i)),
                                                   options)
             for i, part in enumerate(bag.to_delayed())]
    if not compute:
        return tasks
    return list(dask.compute(*tasks))
