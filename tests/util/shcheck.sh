# shcheck.sh -- assertions shared by the shell tests (sourced, not run).
#
# The caller sets CLI; every helper counts into $pass/$fail, and a failure
# prints one "FAIL: ..." line on stderr. The caller prints its own summary.
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# run ARGS... : runs evrec; status in $rc, output in ./out and ./err.
run() {
  "$CLI" "$@" >out 2>err
  rc=$?
}

# expect_rc NAME WANT
expect_rc() {
  if [ "$rc" -eq "$2" ]; then ok; else bad "$1: exit status $rc, want $2 (stderr: $(head -c 300 err))"; fi
}

# expect_err NAME "exact stderr (one line)"
expect_err() {
  local got
  got=$(cat err)
  if [ "$got" = "$2" ]; then ok; else bad "$1: stderr [$got], want [$2]"; fi
}

# expect_same NAME GOT_FILE WANT_FILE
expect_same() {
  if cmp -s "$2" "$3"; then ok; else bad "$1: $2 differs from $3"; fi
}

# expect_eq NAME GOT WANT
expect_eq() {
  if [ "$2" = "$3" ]; then ok; else bad "$1: got [$2], want [$3]"; fi
}

# expect_absent NAME PATH
expect_absent() {
  if [ ! -e "$2" ]; then ok; else bad "$1: $2 exists"; fi
}
