/*  LMDB persistence (DESIGN.md section 10).

    One environment per process with named databases ("reports",
    "incidents", "outbox", ...).  Single calls (put/get/del) run in their own
    transaction and are durable when they return (LMDB commits with fsync),
    so "acknowledged" means "on disk".  Several changes that must land
    together use an explicit write transaction.  LMDB errors map to
    NINES_ESTORE (NINES_EFULL for a full map, NINES_ENOTFOUND for a missing
    key); the LMDB message is logged.

    One process per data directory: opening takes an exclusive flock(2) on
    the file LOCK in the directory and writes the holder's pid into it; a
    second open (another process, or the same process twice) fails with
    NINES_ELOCKED until the holder closes the store or dies (the kernel
    drops the lock, so a kill -9 leaves nothing stale).  Two daemons on one
    directory would otherwise both act on the same state: a ledger paying
    one incident's slash twice, handing one registry version to two pods. */
#ifndef NINES_STORE_H
#define NINES_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

#define NINES_STORE_MAX_DBS   32
#define NINES_STORE_MAP_DEFAULT (1ULL << 30)   /* 1 GiB of address space */
#define NINES_STORE_LOCK_FILE "LOCK"           /* lock file in the directory (holds the pid) */

typedef struct _nines_store_t nines_store_t;
typedef struct _nines_txn_t nines_txn_t;

/*  Open (creating) the environment in directory dir (created 0700 if
    missing) with the given map size in bytes (0 = NINES_STORE_MAP_DEFAULT)
    and the NULL-terminated list of database names, holding the
    directory's lock (see above) until nines_store_destroy.
    0, NINES_ELOCKED (another process holds the directory: its pid is
    logged and nines_store_lock_holder returns it), NINES_EIO, NINES_ESTORE
    or NINES_EINVAL (too many names). */
int nines_store_open (nines_store_t **self_p, const char *dir, uint64_t map_size,
                      const char *const *dbs);

/*  The pid of the process holding dir's lock: > 0 the pid written in
    dir/LOCK, 0 nobody holds it (or dir has no lock file), -1 held but
    the file names no pid (the holder is still writing it, or it is
    garbled).  For messages only: the lock itself is taken by
    nines_store_open. */
long nines_store_lock_holder (const char *dir);
void nines_store_destroy (nines_store_t **self_p);

/*  Begin a transaction (write or read-only).  One write transaction at a
    time per environment (LMDB's rule); read transactions are per thread. */
int nines_txn_begin (nines_store_t *self, bool write, nines_txn_t **txn_p);
/*  Commit (durable on return) or abort; both free the transaction. */
int nines_txn_commit (nines_txn_t **txn_p);
void nines_txn_abort (nines_txn_t **txn_p);

/*  Put, get, delete inside a transaction.  Get returns a pointer valid
    until the transaction ends.  NINES_ENOTFOUND for a missing key. */
int nines_txn_put (nines_txn_t *txn, const char *db, const void *key, size_t klen,
                   const void *val, size_t vlen);
int nines_txn_get (nines_txn_t *txn, const char *db, const void *key, size_t klen,
                   const void **val, size_t *vlen);
int nines_txn_del (nines_txn_t *txn, const char *db, const void *key, size_t klen);

/*  Single-operation helpers, each its own durable transaction.
    nines_store_get copies the value into a malloc'd buffer (*val, caller
    frees). */
int nines_store_put (nines_store_t *self, const char *db, const void *key, size_t klen,
                     const void *val, size_t vlen);
int nines_store_get (nines_store_t *self, const char *db, const void *key, size_t klen,
                     void **val, size_t *vlen);
int nines_store_del (nines_store_t *self, const char *db, const void *key, size_t klen);

/*  Typed values: unsigned 64-bit integers stored as 8 little-endian bytes. */
int nines_store_put_u64 (nines_store_t *self, const char *db, const char *key, uint64_t value);
int nines_store_get_u64 (nines_store_t *self, const char *db, const char *key, uint64_t *value);

/*  Call fn for every entry whose key starts with prefix (plen may be 0 for
    all), in key order, inside one read transaction.  fn returns 0 to go
    on, anything else to stop (that value is returned).  Data pointers are
    valid only during the call. */
typedef int (nines_store_fn) (const void *key, size_t klen, const void *val, size_t vlen, void *arg);
int nines_store_iter_prefix (nines_store_t *self, const char *db, const void *prefix, size_t plen,
                             nines_store_fn *fn, void *arg);

/*  Number of entries in db. */
int nines_store_count (nines_store_t *self, const char *db, uint64_t *count);

#endif
