#!/bin/sh
# gridr-run: --help, --version, no argument, unknown options and subcommand misuse: exit codes
# (0 help/version, 2 usage) and messages; nothing is run.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
cd "$tmp"

expect_exit 0 gr --help
for word in "gridr-run zoom" "gridr-run grid" "gridr-run cleanup" "JOB.json" "--resampling" \
    "--dry-run" "--report" "  --factor F" "  --size COLSxROWS" "  --grid-res RR" "  --timeout" \
    "Exit status: 0 success, 1 a job failed, 2 usage error"; do
    grep -q -- "$word" "$tmp/stdout" || fail "--help does not mention '$word'"
done
[ ! -s "$tmp/stderr" ] || fail "--help wrote to stderr"
expect_exit 0 gr -h
grep -q "gridr-run cleanup" "$tmp/stdout" || fail "-h is not the help"

version=$(sed -n 's/^AC_INIT(\[gridr\], *\[\([^]]*\)\].*/\1/p' "$GRIDR_SRCDIR/configure.ac")
expect_exit 0 gr --version
[ "$(head -n 1 "$tmp/stdout")" = "gridr-run $version" ] || fail "--version printed '$(cat "$tmp/stdout")', expected 'gridr-run $version' first"
grep -Eq "^with(out)? MPI" "$tmp/stdout" || fail "--version does not say whether it was built with MPI"
expect_exit 0 gr -V
grep -q "^gridr-run $version$" "$tmp/stdout" || fail "-V"

# No argument: the usage on stderr, exit 2.
expect_exit 2 gr
expect_err "^Usage:" "gridr-run zoom"
[ ! -s "$tmp/stdout" ] || fail "usage error wrote to stdout"

expect_exit 2 gr --bogus
expect_err "unknown option '--bogus'" "Try 'gridr-run --help'"
expect_exit 2 gr zoom --factor 2 --frobnicate "$SRC" out.tif
expect_err "unknown option '--frobnicate'"
# A misspelt option gets the closest one, as a misspelt job key does.
expect_exit 2 gr zoom --factor 2 --src_nodata 3 "$SRC" out.tif
expect_err "unknown option '--src_nodata' \(did you mean '--src-nodata'\?\)" "Try 'gridr-run --help'"
expect_exit 2 gr zoom --factr=2 "$SRC" out.tif
expect_err "unknown option '--factr=2' \(did you mean '--factor'\?\)"
expect_exit 2 gr zoom "$SRC" out.tif --factor
expect_err "missing value for option '--factor'"
expect_exit 2 gr zoom --quiet=yes --factor 2 "$SRC" out.tif
expect_err "no value is taken by option '--quiet=yes'"
expect_exit 2 gr zoom --factor 2 "$SRC"
expect_err "gridr-run zoom: expected SRC and DST, got 1 argument"
expect_exit 2 gr zoom --factor 2x "$SRC" out.tif
expect_err "bad value '2x' for key 'factor'"
expect_exit 2 gr zoom "$SRC" out.tif
expect_err "a zoom job needs key 'factor' or key 'size'"
expect_exit 2 gr zoom --factor 2 --size 100x100 "$SRC" out.tif
expect_err "keys 'factor' and 'size' exclude each other"
expect_exit 2 gr zoom --factor 2 --grid "$GRID" "$SRC" out.tif
expect_err "key 'grid' does not apply to a zoom job"
expect_exit 2 gr grid "$SRC" out.tif
expect_err "a grid job needs key 'grid'"
expect_exit 2 gr zoom --factor 2 -of NoSuchDriver "$SRC" out.tif
expect_err "unknown output format 'NoSuchDriver'"
expect_exit 2 gr zoom --factor 2 "$SRC" "$SRC"
expect_err "dst '.*sample.tif' is the src input"
expect_exit 2 gr zoom --factor 2 --dst other.tif "$SRC" out.tif
expect_err "gridr-run zoom: give SRC and DST as arguments, not --dst"
printf '[{"src": "%s", "dst": "a.tif", "factor": 2}, {"src": "%s", "dst": "b.tif", "factor": 3}]\n' \
    "$SRC" "$SRC" >"$tmp/two.json"
expect_exit 2 gr --dst other.tif "$tmp/two.json"
expect_err "gridr-run: --dst applies to a single job; the job files hold 2"
rm "$tmp/two.json"
# A word that is neither a subcommand nor a file is a mistyped subcommand, not a job file.
expect_exit 2 gr frobnicate
expect_err "^gridr-run: 'frobnicate' is not a command \\(zoom, grid, warp, cleanup\\) nor a job file$" \
    "Try 'gridr-run --help'"
grep -q "job file 'frobnicate'" "$tmp/stderr" && fail "frobnicate read as a job file"
expect_exit 2 gr frobnicate --factor 2 "$SRC" out.tif
expect_err "'frobnicate' is not a command"
# A path (with '/' or '.') that does not exist is still a job file that cannot be read.
expect_exit 2 gr jobs/x.json
expect_err "cannot read job file 'jobs/x.json'"
grep -q "is not a command" "$tmp/stderr" && fail "jobs/x.json called a command"
expect_exit 2 gr x.json
expect_err "cannot read job file 'x.json'"
# An existing file named like a word still runs as a job file (here: a dry run).
printf '{"src": "%s", "dst": "w.tif", "factor": 2}\n' "$SRC" >"$tmp/wordjob"
expect_exit 0 gr --dry-run wordjob
grep -q "is not a command" "$tmp/stderr" && fail "the file 'wordjob' called a command"
[ -s "$tmp/stdout" ] || fail "the dry run of the file 'wordjob' printed nothing"
[ ! -e w.tif ] || fail "a dry run wrote w.tif"
rm "$tmp/wordjob"
expect_exit 2 gr cleanup extra
expect_err "cleanup: takes no arguments"
expect_exit 2 gr cleanup -j 2
expect_err "cleanup: only --dry-run and --all are accepted"
[ -z "$(ls -A "$tmp" | grep -v '^stdout$\|^stderr$\|^stderr.valgrind$\|^run$')" ] || fail "files written: $(ls "$tmp")"
[ ! -e "$STATE" ] || fail "a usage error opened a run registry"
echo "run_usage: ok"
