#!/bin/sh
# What a run may replace (docs/usage.md, "What a run writes"): only the outputs the user named,
# and only when they are regular files. A device node, FIFO, directory or dangling link at dst
# (or at a side file of dst, or at --report) is refused before any work (exit 2) and left as it
# was; an existing dst is replaced only with --overwrite (job key "overwrite"; refused before
# any work otherwise, exit 1, in a batch job by job: --keep-going runs the others); a link to a
# regular file is followed (the target replaced, the link kept); a dst or report
# that is a file an input reads (itself, behind a VRT, an .aux.xml, inside a zip) is refused,
# also for a job of a batch, before any job runs; a report is written by rename.
. "${GRIDR_SRCDIR:-$(dirname "$0")/../..}/tests/cli/common.sh"
private_shm
cd "$tmp"
command -v gdalbuildvrt >/dev/null 2>&1 || skip "gdalbuildvrt not found (gdal-bin)"
cp "$SRC" in.tif
cp "$SRC" keep.tif
Z="zoom -q --factor 2 --tile 256x256 -j 2"

# refused DST: the run is refused with exit 2 before any work; the message names DST.
refused() {
    expect_exit 2 gr $Z "$@"
    no_temp_left .
    no_journal_left
}

# 1. Not regular files at dst. A character device like /dev/null is made here, as root only.
if [ "$(id -u)" = 0 ]; then
    mknod null c 1 3
    refused in.tif null
    expect_err "output 'null' exists and is a character device"
    [ -c null ] || fail "the device node at dst was replaced"
    ln -s null link_to_device
    refused in.tif link_to_device
    [ -c null ] && [ -L link_to_device ] || fail "the link to a device or the device changed"
    mknod out.tif.aux.xml c 1 3
    refused in.tif out.tif
    expect_err "out.tif.aux.xml' exists and is a character device"
    [ -c out.tif.aux.xml ] || fail "the device node at dst's side file was replaced"
    rm out.tif.aux.xml
    echo "device nodes at dst, behind a link and at a side file: refused, left as they were"
fi
mkfifo fifo
refused in.tif fifo
expect_err "output 'fifo' exists and is a FIFO"
[ -p fifo ] || fail "the FIFO at dst was replaced"
mkdir adir
refused in.tif adir
[ -d adir ] || fail "the directory at dst changed"
ln -s nowhere.tif dangling.tif
refused in.tif dangling.tif
expect_err "symbolic link to nothing"
[ -L dangling.tif ] && [ ! -e nowhere.tif ] || fail "the dangling link changed"

# A link to a regular file is followed: the target gets the output, the link stays a link.
expect_exit 0 gr $Z in.tif direct.tif
echo old >target.tif
ln -s target.tif link.tif
expect_exit 1 gr $Z in.tif link.tif
expect_err "output 'link.tif' exists; pass --overwrite"
[ "$(cat target.tif)" = old ] || fail "the link's target was replaced without --overwrite"
expect_exit 0 gr $Z --overwrite in.tif link.tif
[ -L link.tif ] && [ "$(readlink link.tif)" = target.tif ] || fail "the link was replaced"
cmp -s direct.tif target.tif || fail "the link's target is not the output"
no_temp_left .
echo "a link to a regular file: its target replaced, the link kept"

# 2. Inputs behind indirection are never replaced.
gdalbuildvrt -q in.vrt in.tif
refused --overwrite in.vrt in.tif # refused even with --overwrite
expect_err "dst 'in.tif' is 'in.tif', a file that input 'in.vrt' reads"
cmp -s in.tif keep.tif || fail "the VRT's source was replaced"
gdalinfo in.tif >/dev/null 2>&1 # writes nothing: PAM only on change; make an .aux.xml anyway
echo '<PAMDataset></PAMDataset>' >in.tif.aux.xml
refused --overwrite in.tif in.tif.aux.xml
grep -q PAMDataset in.tif.aux.xml || fail "the source's .aux.xml was replaced"
rm in.tif.aux.xml
"${PYTHON3:-python3}" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w").write(sys.argv[2], "in.tif")' \
    a.zip in.tif
cp a.zip a.zip.keep
refused --overwrite "/vsizip/$tmp/a.zip/in.tif" a.zip
expect_err "a.zip"
cmp -s a.zip a.zip.keep || fail "the zip holding the source was replaced"
# ... in a batch: job 2 writes over job 1's hidden input; nothing runs.
cat >batch.json <<JSON
[{"kind": "zoom", "src": "in.tif", "dst": "b1.tif", "factor": 2},
 {"kind": "zoom", "src": "in.vrt", "dst": "in.tif", "factor": 2, "overwrite": true}]
JSON
expect_exit 2 gr -q batch.json
expect_err "batch.json: job 2: dst 'in.tif' is 'in.tif', a file that input 'in.vrt' reads"
[ ! -e b1.tif ] || fail "job 1 of a refused batch ran"
cmp -s in.tif keep.tif || fail "the batch replaced an input"
# ... two jobs of a batch writing one file.
cat >batch2.json <<JSON
[{"kind": "zoom", "src": "in.tif", "dst": "b.tif", "factor": 2},
 {"kind": "zoom", "src": "in.tif", "dst": "./b.tif", "factor": 3}]
JSON
expect_exit 2 gr -q batch2.json
expect_err "both write"
echo "inputs behind a VRT, an .aux.xml, a zip, in a batch: refused, unchanged"

# 3. --report is an output: never an input or the dst, written by rename.
refused --report in.tif in.tif out.tif
expect_err "report 'in.tif' is the input 'in.tif'"
cmp -s in.tif keep.tif || fail "the report replaced the source"
refused --report in.tif in.vrt out.tif
expect_err "report 'in.tif' is 'in.tif', a file that input 'in.vrt' reads"
refused --report out.tif in.tif out.tif
expect_err "report 'out.tif' is the output of a job"
[ ! -e out.tif ] || fail "output written by a refused run"
refused --report fifo in.tif out.tif
[ -p fifo ] || fail "the FIFO at --report was replaced"
echo old >rep.json
ln rep.json rep_hardlink.json
expect_exit 0 gr $Z --report rep.json in.tif out.tif
"${PYTHON3:-python3}" -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["jobs"][0]["status"] == "ok", r' \
    rep.json || fail "the report is not the run's JSON"
[ "$(cat rep_hardlink.json)" = old ] || fail "the report was written in place, not renamed"
no_temp_left .
no_shm_left
echo "reports: refused over inputs and outputs, renamed into place"

# 4. An existing dst is replaced only with --overwrite (gdalwarp's convention), refused before
# any work otherwise; in a batch each such job is refused, --keep-going runs the others.
echo old >exists.tif
expect_exit 1 gr $Z in.tif exists.tif
expect_err "output 'exists.tif' exists; pass --overwrite"
[ "$(cat exists.tif)" = old ] || fail "an existing dst was replaced without --overwrite"
no_temp_left .
expect_exit 0 gr $Z --overwrite in.tif exists.tif
gdalinfo exists.tif >/dev/null 2>&1 || fail "--overwrite did not write the output"
echo old >b_old.tif
cat >batch4.json <<JSON
[{"kind": "zoom", "src": "in.tif", "dst": "b_old.tif", "factor": 2},
 {"kind": "zoom", "src": "in.tif", "dst": "b_new.tif", "factor": 2}]
JSON
expect_exit 1 gr -q batch4.json
expect_err "batch4.json: job 1: output 'b_old.tif' exists; pass --overwrite"
[ ! -e b_new.tif ] || fail "a batch with a refused job ran without --keep-going"
expect_exit 1 gr -q --keep-going batch4.json
[ "$(cat b_old.tif)" = old ] || fail "a batch job replaced its existing dst"
gdalinfo b_new.tif >/dev/null 2>&1 || fail "--keep-going: the other job of the batch did not run"
cat >batch5.json <<JSON
[{"kind": "zoom", "src": "in.tif", "dst": "b_old.tif", "factor": 2, "overwrite": true},
 {"kind": "zoom", "src": "in.tif", "dst": "b_new.tif", "factor": 3, "overwrite": true}]
JSON
expect_exit 0 gr -q batch5.json
gdalinfo b_old.tif >/dev/null 2>&1 || fail "job key overwrite: the dst was not replaced"
no_temp_left .
echo "existing outputs: refused without --overwrite (batch: job by job), replaced with it"
