#!/bin/sh
# gridr-run cleanup after a SIGKILL, the cases it used to miss: the temporary output is journaled
# (as a name, before it is created) together with every <tmp>.<suffix> file GDAL writes next to
# it (COG's .ovr.tmp, .aux.xml, .msk), and only those: another run's temporary output, the final
# name, look-alikes, a symlink and a directory stay. A journal without its header (its owner was
# killed between the create and the header) is removed when no process holds its lock, and left
# alone while one does. A journal gridr cannot read is reported as kept.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
need_faults # the killed run is held busy by a worker that hangs on cue
GRIDR_VALGRIND="" # timing-based
mkdir "$tmp/out"
cd "$tmp"

# A COG run (written to a staging GTiff, copied at commit) that stays busy, then SIGKILLed.
GRIDR_FAULT=hang:window=1 "$GRIDR_RUN" zoom -q --factor 2 --tile 256x256 -j 2 -of COG \
    "$SRC" out/dst.tif 2>>err &
p=$!
bg_pids=$p
wait_until 10 sh -c "grep -q '^+shm' '$STATE'/*.journal 2>/dev/null" || fail "the run did not start"
id=$(basename "$(ls "$STATE"/*.journal)" .journal)
t="$tmp/out/dst.tif.tmp.$id"
sleep 0.2
fs=$(children "$p")
procs="$fs $(children "$fs" | tr '\n' ' ')"
kill -KILL "$p"
wait "$p" 2>/dev/null || true
bg_pids=""
all_gone() {
    for q in "$@"; do gone "$q" || return 1; done
}
# shellcheck disable=SC2086
wait_until 2 all_gone $procs || fail "processes of the killed run still alive: $procs"
grep -qx "+tmp $t" "$STATE/$id.journal" || fail "the temporary name is not journaled: $(cat "$STATE/$id.journal")"
[ -f "$t" ] && [ -f "$t.stage.tif" ] && [ -d "$t.d" ] || fail "the killed run left no temporary output: $(ls out)"
nseg=$(awk '/^\+shm /{h[$2]=1} /^-shm /{delete h[$2]} END {print length(h)}' "$STATE/$id.journal")
[ "$nseg" -ge 2 ] || fail "the killed run held $nseg segments"

# What GDAL writes next to the temporary output (a COG commit killed in CreateCopy leaves its
# overview file), and what is not the run's.
: >"$t.ovr.tmp"
: >"$t.aux.xml"
: >"$t.msk"
: >out/other.tif.tmp.0f0f0f0f
: >out/dst.tif
: >"out/dst.tif.tmp.${id}0"
: >out/target
ln -s target "$t.lnk"
mkdir "$t.dir"
: >"$t.d/dst.tif" # what a CreateCopy killed at commit leaves in the copy's directory
printf '%s\n' "$t" "$t.aux.xml" "$t.msk" "$t.ovr.tmp" "$t.stage.tif" "$t.d/dst.tif" | sort >expected

# Headerless journals: empty, and cut in the middle of the header, of owners long gone; and one
# whose owner (this shell, through descriptor 9) is alive and holds its lock.
(umask 077 && : >"$STATE/0e0e0e01.journal" && printf 'gridr-journal 1\npid 1' >"$STATE/0e0e0e02.journal")
(umask 077 && : >"$STATE/0e0e0e03.journal" && echo hello >"$STATE/0e0e0e04.journal")
exec 9>>"$STATE/0e0e0e03.journal"
flock -x -n 9 || fail "cannot lock the live headerless journal"
! flock -x -n "$STATE/0e0e0e03.journal" true || fail "the lock is not held"

total=$((nseg + 6 + 3))
expect_exit 0 gr cleanup --dry-run
sed -n "s/^would remove file \(.*\) (run $id)$/\1/p" "$tmp/stdout" | sort >listed
diff expected listed >/dev/null || fail "cleanup --dry-run listed $(cat listed), expected $(cat expected)"
for j in "$id" 0e0e0e01 0e0e0e02; do
    grep -qx "would remove journal $STATE/$j.journal (run $j)" "$tmp/stdout" || fail "dry run: no journal $j"
done
grep -qx "kept unreadable journal $STATE/0e0e0e04.journal (run 0e0e0e04)" "$tmp/stdout" ||
    fail "dry run: the unreadable journal is not reported as kept"
! grep -q 0e0e0e03 "$tmp/stdout" || fail "dry run lists the locked journal"
grep -qx "$total objects to remove" "$tmp/stdout" || fail "dry run: count: $(tail -1 "$tmp/stdout")"
[ -e "$t.ovr.tmp" ] && [ -e "$STATE/0e0e0e01.journal" ] || fail "dry run removed files"
echo "cleanup --dry-run: $(tail -1 "$tmp/stdout"), nothing removed"

expect_exit 0 gr cleanup
sed -n "s/^removed file \(.*\) (run $id)$/\1/p" "$tmp/stdout" | sort >removed
diff expected removed >/dev/null || fail "cleanup removed $(cat removed), expected $(cat expected)"
grep -qx "$total objects removed" "$tmp/stdout" || fail "cleanup count: $(tail -1 "$tmp/stdout")"
for f in $(cat expected); do [ ! -e "$f" ] || fail "$f not removed"; done
for f in other.tif.tmp.0f0f0f0f dst.tif "dst.tif.tmp.${id}0" target; do
    [ -f "out/$f" ] || fail "cleanup removed out/$f, not a file of the run"
done
[ -L "$t.lnk" ] && [ -d "$t.dir" ] || fail "cleanup removed a symlink or a directory"
[ ! -e "$t.d" ] || fail "cleanup left the copy's directory $t.d"
shm_clean "$id"
for j in "$id" 0e0e0e01 0e0e0e02; do [ ! -e "$STATE/$j.journal" ] || fail "journal $j not removed"; done
[ -e "$STATE/0e0e0e03.journal" ] && [ -e "$STATE/0e0e0e04.journal" ] || fail "cleanup removed a locked or unreadable journal"
echo "cleanup: $(tail -1 "$tmp/stdout"); the locked and the unreadable journals kept"

# The owner dies (its descriptor closes): the journal goes.
exec 9>&-
expect_exit 0 gr cleanup
grep -qx "removed journal $STATE/0e0e0e03.journal (run 0e0e0e03)" "$tmp/stdout" || fail "after the owner: $(cat "$tmp/stdout")"
grep -qx "1 object removed" "$tmp/stdout" || fail "after the owner: count: $(tail -1 "$tmp/stdout")"
rm "$STATE/0e0e0e04.journal"
no_journal_left
echo "run_cleanup_kill: ok"
