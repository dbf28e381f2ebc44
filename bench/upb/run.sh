#!/bin/sh
# run.sh -- evrec vs upb (upb_peer) on NDJSON -> pbd and pbd -> NDJSON.
# Usage: bench/upb/run.sh CORPUS.ndjson [RUNS]   (RUNS default 7; after build.sh)
# Env: EVREC (default build/evrec), UPB (default build/upb-peer/upb_peer),
#      UPB_FLAGS (extra upb_peer options, e.g. "--arena=new" or "--alias"),
#      ICOUNT_MB (default 4: valgrind instruction counts on the first ~4 MB of
#      the corpus; 0 = skip), OUT_DIR (default /tmp/upb-peer-run.$$).
# Prints: correctness checks, then one table: min wall of RUNS alternating
# runs, MB/s counting the NDJSON bytes on either side (as bench/run.py),
# min CPU (user+sys), and instructions (cachegrind Ir) on the slice.
set -eu
HERE=$(cd "$(dirname "$0")/../../build/upb-peer" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 CORPUS.ndjson [RUNS]" >&2; exit 2; }
CORPUS=$1
RUNS=${2:-7}
EVREC=${EVREC:-$HERE/../evrec}
UPB=${UPB:-$HERE/upb_peer}
UPB_FLAGS=${UPB_FLAGS:-}
FDS=$HERE/evrec.fds
ICOUNT_MB=${ICOUNT_MB:-4}
OUT_DIR=${OUT_DIR:-/tmp/upb-peer-run.$$}
mkdir -p "$OUT_DIR"
trap 'rm -rf "$OUT_DIR"' EXIT

PBD=${CORPUS%.ndjson}.pbd
if [ ! -f "$PBD" ]; then
  PBD=$OUT_DIR/corpus.pbd
  "$EVREC" convert "$CORPUS" -t pbd -o "$PBD"
fi

echo "== correctness ($(basename "$CORPUS"))"
"$UPB" $UPB_FLAGS "$FDS" json2pbd "$CORPUS" > "$OUT_DIR/upb.pbd"
"$EVREC" convert "$OUT_DIR/upb.pbd" -f pbd -t ndjson -o "$OUT_DIR/back.ndjson"
if cmp -s "$OUT_DIR/back.ndjson" "$CORPUS"; then
  echo "upb json2pbd: evrec reads it back to byte-identical NDJSON"
else
  "$EVREC" diff "$OUT_DIR/upb.pbd" "$CORPUS" > /dev/null && echo "upb json2pbd: evrec diff equal (bytes differ)" \
    || { echo "upb json2pbd: DIFFERENT records" >&2; exit 1; }
fi
cmp -s "$OUT_DIR/upb.pbd" "$PBD" && echo "upb json2pbd: pbd byte-identical to evrec's" \
  || echo "upb json2pbd: pbd bytes differ from evrec's (map entry order), records equal"
"$UPB" $UPB_FLAGS "$FDS" pbd2json "$PBD" > "$OUT_DIR/upb.ndjson"
if cmp -s "$OUT_DIR/upb.ndjson" "$CORPUS"; then
  echo "upb pbd2json: byte-identical NDJSON"
else
  "$EVREC" diff "$OUT_DIR/upb.ndjson" "$CORPUS" > /dev/null && echo "upb pbd2json: evrec diff equal (bytes differ: doubles)" \
    || { echo "upb pbd2json: DIFFERENT records" >&2; exit 1; }
fi
rm -f "$OUT_DIR"/upb.* "$OUT_DIR/back.ndjson"

SLICE=
if [ "$ICOUNT_MB" != 0 ] && command -v valgrind > /dev/null; then
  SLICE=$OUT_DIR/slice.ndjson
  head -c "$((ICOUNT_MB * 1048576))" "$CORPUS" | sed '$d' > "$SLICE"  # whole lines only
  "$EVREC" convert "$SLICE" -t pbd -o "$OUT_DIR/slice.pbd"
fi

/usr/bin/python3 - "$CORPUS" "$PBD" "$RUNS" "$EVREC" "$UPB" "$FDS" "$OUT_DIR" "$SLICE" "$UPB_FLAGS" <<'PY'
import os, re, subprocess, sys, time
corpus, pbd, runs, evrec, upb, fds, out_dir, slice_, upb_flags = sys.argv[1:]
runs = int(runs); upb_flags = upb_flags.split()
nbytes = os.path.getsize(corpus)
nrec = sum(1 for _ in open(corpus, "rb"))

def cmds(js, pb):
    return [
        ("NDJSON -> pbd", "evrec", [evrec, "convert", js, "-t", "pbd", "-o", "-"]),
        ("NDJSON -> pbd", "upb", [upb] + upb_flags + [fds, "json2pbd", js]),
        ("pbd -> NDJSON", "evrec", [evrec, "convert", pb, "-f", "pbd", "-t", "ndjson", "-o", "-"]),
        ("pbd -> NDJSON", "upb", [upb] + upb_flags + [fds, "pbd2json", pb]),
    ]

def run_once(argv):
    out = os.path.join(out_dir, "out")
    with open(out, "wb") as f:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=f)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    if status != 0:
        sys.exit("failed: %s" % " ".join(argv))
    os.unlink(out)
    return wall, ru.ru_utime + ru.ru_stime

rows = cmds(corpus, pbd)
best = {}
load0 = os.getloadavg()
for i in range(runs):           # alternate: e, u, e, u per round
    for conv, prog, argv in rows:
        w, c = run_once(argv)
        b = best.setdefault((conv, prog), [w, c])
        b[0] = min(b[0], w); b[1] = min(b[1], c)
load1 = os.getloadavg()

ir = {}
if slice_:
    for conv, prog, argv in cmds(slice_, os.path.join(out_dir, "slice.pbd")):
        p = subprocess.run(["valgrind", "--tool=cachegrind", "--cache-sim=no",
                            "--cachegrind-out-file=/dev/null"] + argv,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        m = re.search(r"I\s+refs:\s+([\d,]+)", p.stderr)
        ir[(conv, prog)] = int(m.group(1).replace(",", "")) if m else None

print()
print("corpus %s: %d bytes NDJSON (%.1f MB), %d records; pbd %d bytes" %
      (os.path.basename(corpus), nbytes, nbytes / 1e6, nrec, os.path.getsize(pbd)))
print("evrec: %s; upb: %s %s" % (evrec, upb, " ".join(upb_flags)))
print("runs: %d alternating, min wall; load average (1/5/15 min) before %.2f %.2f %.2f, after %.2f %.2f %.2f; nproc %d" %
      ((runs,) + load0 + load1 + (os.cpu_count(),)))
if slice_:
    print("instructions: cachegrind Ir on the first %d bytes (%d records)" %
          (os.path.getsize(slice_), sum(1 for _ in open(slice_, "rb"))))
print()
print("| conversion | evrec MB/s | upb MB/s | evrec / upb | evrec CPU s | upb CPU s | CPU ratio | evrec Minstr | upb Minstr | instr ratio (upb/evrec) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for conv in ("NDJSON -> pbd", "pbd -> NDJSON"):
    e, u = best[(conv, "evrec")], best[(conv, "upb")]
    ie, iu = ir.get((conv, "evrec")), ir.get((conv, "upb"))
    istr = ("%.0f | %.0f | %.2fx" % (ie / 1e6, iu / 1e6, iu / ie)) if ie and iu else "- | - | -"
    print("| %s | %.0f (%.3f s) | %.0f (%.3f s) | %.2fx | %.3f | %.3f | %.2fx | %s |" %
          (conv, nbytes / 1e6 / e[0], e[0], nbytes / 1e6 / u[0], u[0], u[0] / e[0],
           e[1], u[1], u[1] / e[1] if e[1] else float("nan"), istr))
PY
