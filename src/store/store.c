#include "store/store.h"
#include "base/bytes.h"
#include "base/log.h"
#include <lmdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct _nines_store_t {
    MDB_env *env;                          /* LMDB environment */
    int ndbs;                              /* named databases opened */
    char *names [NINES_STORE_MAX_DBS];     /* their names */
    MDB_dbi dbis [NINES_STORE_MAX_DBS];    /* their handles */
    int lock_fd;                           /* dir/LOCK, flock'ed exclusively; -1 none */
};

struct _nines_txn_t {
    nines_store_t *store;                  /* environment it belongs to */
    MDB_txn *txn;                          /* LMDB transaction */
};

static int
s_map (int rc, const char *what)
{
    if (rc == 0)
        return NINES_OK;
    if (rc == MDB_NOTFOUND)
        return NINES_ENOTFOUND;
    nines_error ("lmdb %s: %s", what, mdb_strerror (rc));
    if (rc == MDB_MAP_FULL)
        return NINES_EFULL;
    return NINES_ESTORE;
}

/*  Path of dir's lock file into path (size bytes).  0 or NINES_EINVAL. */
static int
s_lock_path (const char *dir, char *path, size_t size)
{
    int n = snprintf (path, size, "%s/%s", dir, NINES_STORE_LOCK_FILE);
    return n < 0 || (size_t) n >= size ? NINES_EINVAL : NINES_OK;
}

/*  The pid written in an open lock file: > 0, or -1 if none is there. */
static long
s_read_pid (int fd)
{
    char buf [32] = "";
    ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf [n] = 0;
    char *end;
    long pid = strtol (buf, &end, 10);
    return pid > 0 && end != buf && (*end == '\n' || *end == 0) ? pid : -1;
}

/*  Take dir's lock: *fd_p open and flock'ed with our pid written in, or
    NINES_ELOCKED (the holder's pid in *holder, -1 unknown) or NINES_EIO. */
static int
s_lock (const char *dir, int *fd_p, long *holder)
{
    char path [4096];
    *fd_p = -1;
    *holder = -1;
    if (s_lock_path (dir, path, sizeof path))
        return NINES_EINVAL;
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        nines_error ("cannot open the lock file %s: %s", path, strerror (errno));
        return NINES_EIO;
    }
    if (flock (fd, LOCK_EX | LOCK_NB)) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            /*  The winner writes its pid right after its flock: give it a
                moment before calling the pid unknown. */
            for (int i = 0; i < 50 && (*holder = s_read_pid (fd)) < 0; i++)
                usleep (10000);
            close (fd);
            return NINES_ELOCKED;
        }
        nines_error ("cannot lock %s: %s", path, strerror (e));
        close (fd);
        return NINES_EIO;
    }
    char pid [32];
    int n = snprintf (pid, sizeof pid, "%ld\n", (long) getpid ());
    if (ftruncate (fd, 0) || pwrite (fd, pid, (size_t) n, 0) != n) {
        nines_error ("cannot write the lock file %s: %s", path, strerror (errno));
        close (fd);
        return NINES_EIO;
    }
    *fd_p = fd;
    return NINES_OK;
}

long
nines_store_lock_holder (const char *dir)
{
    char path [4096];
    if (s_lock_path (dir, path, sizeof path))
        return 0;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long pid = 0;
    if (flock (fd, LOCK_SH | LOCK_NB) == 0)
        flock (fd, LOCK_UN);            /* nobody holds it */
    else
        pid = s_read_pid (fd);
    close (fd);
    return pid;
}

int
nines_store_open (nines_store_t **self_p, const char *dir, uint64_t map_size,
                  const char *const *dbs)
{
    *self_p = NULL;
    int ndbs = 0;
    while (dbs && dbs [ndbs])
        ndbs++;
    if (ndbs > NINES_STORE_MAX_DBS)
        return NINES_EINVAL;
    if (mkdir (dir, 0700) && errno != EEXIST) {
        nines_error ("cannot create store directory %s: %s", dir, strerror (errno));
        return NINES_EIO;
    }
    int lock_fd;
    long holder;
    int lrc = s_lock (dir, &lock_fd, &holder);
    if (lrc == NINES_ELOCKED) {
        if (holder > 0)
            nines_error ("store %s is in use by process %ld (lock %s/%s)", dir, holder, dir,
                         NINES_STORE_LOCK_FILE);
        else
            nines_error ("store %s is in use by another process (lock %s/%s)", dir, dir,
                         NINES_STORE_LOCK_FILE);
    }
    if (lrc)
        return lrc;
    nines_store_t *self = (nines_store_t *) calloc (1, sizeof *self);
    if (!self) {
        close (lock_fd);
        return NINES_ENOMEM;
    }
    self->lock_fd = lock_fd;
    int rc = mdb_env_create (&self->env);
    if (!rc) rc = mdb_env_set_maxdbs (self->env, NINES_STORE_MAX_DBS);
    if (!rc) rc = mdb_env_set_mapsize (self->env, map_size ? map_size : NINES_STORE_MAP_DEFAULT);
    if (!rc) rc = mdb_env_open (self->env, dir, MDB_NOTLS, 0600);
    if (rc) {
        nines_error ("cannot open store %s: %s", dir, mdb_strerror (rc));
        mdb_env_close (self->env);
        close (self->lock_fd);
        free (self);
        return NINES_ESTORE;
    }
    MDB_txn *txn;
    rc = mdb_txn_begin (self->env, NULL, 0, &txn);
    for (int i = 0; !rc && i < ndbs; i++) {
        rc = mdb_dbi_open (txn, dbs [i], MDB_CREATE, &self->dbis [i]);
        self->names [i] = strdup (dbs [i]);
        self->ndbs = i + 1;
    }
    if (!rc)
        rc = mdb_txn_commit (txn);
    else
        mdb_txn_abort (txn);
    if (rc) {
        int r = s_map (rc, "open databases");
        nines_store_destroy (&self);
        return r;
    }
    *self_p = self;
    return NINES_OK;
}

void
nines_store_destroy (nines_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_store_t *self = *self_p;
    mdb_env_close (self->env);
    for (int i = 0; i < self->ndbs; i++)
        free (self->names [i]);
    if (self->lock_fd >= 0)
        close (self->lock_fd);          /* drops the flock */
    free (self);
    *self_p = NULL;
}

static int
s_dbi (nines_store_t *self, const char *db, MDB_dbi *dbi)
{
    for (int i = 0; i < self->ndbs; i++)
        if (strcmp (self->names [i], db) == 0) {
            *dbi = self->dbis [i];
            return NINES_OK;
        }
    nines_error ("store: no database named '%s'", db);
    return NINES_EINVAL;
}

int
nines_txn_begin (nines_store_t *self, bool write, nines_txn_t **txn_p)
{
    *txn_p = NULL;
    nines_txn_t *txn = (nines_txn_t *) calloc (1, sizeof *txn);
    if (!txn)
        return NINES_ENOMEM;
    txn->store = self;
    int rc = mdb_txn_begin (self->env, NULL, write ? 0 : MDB_RDONLY, &txn->txn);
    if (rc) {
        free (txn);
        return s_map (rc, "begin");
    }
    *txn_p = txn;
    return NINES_OK;
}

int
nines_txn_commit (nines_txn_t **txn_p)
{
    nines_txn_t *txn = *txn_p;
    int rc = mdb_txn_commit (txn->txn);
    free (txn);
    *txn_p = NULL;
    return s_map (rc, "commit");
}

void
nines_txn_abort (nines_txn_t **txn_p)
{
    if (!txn_p || !*txn_p)
        return;
    mdb_txn_abort ((*txn_p)->txn);
    free (*txn_p);
    *txn_p = NULL;
}

/*  db's handle for a key of klen bytes in txn: 0, s_dbi's code, or
    NINES_EINVAL (klen 0 or over LMDB's 511). */
static int
s_txn_key (nines_txn_t *txn, const char *db, size_t klen, MDB_dbi *dbi)
{
    int rc = s_dbi (txn->store, db, dbi);
    return rc ? rc : klen == 0 || klen > 511 ? NINES_EINVAL : NINES_OK;
}

int
nines_txn_put (nines_txn_t *txn, const char *db, const void *key, size_t klen,
               const void *val, size_t vlen)
{
    MDB_dbi dbi;
    int rc = s_txn_key (txn, db, klen, &dbi);
    if (rc)
        return rc;
    MDB_val k = { klen, (void *) key }, v = { vlen, (void *) val };
    return s_map (mdb_put (txn->txn, dbi, &k, &v, 0), "put");
}

int
nines_txn_get (nines_txn_t *txn, const char *db, const void *key, size_t klen,
               const void **val, size_t *vlen)
{
    MDB_dbi dbi;
    int rc = s_txn_key (txn, db, klen, &dbi);
    if (rc)
        return rc;
    MDB_val k = { klen, (void *) key }, v;
    rc = mdb_get (txn->txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND)
        return NINES_ENOTFOUND;
    if (rc)
        return s_map (rc, "get");
    *val = v.mv_data;
    *vlen = v.mv_size;
    return NINES_OK;
}

int
nines_txn_del (nines_txn_t *txn, const char *db, const void *key, size_t klen)
{
    MDB_dbi dbi;
    int rc = s_txn_key (txn, db, klen, &dbi);
    if (rc)
        return rc;
    MDB_val k = { klen, (void *) key };
    rc = mdb_del (txn->txn, dbi, &k, NULL);
    return rc == MDB_NOTFOUND ? NINES_ENOTFOUND : s_map (rc, "del");
}

int
nines_store_put (nines_store_t *self, const char *db, const void *key, size_t klen,
                 const void *val, size_t vlen)
{
    nines_txn_t *txn;
    int rc = nines_txn_begin (self, true, &txn);
    if (rc)
        return rc;
    rc = nines_txn_put (txn, db, key, klen, val, vlen);
    if (rc) {
        nines_txn_abort (&txn);
        return rc;
    }
    return nines_txn_commit (&txn);
}

int
nines_store_get (nines_store_t *self, const char *db, const void *key, size_t klen,
                 void **val, size_t *vlen)
{
    nines_txn_t *txn;
    int rc = nines_txn_begin (self, false, &txn);
    if (rc)
        return rc;
    const void *data;
    rc = nines_txn_get (txn, db, key, klen, &data, vlen);
    if (!rc) {
        *val = malloc (*vlen ? *vlen : 1);
        if (*val)
            memcpy (*val, data, *vlen);
        else
            rc = NINES_ENOMEM;
    }
    nines_txn_abort (&txn);
    return rc;
}

int
nines_store_del (nines_store_t *self, const char *db, const void *key, size_t klen)
{
    nines_txn_t *txn;
    int rc = nines_txn_begin (self, true, &txn);
    if (rc)
        return rc;
    rc = nines_txn_del (txn, db, key, klen);
    if (rc) {
        nines_txn_abort (&txn);
        return rc;
    }
    return nines_txn_commit (&txn);
}

int
nines_store_put_u64 (nines_store_t *self, const char *db, const char *key, uint64_t value)
{
    uint8_t le [8];
    nines_le64 (le, value);
    return nines_store_put (self, db, key, strlen (key), le, sizeof le);
}

int
nines_store_get_u64 (nines_store_t *self, const char *db, const char *key, uint64_t *value)
{
    void *val;
    size_t len;
    int rc = nines_store_get (self, db, key, strlen (key), &val, &len);
    if (rc)
        return rc;
    if (len != 8) {
        free (val);
        return NINES_EMALFORMED;
    }
    *value = nines_get_le64 (val);
    free (val);
    return NINES_OK;
}

/*  A read-only transaction on db: 0 with *dbi and *txn (the caller
    aborts it), or the NINES_E* code of s_dbi or of the begin. */
static int
s_read (nines_store_t *self, const char *db, MDB_dbi *dbi, MDB_txn **txn)
{
    int rc = s_dbi (self, db, dbi);
    if (!rc && (rc = mdb_txn_begin (self->env, NULL, MDB_RDONLY, txn)))
        rc = s_map (rc, "begin");
    return rc;
}

int
nines_store_iter_prefix (nines_store_t *self, const char *db, const void *prefix, size_t plen,
                         nines_store_fn *fn, void *arg)
{
    MDB_dbi dbi;
    MDB_txn *txn;
    int rc = s_read (self, db, &dbi, &txn);
    if (rc)
        return rc;
    MDB_cursor *cursor;
    if ((rc = mdb_cursor_open (txn, dbi, &cursor))) {
        mdb_txn_abort (txn);
        return s_map (rc, "cursor");
    }
    MDB_val k = { plen, (void *) prefix }, v;
    rc = mdb_cursor_get (cursor, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    int result = 0;
    while (rc == 0) {
        if (k.mv_size < plen || (plen && memcmp (k.mv_data, prefix, plen) != 0))
            break;
        result = fn (k.mv_data, k.mv_size, v.mv_data, v.mv_size, arg);
        if (result)
            break;
        rc = mdb_cursor_get (cursor, &k, &v, MDB_NEXT);
    }
    if (rc && rc != MDB_NOTFOUND)
        result = s_map (rc, "iterate");
    mdb_cursor_close (cursor);
    mdb_txn_abort (txn);
    return result;
}

int
nines_store_count (nines_store_t *self, const char *db, uint64_t *count)
{
    MDB_dbi dbi;
    MDB_txn *txn;
    int rc = s_read (self, db, &dbi, &txn);
    if (rc)
        return rc;
    MDB_stat st;
    rc = mdb_stat (txn, dbi, &st);
    mdb_txn_abort (txn);
    if (rc)
        return s_map (rc, "stat");
    *count = st.ms_entries;
    return NINES_OK;
}
