/*  nines error codes.
    Every library function returns 0 (NINES_OK) on success and a negative
    NINES_E* code on failure (the LMDB/libsodium convention).  A positive
    value passed to nines_strerror is read as an errno value, as mdb_strerror
    does, so system errors need no separate table. */
#ifndef NINES_ERROR_H
#define NINES_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define NINES_WARN_UNUSED __attribute__ ((warn_unused_result))

enum {
    NINES_OK           =   0,
    NINES_EINVAL       =  -1,  /* invalid argument or value */
    NINES_ENOMEM       =  -2,  /* out of memory */
    NINES_EIO          =  -3,  /* I/O error (see errno / log) */
    NINES_EMALFORMED   =  -4,  /* malformed input: wrong type, bad field */
    NINES_ETRUNC       =  -5,  /* input truncated */
    NINES_ETOOBIG      =  -6,  /* input over a size limit */
    NINES_EVERSION     =  -7,  /* unknown protocol or format version */
    NINES_EBADSIG      =  -8,  /* signature does not verify */
    NINES_ENOTFOUND    =  -9,  /* no such key / record / entity */
    NINES_EEXIST       = -10,  /* already exists */
    NINES_EPERM        = -11,  /* permission refused (e.g. key file mode) */
    NINES_ECONFIG      = -12,  /* bad configuration value */
    NINES_ESTORE       = -13,  /* storage (LMDB) failure */
    NINES_ETIMEOUT     = -14,  /* timed out */
    NINES_ESTALE       = -15,  /* timestamp outside the accepted window */
    NINES_EREPLAY      = -16,  /* nonce already seen */
    NINES_EUNKNOWN     = -17,  /* unknown validator, pod or peer */
    NINES_ENOTCOMMITTEE= -18,  /* signer is not in the round's committee */
    NINES_EDUPSIGNER   = -19,  /* a signer appears twice */
    NINES_EQUORUM      = -20,  /* weight below the quorum fraction */
    NINES_EORDER       = -21,  /* events out of order (e.g. UP before DOWN) */
    NINES_ETRAILING    = -22,  /* trailing bytes after a message */
    NINES_EFULL        = -23,  /* store map or bounded table full */
    NINES_ESTATE       = -24,  /* operation not valid in the current state */
    NINES_ESTAKE       = -25,  /* stake below the minimum */
    NINES_EUNAVAIL     = -26,  /* remote end unreachable */
    NINES_ELOCKED      = -27,  /* held by another process (data directory lock) */
    NINES_ERPC         = -28,  /* a JSON-RPC node answered with an error object */
    NINES_EUNDERPRICED = -29,  /* transaction fee below what the chain accepts */
    NINES_EREVERTED    = -30,  /* contract execution reverted (call, estimate, receipt) */
    NINES_ELAST        = -30
};

/*  Return a static, human-readable string for rc: a NINES_E* code (<= 0) or
    an errno value (> 0).  Never returns NULL. */
const char *nines_strerror (int rc);

/*  Return the short symbolic name of a NINES_E* code ("NINES_EBADSIG"),
    or "NINES_E?" for values outside the table.  Used in evidence verdicts
    and test output where a stable token is wanted. */
const char *nines_errname (int rc);

#ifdef __cplusplus
}
#endif
#endif
