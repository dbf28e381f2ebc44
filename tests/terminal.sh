#!/bin/bash
# terminal.sh -- what evrec does when standard input is a terminal.
#
#   bash tests/terminal.sh CLI BUILD_DIR        (run by `make check`)
#
# A command that reads records with no input file (or '-') on a terminal
# says so on stderr before it waits -- "evrec: reading records from
# standard input (Ctrl-D to end)" -- and reads what is typed until Ctrl-D;
# binary input (pb, pbd, evr: -f, or get/recover/schema, which read only
# .evr) is refused at once, as gzip refuses compressed data from a
# terminal. From a pipe nothing is said. The terminal is a real pty
# (python3's pty module); every run has a timeout, so a command that waits
# silently fails instead of hanging the suite.
#
# Ends with "terminal: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
PY=/usr/bin/python3
T=$(mktemp -d /tmp/evrec-terminal.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 2

"$PY" - "$CLI" <<'EOF'
import os, pty, subprocess, sys

cli = sys.argv[1]
passed = failed = 0
NOTICE = "evrec: reading records from standard input (Ctrl-D to end)\n"
REC = b'{"id":"t1","article":{"headline":"typed"}}\n'


def run(args, typed, tty=True):
    """Runs evrec with stdin a pty (or a pipe), types `typed` and Ctrl-D."""
    if tty:
        master, slave = pty.openpty()
        p = subprocess.Popen([cli] + args, stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        os.close(slave)
        if typed is not None:
            os.write(master, typed + b"\x04")  # Ctrl-D at the start of a line: EOF
    else:
        master = None
        p = subprocess.Popen([cli] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdin.write(typed or b"")
        p.stdin.close()
        p.stdin = None
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, out.decode(), err.decode() + "(timed out: waiting silently?)"
    finally:
        if master is not None:
            os.close(master)
    return p.returncode, out.decode(), err.decode()


def check(name, got, want):
    global passed, failed
    if got == want:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name}: got {got!r}, want {want!r}", file=sys.stderr)


canon = REC.decode()

# Records typed at the terminal: the notice, then the records.
rc, out, err = run(["cat"], REC)
check("cat: status", rc, 0)
check("cat: notice", err, NOTICE)
check("cat: the typed record", out, canon)

rc, out, err = run(["cat", "-"], REC)
check("cat -: notice", (rc, err), (0, NOTICE))

rc, out, err = run(["convert", "-o", "typed.evr"], REC)
check("convert -o x.evr: notice", (rc, err, out), (0, NOTICE, ""))
rc, out, err = run(["cat", "typed.evr"], None, tty=False)
check("convert -o x.evr: the typed record was written", (rc, out), (0, canon))

rc, out, err = run(["validate"], REC)
check("validate: notice", err, NOTICE)
check("validate: summary", out, "1 record, 0 errors, 0 warnings in 1 file\n")

rc, out, err = run(["info", "-"], REC)
check("info -: notice and status", (rc, err), (0, NOTICE))
check("info -: what was typed", out.splitlines()[:3], ["file:        <stdin>", "format:      json",
                                                       "records:     1"])

# Nothing typed: Ctrl-D alone ends the input, no records.
rc, out, err = run(["cat"], b"")
check("cat, Ctrl-D at once", (rc, out, err), (0, "", NOTICE))

# Binary input from a terminal is refused at once, without waiting.
REFUSE = "evrec: refusing to read binary {} from a terminal (give a file, or redirect stdin)\n"
for args, fmt in [(["cat", "-f", "pbd"], "pbd"), (["convert", "-f", "pb", "-o", "x.json"], "pb"),
                  (["validate", "-f", "evr"], "evr"), (["info", "-f", "pbd", "-"], "pbd"),
                  (["get", "-", "some-id"], "evr"), (["recover", "-", "-o", "r.evr"], "evr"),
                  (["schema", "-"], "evr")]:
    rc, out, err = run(args, None)
    # validate still prints its summary, as for any input it could not read
    summary = "0 records, 0 errors, 0 warnings in 0 files\n" if args[0] == "validate" else ""
    check(" ".join(args) + ": refused", (rc, out, err), (2, summary, REFUSE.format(fmt)))
check("convert -f pb: no output file", os.path.exists("x.json"), False)

# From a pipe: no notice.
rc, out, err = run(["cat"], REC, tty=False)
check("cat from a pipe: quiet", (rc, out, err), (0, canon, ""))

print(f"terminal: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
