/* gridr: the run registry: names and temporary files of a run, journaled before they exist. */
#include "base/internal.h"
#include "gridr/sma.h"
#include "gridr/registry.h"

#include "registry_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

enum { SLOT_FREE = 0, SLOT_PENDING = 1, SLOT_HELD = 2 };

/* One segment name, kept as a ready "/dev/shm/<name>" path for the emergency unlink. The path
 * is written while the slot is free and published by setting `state` last. */
typedef struct shm_slot {
    volatile sig_atomic_t state;
    char path[GRIDR__SHM_PATH_MAX];
} shm_slot;

/* Everything the emergency unlink reads is volatile and published in an order that a signal
 * handler interrupting the owning thread always sees a consistent (array, capacity) pair. */
struct gridr_registry {
    pid_t owner;
    int fd;
    int broken; /* a failed append could not be rolled back: refuse further records */
    off_t jlen;
    uint64_t seq;
    size_t held;
    char run_id[9];
    char *journal;
    shm_slot *volatile slots;
    volatile size_t nslots;
    char *volatile *volatile files;
    volatile size_t nfiles;
};

#define SHM_DIR_LEN (sizeof GRIDR__SHM_DIR - 1)

static void publish(void)
{
    atomic_signal_fence(memory_order_seq_cst);
}

static int owner_only(const gridr_registry *reg, const char *what)
{
    if (!reg)
        return gridr__fail(GRIDR_EINVAL, "%s: registry is NULL", what);
    if (getpid() != reg->owner)
        return gridr__fail(GRIDR_EINVAL,
                           "%s: registry of run %s belongs to process %ld, not to this forked "
                           "process %ld",
                           what, reg->run_id, (long)reg->owner, (long)getpid());
    return 0;
}

/* One record, one write(2) on the O_APPEND descriptor; a short write is rolled back. */
static int journal_append(gridr_registry *reg, const char *tag, const char *text)
{
    char rec[PATH_MAX + 16];
    int len = snprintf(rec, sizeof rec, "%s %s\n", tag, text);
    if (len < 0 || (size_t)len >= sizeof rec)
        return gridr__fail(GRIDR_EINVAL, "journal record too long: %s", text);
    if (reg->broken)
        return gridr__fail(GRIDR_EIO, "journal %s is damaged by an earlier failed write",
                           reg->journal);
    ssize_t w;
    do
        w = write(reg->fd, rec, (size_t)len);
    while (w < 0 && errno == EINTR);
    if (w == len) {
        reg->jlen += len;
        return 0;
    }
    int err = w < 0 ? errno : ENOSPC;
    if (w > 0 && ftruncate(reg->fd, reg->jlen) != 0)
        reg->broken = 1;
    return gridr__fail_errno(gridr__status_from_errno(err), err, "cannot append to journal %s",
                             reg->journal);
}

static int grow_slots(gridr_registry *reg)
{
    size_t n = reg->nslots, cap = n ? 2 * n : 16;
    shm_slot *old = reg->slots, *s = calloc(cap, sizeof *s);
    if (!s)
        return gridr__fail(GRIDR_ENOMEM, "registry of run %s: no memory for %zu names", reg->run_id,
                           cap);
    for (size_t i = 0; i < n; i++) {
        memcpy(s[i].path, old[i].path, sizeof s[i].path);
        s[i].state = old[i].state;
    }
    publish();
    reg->slots = s; /* a handler now sees the new array with the old or the new count */
    publish();
    reg->nslots = cap;
    publish();
    free(old);
    return 0;
}

static int free_slot(gridr_registry *reg, size_t *slot)
{
    for (size_t i = 0; i < reg->nslots; i++) {
        if (reg->slots[i].state == SLOT_FREE) {
            *slot = i;
            return 0;
        }
    }
    *slot = reg->nslots;
    return grow_slots(reg);
}

static const char *slot_name(const gridr_registry *reg, size_t i)
{
    return reg->slots[i].path + SHM_DIR_LEN;
}

static void drop_slot(gridr_registry *reg, size_t i)
{
    reg->slots[i].state = SLOT_FREE;
    publish();
    reg->held--;
}

int gridr__registry_draw(gridr_registry *reg, char name[GRIDR_SMA_NAME_MAX], size_t *slot)
{
    int rc = owner_only(reg, "drawing a shared-memory name");
    if (rc)
        return rc;
    if (!name || !slot)
        return gridr__fail(GRIDR_EINVAL, "drawing a shared-memory name: NULL argument");
    if (reg->seq > GRIDR__SEQ_MAX)
        return gridr__fail(GRIDR_ERANGE, "run %s has used all %" PRIu64 " segment names",
                           reg->run_id, GRIDR__SEQ_MAX + 1);
    if ((rc = free_slot(reg, slot)))
        return rc;
    snprintf(name, GRIDR_SMA_NAME_MAX, GRIDR__SHM_PREFIX "%s.%" PRIx64, reg->run_id, reg->seq);
    if ((rc = journal_append(reg, "+shm", name)))
        return rc;
    reg->seq++;
    shm_slot *s = &reg->slots[*slot];
    snprintf(s->path, sizeof s->path, GRIDR__SHM_DIR "%s", name);
    publish();
    s->state = SLOT_PENDING;
    reg->held++;
    return 0;
}

void gridr__registry_confirm(gridr_registry *reg, size_t slot)
{
    publish();
    reg->slots[slot].state = SLOT_HELD;
}

int gridr__registry_disown(gridr_registry *reg, size_t slot)
{
    drop_slot(reg, slot);
    return journal_append(reg, "-shm", slot_name(reg, slot));
}

int gridr__registry_set_seq(gridr_registry *reg, uint64_t seq)
{
    if (!reg || seq > GRIDR__SEQ_MAX)
        return gridr__fail(GRIDR_ERANGE, "sequence number %" PRIu64 " out of range", seq);
    reg->seq = seq;
    return 0;
}

int gridr_registry_new_name(gridr_registry *reg, char name[GRIDR_SMA_NAME_MAX])
{
    size_t slot;
    int rc = gridr__registry_draw(reg, name, &slot);
    if (!rc)
        gridr__registry_confirm(reg, slot);
    return rc;
}

static int find_name(const gridr_registry *reg, const char *name, size_t *slot)
{
    for (size_t i = 0; i < reg->nslots; i++) {
        if (reg->slots[i].state != SLOT_FREE && strcmp(slot_name(reg, i), name) == 0) {
            *slot = i;
            return 1;
        }
    }
    return 0;
}

/* A name of this run that is no longer held: released before, or given up as foreign. */
static int was_ours(const gridr_registry *reg, const char *name)
{
    if (!gridr__is_run_name(name, reg->run_id))
        return 0;
    return strtoull(name + sizeof GRIDR__SHM_PREFIX - 1 + 9, NULL, 16) < reg->seq;
}

int gridr_registry_release(gridr_registry *reg, const char *name)
{
    int rc = owner_only(reg, "releasing a shared-memory name");
    if (rc)
        return rc;
    size_t i = 0;
    if (!name || !find_name(reg, name, &i)) {
        if (name && was_ours(reg, name))
            return 0;
        return gridr__fail(GRIDR_EINVAL, "%s is not a segment name held by run %s",
                           name ? name : "(null)", reg->run_id);
    }
    if (shm_unlink(name) != 0 && errno != ENOENT)
        return gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                 "cannot unlink shared-memory segment %s", name);
    drop_slot(reg, i);
    return journal_append(reg, "-shm", name);
}

/* ---- temporary files -------------------------------------------------------------------- */

static int absolute_path(const char *path, char out[PATH_MAX])
{
    if (!path || !*path || strchr(path, '\n'))
        return gridr__fail(GRIDR_EINVAL, "temporary file path \"%s\" is empty or has a newline",
                           path ? path : "(null)");
    char cwd[PATH_MAX];
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
        return gridr__fail_errno(GRIDR_ESYS, errno, "cannot resolve relative path %s", path);
    int n = path[0] == '/' ? snprintf(out, PATH_MAX, "%s", path)
                           : snprintf(out, PATH_MAX, "%s/%s", cwd, path);
    if (n < 0 || n >= PATH_MAX)
        return gridr__fail(GRIDR_EINVAL, "temporary file path too long: %s", path);
    return 0;
}

/* A file entry is its kind ('f' a file, 't' a temporary name, 'k' a temporary name kept when the
 * run ends unfinished: a resumable partial output) followed by the absolute path. */
static int find_file(const gridr_registry *reg, const char *path, size_t *slot)
{
    for (size_t i = 0; i < reg->nfiles; i++) {
        if (reg->files[i] && strcmp(reg->files[i] + 1, path) == 0) {
            *slot = i;
            return 1;
        }
    }
    return 0;
}

static int file_slot(gridr_registry *reg, size_t *slot)
{
    for (size_t i = 0; i < reg->nfiles; i++) {
        if (!reg->files[i]) {
            *slot = i;
            return 0;
        }
    }
    size_t n = reg->nfiles, cap = n ? 2 * n : 4;
    char *volatile *old = reg->files;
    char *volatile *f = calloc(cap, sizeof *f);
    if (!f)
        return gridr__fail(GRIDR_ENOMEM, "registry of run %s: no memory for %zu files", reg->run_id,
                           cap);
    for (size_t i = 0; i < n; i++)
        f[i] = old[i];
    publish();
    reg->files = f;
    publish();
    reg->nfiles = cap;
    publish();
    free((void *)old);
    *slot = n;
    return 0;
}

static const char *const kind_add[2] = {"+file", "+tmp"}, *const kind_forget[2] = {"-file", "-tmp"};

static int add_entry(gridr_registry *reg, const char *path, int temp)
{
    char abs[PATH_MAX];
    size_t i = 0;
    int rc =
        owner_only(reg, temp ? "registering a temporary name" : "registering a temporary file");
    if (rc || (rc = absolute_path(path, abs)))
        return rc;
    if (find_file(reg, abs, &i))
        return (reg->files[i][0] != 'f') == temp
                   ? 0
                   : gridr__fail(GRIDR_EINVAL, "%s is already registered as a %s", abs,
                                 temp ? "file" : "temporary name");
    char *entry = malloc(strlen(abs) + 2);
    if (!entry)
        return gridr__fail(GRIDR_ENOMEM, "no memory to register %s", abs);
    entry[0] = temp ? 't' : 'f';
    strcpy(entry + 1, abs);
    if ((rc = file_slot(reg, &i)) || (rc = journal_append(reg, kind_add[temp], abs))) {
        free(entry);
        return rc;
    }
    publish();
    reg->files[i] = entry;
    return 0;
}

int gridr_registry_add_file(gridr_registry *reg, const char *path)
{
    return add_entry(reg, path, 0);
}

int gridr_registry_add_temp(gridr_registry *reg, const char *path)
{
    return add_entry(reg, path, 1);
}

/* The owner's change `what` to the entry of `path`: the path made absolute into `abs` and its slot
   into `*i`. GRIDR_ENOENT ("not a `noun`") when it is not registered, or is a file and `temps`. */
static int owned_entry(const gridr_registry *reg, const char *path, int temps, const char *what,
                       const char *noun, char abs[PATH_MAX], size_t *i)
{
    int rc = owner_only(reg, what);
    if (rc || (rc = absolute_path(path, abs)))
        return rc;
    if (!find_file(reg, abs, i) || (temps && reg->files[*i][0] == 'f'))
        return gridr__fail(GRIDR_ENOENT, "%s is not a %s of run %s", abs, noun, reg->run_id);
    return 0;
}

int gridr_registry_keep_temp(gridr_registry *reg, const char *path)
{
    char abs[PATH_MAX];
    size_t i = 0;
    int rc = owned_entry(reg, path, 1, "keeping a temporary name", "temporary name", abs, &i);
    if (rc)
        return rc;
    if (reg->files[i][0] == 'k')
        return 0;
    if ((rc = journal_append(reg, "+keep", abs)))
        return rc;
    reg->files[i][0] = 'k'; /* one byte: the emergency unlink reads it at any time */
    publish();
    return 0;
}

int gridr_registry_forget_file(gridr_registry *reg, const char *path)
{
    char abs[PATH_MAX];
    size_t i = 0;
    int rc = owned_entry(reg, path, 0, "forgetting a temporary file", "temporary file", abs, &i);
    if (rc || (rc = journal_append(reg, kind_forget[reg->files[i][0] != 'f'], abs)))
        return rc;
    char *p = reg->files[i];
    reg->files[i] = NULL;
    publish();
    free(p);
    return 0;
}

/* ---- open / close ----------------------------------------------------------------------- */

static int draw_run_id(char out[9])
{
    uint32_t v;
    ssize_t n;
    do
        n = getrandom(&v, sizeof v, 0);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof v)
        return gridr__fail_errno(GRIDR_ESYS, n < 0 ? errno : EIO, "getrandom for a run id");
    snprintf(out, 9, "%08" PRIx32, v);
    return 0;
}

static int write_header(gridr_registry *reg)
{
    char boot[GRIDR__BOOT_ID_MAX], head[512];
    unsigned long long start;
    struct utsname un;
    int rc = gridr__proc_start_time(reg->owner, &start, NULL);
    if (rc || (rc = gridr__boot_id(boot)))
        return rc;
    if (uname(&un) != 0)
        return gridr__fail_errno(GRIDR_ESYS, errno, "uname");
    int len = snprintf(head, sizeof head,
                       "gridr-journal 1\npid %ld\nstart %llu\nboot %s\nhost %s\nuid %lu\n",
                       (long)reg->owner, start, boot, un.nodename, (unsigned long)geteuid());
    ssize_t w = write(reg->fd, head, (size_t)len);
    if (w != len)
        return gridr__fail_errno(GRIDR_EIO, w < 0 ? errno : ENOSPC, "cannot write journal %s",
                                 reg->journal);
    reg->jlen = len;
    return 0;
}

/* Lock the new journal for the whole life of the run (flock: held by this open file
 * description, so a sweep of this very process sees it too). Blocks while a sweep holds it; a
 * sweep that got the lock first may have removed the empty journal: returns 1 then (draw
 * another id). */
static int lock_journal(gridr_registry *reg)
{
    struct stat st;
    int rc;
    do
        rc = flock(reg->fd, LOCK_EX);
    while (rc != 0 && errno == EINTR);
    if (rc != 0)
        return gridr__fail_errno(GRIDR_ESYS, errno, "cannot lock journal %s", reg->journal);
    if (fstat(reg->fd, &st) != 0)
        return gridr__fail_errno(GRIDR_ESYS, errno, "fstat %s", reg->journal);
    return st.st_nlink == 0;
}

/* Create `<dir>/<run id>.journal` with O_EXCL and lock it; returns 0, 1 (draw again) or an
 * error. */
static int try_journal(gridr_registry *reg, const char *dir, size_t plen)
{
    int rc = draw_run_id(reg->run_id);
    if (rc)
        return rc;
    snprintf(reg->journal, plen, "%s/%s.journal", dir, reg->run_id);
    reg->fd =
        open(reg->journal, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (reg->fd < 0)
        return errno == EEXIST ? 1
                               : gridr__fail_errno(gridr__status_from_errno(errno), errno,
                                                   "cannot create journal %s", reg->journal);
    rc = lock_journal(reg);
    if (rc) {
        if (rc < 0)
            unlink(reg->journal);
        close(reg->fd);
        reg->fd = -1;
    }
    return rc;
}

static int create_journal(gridr_registry *reg, const char *dir)
{
    size_t plen = strlen(dir) + 24;
    if (!(reg->journal = malloc(plen)))
        return gridr__fail(GRIDR_ENOMEM, "no memory for the journal path");
    for (int attempt = 0; attempt < 16 && reg->fd < 0; attempt++) {
        int rc = try_journal(reg, dir, plen);
        if (rc < 0)
            return rc;
    }
    if (reg->fd < 0)
        return gridr__fail(GRIDR_EEXIST, "no free run id in %s", dir);
    gridr__fd_track(reg->fd); /* helper processes forked by gridr must not hold the lock */
    int rc = fchmod(reg->fd, 0600) != 0
                 ? gridr__fail_errno(GRIDR_ESYS, errno, "fchmod %s", reg->journal)
                 : write_header(reg);
    if (rc)
        unlink(reg->journal);
    return rc;
}

int gridr_registry_open(const char *state_dir, gridr_registry **out)
{
    if (!out)
        return gridr__fail(GRIDR_EINVAL, "gridr_registry_open: out is NULL");
    *out = NULL;
    gridr_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return gridr__fail(GRIDR_ENOMEM, "no memory for a registry");
    reg->fd = -1;
    reg->owner = getpid();
    char *dir = NULL;
    int rc = gridr__state_dir(state_dir, 1, &dir);
    if (!rc)
        rc = create_journal(reg, dir);
    free(dir);
    if (rc) {
        if (reg->fd >= 0) {
            gridr__fd_untrack(reg->fd);
            close(reg->fd);
        }
        free(reg->journal);
        free(reg);
        return rc;
    }
    *out = reg;
    return 0;
}

/* Unlink everything held; returns non-zero if something could not be removed. */
static int unlink_all(gridr_registry *reg)
{
    int keep = 0;
    for (size_t i = 0; i < reg->nslots; i++) {
        if (reg->slots[i].state != SLOT_FREE && shm_unlink(slot_name(reg, i)) != 0 &&
            errno != ENOENT)
            keep = 1;
    }
    for (size_t i = 0; i < reg->nfiles; i++) {
        const char *e = reg->files[i];
        if (e && e[0] == 'k')
            keep |= access(e + 1, F_OK) == 0; /* the journal stays: cleanup lists it */
        else if (e && (e[0] == 't' ? gridr__temp_remove(e + 1) != 0
                                   : unlink(e + 1) != 0 && errno != ENOENT))
            keep = 1;
    }
    return keep;
}

void gridr_registry_close(gridr_registry *reg)
{
    if (!reg)
        return;
    /* A journal whose objects could not all be removed stays for the stale sweep. */
    if (getpid() == reg->owner && !unlink_all(reg))
        unlink(reg->journal);
    if (reg->fd >= 0) { /* releases the lock (only the owner's close: children share it) */
        gridr__fd_untrack(reg->fd);
        close(reg->fd);
    }
    for (size_t i = 0; i < reg->nfiles; i++)
        free(reg->files[i]);
    free((void *)reg->files);
    free(reg->slots);
    free(reg->journal);
    free(reg);
}

void gridr_registry_emergency_unlink(gridr_registry *reg)
{
    if (!reg || getpid() != reg->owner)
        return;
    int pending = 0;
    shm_slot *s = reg->slots;
    size_t n = reg->nslots;
    for (size_t i = 0; i < n; i++) {
        if (s[i].state == SLOT_HELD)
            unlink(s[i].path);
        else if (s[i].state == SLOT_PENDING)
            pending = 1; /* maybe not ours yet: leave it and the journal to the sweep */
    }
    char *volatile *f = reg->files;
    n = reg->nfiles;
    for (size_t i = 0; i < n; i++) {
        char *p = f[i];
        if (p && p[0] == 'k')
            pending = 1; /* a resumable partial output stays, listed in the journal */
        else if (p && p[0] == 't')
            gridr__temp_remove(p + 1); /* open, getdents64, fstatat, unlinkat: all safe here */
        else if (p)
            unlink(p + 1);
    }
    if (!pending)
        unlink(reg->journal);
}

const char *gridr_registry_run_id(const gridr_registry *reg)
{
    return reg ? reg->run_id : NULL;
}

const char *gridr_registry_journal(const gridr_registry *reg)
{
    return reg ? reg->journal : NULL;
}

size_t gridr_registry_count(const gridr_registry *reg)
{
    return reg ? reg->held : 0;
}
