"""peer_py.py -- the Python json_format peer of `make bench` (SPEC §9).

    /usr/bin/python3 peer_py.py GENDIR json2pbd IN.ndjson OUT.pbd
    /usr/bin/python3 peer_py.py GENDIR pbd2json IN.pbd OUT.ndjson

Google's reference protobuf for Python (Debian python3-protobuf, whose
messages are backed by the C++ runtime) converting evrec.v1.Record the way
`evrec convert` does: json_format.Parse + a varint length prefix
(_VarintBytes, as Java's writeDelimitedTo) one way, the delimited stream +
json_format.MessageToJson the other. GENDIR holds evrec/v1/evrec_pb2.py made
by protoc --python_out from the project's own .proto. Input is streamed a
line or a record at a time.
"""
import sys


def json2pbd(pb2, json_format, encoder, src, dst):
    rec = pb2.Record()
    for n, line in enumerate(src, 1):
        if not line.strip():
            continue
        rec.Clear()
        try:
            json_format.Parse(line, rec)
        except json_format.ParseError as e:
            sys.exit("peer_py: record %d: %s" % (n, e))
        data = rec.SerializeToString()
        dst.write(encoder._VarintBytes(len(data)))
        dst.write(data)


def read_varint(src):
    """Reads one base-128 varint; None at a clean end of input."""
    shift = value = 0
    while True:
        b = src.read(1)
        if not b:
            if shift:
                sys.exit("peer_py: truncated length prefix")
            return None
        value |= (b[0] & 0x7F) << shift
        if b[0] < 0x80:
            return value
        shift += 7


def pbd2json(pb2, json_format, src, dst):
    rec = pb2.Record()
    while True:
        size = read_varint(src)
        if size is None:
            return
        data = src.read(size)
        if len(data) != size:
            sys.exit("peer_py: truncated record")
        rec.Clear()
        rec.ParseFromString(data)
        text = json_format.MessageToJson(rec, indent=None, ensure_ascii=False)
        dst.write(text.encode("utf-8"))
        dst.write(b"\n")


def main(argv):
    if len(argv) != 5 or argv[2] not in ("json2pbd", "pbd2json"):
        sys.exit("usage: peer_py.py GENDIR json2pbd|pbd2json IN OUT")
    sys.path.insert(0, argv[1])
    from google.protobuf import json_format
    from google.protobuf.internal import encoder
    from evrec.v1 import evrec_pb2 as pb2

    mode, inp, out = argv[2], argv[3], argv[4]
    src = sys.stdin.buffer if inp == "-" else open(inp, "rb", buffering=1 << 20)
    dst = sys.stdout.buffer if out == "-" else open(out, "wb", buffering=1 << 20)
    if mode == "json2pbd":
        json2pbd(pb2, json_format, encoder, src, dst)
    else:
        pbd2json(pb2, json_format, src, dst)
    dst.flush()


if __name__ == "__main__":
    main(sys.argv)
