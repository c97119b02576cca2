#include "store/store.h"
#include "testutil.h"
#include <czmq.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct { int n; char keys [8][16]; } collect_t;

static int
s_collect (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    collect_t *c = (collect_t *) arg;
    if (c->n < 8) {
        memcpy (c->keys [c->n], key, klen < 15 ? klen : 15);
        c->keys [c->n][klen < 15 ? klen : 15] = 0;
    }
    c->n++;
    return 0;
}

static int s_stop_at_two (const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    return ++*(int *) arg == 2 ? 42 : 0;
}

static void
test_store (void)
{
    char dir [] = "/tmp/nines-store-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    const char *dbs [] = { "reports", "outbox", NULL };
    nines_store_t *store = NULL;
    CHECK_RC (nines_store_open (&store, dir, 1 << 20, dbs), 0);
    if (!store)
        return;
    CHECK_RC (nines_store_put (store, "reports", "r/b", 3, "two", 3), 0);
    CHECK_RC (nines_store_put (store, "reports", "r/a", 3, "one", 3), 0);
    CHECK_RC (nines_store_put (store, "reports", "s/a", 3, "other", 5), 0);
    void *val = NULL;
    size_t len = 0;
    CHECK_RC (nines_store_get (store, "reports", "r/a", 3, &val, &len), 0);
    CHECK (len == 3 && memcmp (val, "one", 3) == 0);
    free (val);
    CHECK_RC (nines_store_get (store, "reports", "r/z", 3, &val, &len), NINES_ENOTFOUND);
    CHECK_RC (nines_store_get (store, "nosuchdb", "r/a", 3, &val, &len), NINES_EINVAL);
    CHECK_RC (nines_store_put (store, "reports", "", 0, "x", 1), NINES_EINVAL);

    collect_t c = { 0 };
    CHECK_RC (nines_store_iter_prefix (store, "reports", "r/", 2, s_collect, &c), 0);
    CHECK_EQ (c.n, 2);
    CHECK_STR (c.keys [0], "r/a");
    CHECK_STR (c.keys [1], "r/b");
    int seen = 0;
    CHECK_RC (nines_store_iter_prefix (store, "reports", NULL, 0, s_stop_at_two, &seen), 42);

    uint64_t n = 0;
    CHECK_RC (nines_store_count (store, "reports", &n), 0);
    CHECK_EQ (n, 3);
    CHECK_RC (nines_store_del (store, "reports", "s/a", 3), 0);
    CHECK_RC (nines_store_del (store, "reports", "s/a", 3), NINES_ENOTFOUND);

    /* An aborted transaction leaves nothing; a committed one lands whole. */
    nines_txn_t *txn = NULL;
    CHECK_RC (nines_txn_begin (store, true, &txn), 0);
    CHECK_RC (nines_txn_put (txn, "outbox", "e1", 2, "x", 1), 0);
    nines_txn_abort (&txn);
    CHECK_RC (nines_store_get (store, "outbox", "e1", 2, &val, &len), NINES_ENOTFOUND);
    CHECK_RC (nines_txn_begin (store, true, &txn), 0);
    CHECK_RC (nines_txn_put (txn, "outbox", "e1", 2, "x", 1), 0);
    CHECK_RC (nines_txn_put (txn, "reports", "r/c", 3, "three", 5), 0);
    CHECK_RC (nines_txn_commit (&txn), 0);
    CHECK (txn == NULL);

    CHECK_RC (nines_store_put_u64 (store, "outbox", "seq", 1234567890123ULL), 0);
    uint64_t v = 0;
    CHECK_RC (nines_store_get_u64 (store, "outbox", "seq", &v), 0);
    CHECK_EQ (v, 1234567890123ULL);
    CHECK_RC (nines_store_get_u64 (store, "outbox", "e1", &v), NINES_EMALFORMED);

    /* Reopen: everything committed is still there. */
    nines_store_destroy (&store);
    CHECK (store == NULL);
    CHECK_RC (nines_store_open (&store, dir, 1 << 20, dbs), 0);
    CHECK_RC (nines_store_count (store, "reports", &n), 0);
    CHECK_EQ (n, 3);

    /* A full map is reported as NINES_EFULL, not a crash. */
    static uint8_t big [256 * 1024];
    int rc = 0;
    for (int i = 0; i < 16 && rc == 0; i++) {
        char key [16];
        snprintf (key, sizeof key, "big%d", i);
        rc = nines_store_put (store, "outbox", key, strlen (key), big, sizeof big);
    }
    CHECK_RC (rc, NINES_EFULL);
    nines_store_destroy (&store);
    zsys_dir_delete (dir);  /* best effort; files first */
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK (system (cmd) == 0);
}

/*  Negative cases: a path that is a file, too many databases, a corrupt
    data file, oversized and empty keys, a write in a read-only transaction,
    a typed read of a value of the wrong size. */
static void
test_store_negative (void)
{
    char dir [] = "/tmp/nines-store-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char path [128];
    const char *dbs [] = { "reports", NULL };
    nines_store_t *store = NULL;

    snprintf (path, sizeof path, "%s/plainfile", dir);
    FILE *f = fopen (path, "w");
    fputs ("not a directory", f);
    fclose (f);
    CHECK (nines_store_open (&store, path, 1 << 20, dbs) < 0);
    CHECK (store == NULL);

    const char *many [NINES_STORE_MAX_DBS + 2];
    for (int i = 0; i <= NINES_STORE_MAX_DBS; i++)
        many [i] = "db";
    many [NINES_STORE_MAX_DBS + 1] = NULL;
    snprintf (path, sizeof path, "%s/many", dir);
    CHECK_RC (nines_store_open (&store, path, 1 << 20, many), NINES_EINVAL);

    /* A data file that is not an LMDB file: refused, not a crash. */
    snprintf (path, sizeof path, "%s/corrupt", dir);
    CHECK (mkdir (path, 0700) == 0);
    char data [160];
    snprintf (data, sizeof data, "%s/data.mdb", path);
    f = fopen (data, "w");
    for (int i = 0; i < 8192; i++)
        fputc (i * 7, f);
    fclose (f);
    CHECK_RC (nines_store_open (&store, path, 1 << 20, dbs), NINES_ESTORE);
    CHECK (store == NULL);

    snprintf (path, sizeof path, "%s/ok", dir);
    CHECK_RC (nines_store_open (&store, path, 1 << 20, dbs), 0);
    if (store) {
        static char key [512];
        memset (key, 'k', sizeof key);
        CHECK_RC (nines_store_put (store, "reports", key, 512, "v", 1), NINES_EINVAL);
        CHECK_RC (nines_store_put (store, "reports", key, 511, "v", 1), 0);
        void *val = NULL;
        size_t len = 0;
        CHECK_RC (nines_store_get (store, "reports", key, 512, &val, &len), NINES_EINVAL);
        CHECK_RC (nines_store_get (store, "reports", key, 0, &val, &len), NINES_EINVAL);
        CHECK_RC (nines_store_del (store, "nosuchdb", key, 1), NINES_EINVAL);
        uint64_t n;
        CHECK_RC (nines_store_count (store, "nosuchdb", &n), NINES_EINVAL);
        nines_txn_t *txn = NULL;
        CHECK_RC (nines_txn_begin (store, false, &txn), 0);
        CHECK_RC (nines_txn_put (txn, "reports", "a", 1, "b", 1), NINES_ESTORE);
        nines_txn_abort (&txn);
        CHECK (txn == NULL);
        CHECK_RC (nines_store_put (store, "reports", "short", 5, "abc", 3), 0);
        uint64_t v;
        CHECK_RC (nines_store_get_u64 (store, "reports", "short", &v), NINES_EMALFORMED);
        CHECK_RC (nines_store_get_u64 (store, "reports", "absent", &v), NINES_ENOTFOUND);
        nines_store_destroy (&store);
    }
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK (system (cmd) == 0);
}

/*  One process per data directory: while a store is open, a second open
    of its directory (another process, or this one again) is refused with
    NINES_ELOCKED and the holder's pid is known; closing releases it, and
    so does the holder's death (no stale lock after a kill -9). */
static void
test_store_lock (void)
{
    char dir [] = "/tmp/nines-store-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    const char *dbs [] = { "reports", NULL };
    nines_store_t *store = NULL, *second = NULL;
    CHECK_EQ (nines_store_lock_holder (dir), 0);
    CHECK_RC (nines_store_open (&store, dir, 1 << 20, dbs), 0);
    CHECK_EQ (nines_store_lock_holder (dir), getpid ());
    CHECK_RC (nines_store_open (&second, dir, 1 << 20, dbs), NINES_ELOCKED);
    CHECK (second == NULL);
    /* another process: refused, exits 3 */
    pid_t child = fork ();
    if (child == 0) {
        nines_store_t *s = NULL;
        int rc = nines_store_open (&s, dir, 1 << 20, dbs);
        _exit (rc == NINES_ELOCKED && nines_store_lock_holder (dir) == (long) getppid () ? 3 : 4);
    }
    int status = 0;
    CHECK (child > 0 && waitpid (child, &status, 0) == child);
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 3);
    /* the first store still works */
    CHECK_RC (nines_store_put (store, "reports", "k", 1, "v", 1), 0);
    nines_store_destroy (&store);
    CHECK_EQ (nines_store_lock_holder (dir), 0);
    /* a holder that dies without closing leaves nothing stale */
    child = fork ();
    if (child == 0) {
        nines_store_t *s = NULL;
        if (nines_store_open (&s, dir, 1 << 20, dbs) == 0)
            pause ();
        _exit (4);
    }
    long holder = 0;
    for (int i = 0; i < 500 && (holder = nines_store_lock_holder (dir)) != child; i++)
        usleep (10000);
    CHECK_EQ (holder, child);
    CHECK_RC (nines_store_open (&second, dir, 1 << 20, dbs), NINES_ELOCKED);
    kill (child, SIGKILL);
    CHECK (waitpid (child, &status, 0) == child);
    CHECK_RC (nines_store_open (&second, dir, 1 << 20, dbs), 0);
    void *val = NULL;
    size_t len = 0;
    CHECK_RC (second ? nines_store_get (second, "reports", "k", 1, &val, &len) : -1, 0);
    free (val);
    nines_store_destroy (&second);
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK (system (cmd) == 0);
}

int
main (void)
{
    RUN (test_store);
    RUN (test_store_negative);
    RUN (test_store_lock);
    return t_done ("test_store");
}
