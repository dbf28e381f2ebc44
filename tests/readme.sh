#!/bin/bash
# readme.sh -- README.md as a tested script: every ```sh block runs as
# printed, from a fresh copy of the repository, after the README's set-up
# lines.
#
#   bash tests/readme.sh CLI BUILD_DIR        (run by `make check`)
#
# The repository is copied (sources with their times; build/ is a link to
# BUILD_DIR, so `make` in the copy finds everything built and builds
# nothing). The set-up block -- the ```sh block after the
# "<!-- set-up: ... -->" line -- runs first in every block's shell; then
# each other ```sh block of the whole README runs in a fresh bash of its
# own (so a block cannot lean on another's files or variables), with its
# own HOME and TMPDIR in the scratch directory, pipefail, and a timeout.
# A block fails when:
#   - a command exits with a status other than 0, or than N where its line
#     ends with a comment that says "(exit N)" (pipelines count a failure
#     of any stage, pipefail; 141, a stage stopped by SIGPIPE because a
#     reader such as `| head` had enough, is not a failure);
#   - a command marked "(exit N)" exits with another status;
#   - it leaves a file created, changed or removed in the copy outside
#     build/ (blocks write into their scratch directory, $tour).
# Not run, because they run this test (or the demo, tests/demo.sh): the
# lines `make test`, `make check` and `make demo`; they must be real make
# targets (in make's database, `make -p`). Commands belong in ```sh blocks (```bash,
# ```shell and ```console are refused: they would escape this test); output
# samples and synopses in plain ``` blocks. The ```c blocks are built and
# run by tests/install/run.sh.
#
# Ends with "readme: N passed, M failed"; exits non-zero on failure.
set -u

CLI=$(realpath "$1")
BUILD=$(realpath "${2:-build}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PY=/usr/bin/python3
T=$(mktemp -d /tmp/evrec-readme.XXXXXX)
trap 'rm -rf "$T"' EXIT
[ -x "$BUILD/evrec" ] && [ "$BUILD/evrec" -ef "$CLI" ] || {
  echo "readme: $CLI is not $BUILD/evrec"; echo "readme: 0 passed, 1 failed"; exit 1; }
# Against the plain build only (`make check`): under a sanitizer build the
# README's own make lines (make python, make install ...) would build and
# link uninstrumented code into BUILD_DIR, and its programs would need the
# sanitizer runtime preloaded. The commands it runs are the ones the other
# tests run under the sanitizers.
if nm "$CLI" 2> /dev/null | grep -q '__asan_init\|__tsan_init'; then
  echo "readme: skipped in a sanitizer build (runs in the plain make check)"
  echo "readme: 0 passed, 0 failed"
  exit 0
fi

# A copy of the repository as a clone has it: no build/, no .git.
mkdir -p "$T/repo"
tar -C "$ROOT" --exclude=./build --exclude='./build-*' --exclude=./.git --exclude=__pycache__ \
  -cf - . | tar -C "$T/repo" -xf - || exit 2
ln -s "$BUILD" "$T/repo/build"


exec "$PY" - "$T" <<'EOF'
import os, re, subprocess, sys

T = sys.argv[1]
repo = os.path.join(T, "repo")
readme = os.path.join(repo, "README.md")
passed = failed = 0

def bad(msg):
    global failed
    failed += 1
    print(f"FAIL: {msg}", file=sys.stderr)

def ok():
    global passed
    passed += 1

# A user's environment, not make's: variables given to the make that runs
# this test (B=build/asan, SANITIZE ...) are exported to it, and would steer
# the README's own make commands.
env0 = {k: v for k, v in os.environ.items()
        if k in ("PATH", "LANG", "TERM", "USER", "LOGNAME", "SHELL", "TZ") or k.startswith("LC_")}

# The build the copy sees must be complete: `make` there must not rebuild
# (it would build with other flags into BUILD_DIR).
q = subprocess.run(["make", "-q", "lib", "cli"], cwd=repo, env=env0,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if q.returncode != 0:
    bad("the build is not up to date for the copy (run make first)")
    print(f"readme: {passed} passed, {failed} failed")
    sys.exit(1)

# ---- the blocks: (first line number, info string, lines)
blocks, cur, setup_next, setup = [], None, False, None
for no, line in enumerate(open(readme, encoding="utf-8").read().split("\n"), 1):
    if cur is None:
        if line.startswith("<!-- set-up:"):
            setup_next = True
        m = re.match(r"^```(\S*)\s*$", line)
        if m:
            cur = (no + 1, m.group(1), [])
    elif line.rstrip() == "```":
        if cur[1] == "sh" and setup_next:
            setup, setup_next = cur, False
        else:
            blocks.append(cur)
        cur = None
    else:
        cur[2].append(line)
if cur is not None:
    bad(f"README.md:{cur[0] - 1}: a ``` block is not closed")

if setup is None:
    bad("no set-up block (a ```sh block after a '<!-- set-up: ... -->' line)")
    setup = (0, "sh", [])
else:
    ok()
for first, info, lines in blocks:
    if info in ("bash", "shell", "console", "shell-session", "zsh"):
        bad(f"README.md:{first - 1}: ```{info}: commands go in ```sh blocks (tested), text in ``` blocks")
sh_blocks = [b for b in blocks if b[1] == "sh"]
if len(sh_blocks) >= 5:
    ok()
else:
    bad(f"only {len(sh_blocks)} ```sh blocks")

SKIP = re.compile(r"^make (test|check|demo)(\s+#.*)?$")
# The make targets, from make's database (-p) for a goal that does not
# exist: no recipe runs (-n and -q would still run the $(MAKE) lines).
db = subprocess.run(["make", "-p", "-q", "-f", "Makefile", ".readme-no-such-target"], cwd=repo,
                    env=env0, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
targets = {m.group(1) for m in re.finditer(r"^([A-Za-z0-9_.-]+):(?!=)", db, re.M)}
EXPECT = re.compile(r"#.*\(exit (\d+)\)\s*$")

def snapshot():
    """Files of the copy outside build/: path -> (size, mtime)."""
    out = {}
    for d, dirs, files in os.walk(repo):
        if d == repo and "build" in dirs:
            dirs.remove("build")
        for f in files + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            p = os.path.join(d, f)
            st = os.lstat(p)
            out[os.path.relpath(p, repo)] = (st.st_size, st.st_mtime_ns)
        for x in dirs:
            out[os.path.relpath(os.path.join(d, x), repo) + "/"] = (0, 0)
    return out

for n, (first, info, lines) in enumerate(sh_blocks):
    # The script: the set-up lines, then the block's, each README line on a
    # script line of its own; "(exit N)" lines get a check after them.
    prelude = ["set -o pipefail", "__fail=0", "declare -A __want __seen __where",
               '__err() { local st=$1 ln=$2; if [ -n "${__want[$ln]:-}" ]; then __seen[$ln]=$st; return 0; fi;'
               ' [ "$st" = 141 ] && return 0;'
               ' echo "README.md:${__where[$ln]:-?}: exit status $st" >&2; __fail=1; }',
               "trap '__err $? $LINENO' ERR"]
    header = len(prelude) + 1  # + the line that fills the maps
    body = [(setup[0] + k, line) for k, line in enumerate(setup[2])]
    body += [(first + k, line) for k, line in enumerate(lines)]
    out_lines, where, want = [], {}, {}
    for readme_no, line in body:
        if SKIP.match(line.strip()):
            target = line.split()[1]
            ok() if target in targets else bad(f"README.md:{readme_no}: `make {target}` is no target")
            line = ":  # not run here: " + line.strip()
        out_lines.append(line)
        ln = header + len(out_lines)
        where[ln] = readme_no
        m = EXPECT.search(line)
        if m:
            want[ln] = m.group(1)
            out_lines.append(f'[ "${{__seen[{ln}]:-0}}" = {m.group(1)} ] || '
                             f'{{ echo "README.md:{readme_no}: exit status ${{__seen[{ln}]:-0}}, '
                             f'the README says {m.group(1)}" >&2; __fail=1; }}')
    maps = "; ".join([f"__where[{k}]={v}" for k, v in where.items()] +
                     [f"__want[{k}]={v}" for k, v in want.items()])
    text = "\n".join(prelude + [maps or ":"] + out_lines) + "\nexit $__fail\n"
    home, tmp = os.path.join(T, f"home{n}"), os.path.join(T, f"tmp{n}")
    os.makedirs(home)
    os.makedirs(tmp)
    path = os.path.join(T, f"block{n}.sh")
    open(path, "w").write(text)
    env = dict(env0, HOME=home, TMPDIR=tmp, LDCONFIG="true")
    before = snapshot()
    try:
        r = subprocess.run(["bash", path], cwd=repo, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        rc, err = r.returncode, r.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        rc, err = -1, "timed out after 600 s"
    after = snapshot()
    where_err = [l for l in err.splitlines() if l.startswith("README.md:")]
    if rc == 0 and not where_err:
        ok()
    else:
        tail = "\n    ".join(err.strip().splitlines()[-6:])
        bad(f"block at README.md:{first - 1}: exit {rc}\n    {tail}")
    changed = sorted(set(before.items()) ^ set(after.items()))
    if changed:
        bad(f"block at README.md:{first - 1} writes into the repository: "
            + ", ".join(sorted({c[0] for c in changed})[:5]))
    else:
        ok()

print(f"readme: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
