#!/bin/sh
# gridr-run cleanup: a run whose parent is SIGKILLed mid-run loses its fork server and workers
# within a second (PDEATHSIG) but leaves its segments, temporary output and journal;
# `cleanup --dry-run` lists exactly them and removes nothing; `cleanup` removes exactly them and
# never touches a live run; a second cleanup is a no-op.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
need_faults # the runs are held busy by a worker that hangs on cue
GRIDR_VALGRIND="" # timing-based
mkdir "$tmp/out"
cd "$tmp"
HANG="zoom -q --factor 2 --tile 256x256 -j 2"

# new_run: the journal of a run started after $before holds a segment; sets id.
new_run() {
    for j in "$STATE"/*.journal; do
        case " $before " in *" $(basename "$j") "*) continue ;; esac
        grep -q '^+shm' "$j" 2>/dev/null || continue
        id=$(basename "$j" .journal)
        return 0
    done
    return 1
}

# all_gone PID...: every process has exited.
all_gone() {
    for q in "$@"; do gone "$q" || return 1; done
}

# start DST: a run that stays busy (window 1 hangs) in the background; sets p, fs, workers, id.
start() {
    before=$(ls "$STATE" 2>/dev/null | grep '\.journal$' | tr '\n' ' ' || true)
    GRIDR_FAULT=hang:window=1 "$GRIDR_RUN" $HANG "$SRC" "$1" 2>>err &
    p=$!
    bg_pids="$bg_pids $p"
    wait_until 10 new_run || fail "the run did not start"
    sleep 0.2
    fs=$(children "$p")
    workers=$(children "$fs" | tr '\n' ' ')
    [ "$(echo "$workers" | wc -w)" = 2 ] || fail "fork server '$fs', workers '$workers'"
}

# held ID: what run ID's journal holds (segments as /dev/shm names, then files and temporary
# names), sorted.
held() {
    awk '/^\+shm /{h[$2]=1} /^-shm /{delete h[$2]} /^\+(file|tmp) /{f[$2]=1} /^-(file|tmp) /{delete f[$2]}
         END {for (n in h) print "shm " n; for (n in f) print "file " n}' "$STATE/$1.journal" | sort
}

# no_journal_fd ID PID...: none of these processes holds a descriptor of run ID's journal (the
# journal's lock must die with the parent, not live on in its fork server or workers).
no_journal_fd() {
    for q in $2; do
        ! ls -l "/proc/$q/fd" 2>/dev/null | grep -q "$1\.journal" ||
            fail "process $q (fork server or worker) holds the journal of run $1"
    done
}

start out/dead.tif
dead=$id
dead_procs="$fs $workers"
ls -l "/proc/$p/fd" | grep -q "$dead\.journal" || fail "the parent does not hold its journal open"
no_journal_fd "$dead" "$dead_procs"
kill -KILL "$p"
wait "$p" 2>/dev/null || true
bg_pids=""
# The fork server and the workers follow their parent within a second.
# shellcheck disable=SC2086
wait_until 1 all_gone $dead_procs ||
    fail "processes of the killed run still alive after 1 s: $(for q in $dead_procs; do gone "$q" || echo "$q"; done)"
echo "parent SIGKILLed: fork server and workers ($dead_procs) gone within 1 s"

held "$dead" >expected
nseg=$(grep -c '^shm ' expected)
[ "$nseg" -ge 2 ] || fail "the killed run held $nseg segments"
grep -qx "+tmp $tmp/out/dead.tif.tmp.$dead" "$STATE/$dead.journal" || fail "the temporary output is not journaled: $(cat expected)"
for s in $(sed -n 's/^shm \///p' expected); do [ -e "/dev/shm/$s" ] || fail "segment $s not left"; done
[ -e "out/dead.tif.tmp.$dead" ] || fail "temporary output not left"
[ ! -e out/dead.tif ] || fail "output written"

# A live run next to it: cleanup must not touch it.
start out/live.tif
live=$id
held "$live" >live_expected

expect_exit 0 gr cleanup --dry-run
sed -n "s/^would remove \(shm\|file\) \(.*\) (run $dead)$/\1 \2/p" "$tmp/stdout" | sort >listed
diff expected listed >/dev/null || fail "cleanup --dry-run listed $(cat listed), expected $(cat expected)"
grep -qx "would remove journal $STATE/$dead.journal (run $dead)" "$tmp/stdout" || fail "dry run: no journal line"
grep -qx "$((nseg + 2)) objects to remove" "$tmp/stdout" || fail "dry run: count: $(tail -1 "$tmp/stdout")"
! grep -q "$live" "$tmp/stdout" || fail "dry run lists the live run"
for s in $(sed -n 's/^shm \///p' expected); do [ -e "/dev/shm/$s" ] || fail "dry run removed $s"; done
[ -e "out/dead.tif.tmp.$dead" ] && [ -e "$STATE/$dead.journal" ] || fail "dry run removed files"
echo "cleanup --dry-run: $(tail -1 "$tmp/stdout"), nothing removed"

expect_exit 0 gr cleanup
sed -n "s/^removed \(shm\|file\) \(.*\) (run $dead)$/\1 \2/p" "$tmp/stdout" | sort >removed
diff expected removed >/dev/null || fail "cleanup removed $(cat removed), expected $(cat expected)"
grep -qx "$((nseg + 2)) objects removed" "$tmp/stdout" || fail "cleanup count: $(tail -1 "$tmp/stdout")"
shm_clean "$dead"
[ ! -e "out/dead.tif.tmp.$dead" ] || fail "temporary output not removed"
[ ! -e "$STATE/$dead.journal" ] || fail "journal not removed"
# The live run kept everything.
for s in $(sed -n 's/^shm \///p' live_expected); do [ -e "/dev/shm/$s" ] || fail "cleanup removed $s of the live run"; done
[ -e "out/live.tif.tmp.$live" ] && [ -e "$STATE/$live.journal" ] || fail "cleanup touched the live run's files"
gone "$p" && fail "the live run died"
echo "cleanup: $(tail -1 "$tmp/stdout"); the live run untouched"

expect_exit 0 gr cleanup
[ "$(cat "$tmp/stdout")" = "0 objects removed" ] || fail "second cleanup: $(cat "$tmp/stdout")"

# The live run still ends properly.
kill -TERM "$p"
set +e
wait "$p"
rc=$?
set -e
bg_pids=""
[ "$rc" = 143 ] || fail "the live run exited $rc after SIGTERM"
shm_clean "$live"
no_journal_left
no_temp_left out
echo "run_cleanup: ok"
