/*  Ethereum accounts: the secp256k1 chain key, its address, EIP-55
    checksummed text, and the chain key file.

    The chain key is separate from the validator's Ed25519 identity: it
    pays gas and owns the validator's stake on the contract.  Its file is
    the Ed25519 key file's format with its own header (src/crypto
    nines_secretfile_save / nines_secretfile_load, the same code): text
    "nines-secp256k1-v1\n" then the 32-byte secret as 64 lowercase hex
    digits and "\n", created 0600 with O_EXCL, refused when group or
    others may read or write it.

    Address (Yellow Paper section 7 / appendix F): the last 20 bytes of the
    Keccak-256 of the 64-byte uncompressed public key (x || y, without the
    0x04 prefix).  EIP-55: in the 40 lowercase hex digits of the address,
    digit i is upper-cased when it is a letter and nibble i of
    Keccak-256(those 40 ASCII digits) is 8 or more. */
#ifndef NINES_EVM_KEY_H
#define NINES_EVM_KEY_H

#include "base/error.h"
#include <secp256k1.h>
#include <stdint.h>

#define NINES_ADDRESS_TEXT 43   /* "0x" + 40 digits + NUL */

typedef struct {
    uint8_t secret [32];        /* secp256k1 scalar, big-endian, 0 < k < n */
    uint8_t address [20];
} nines_chainkey_t;

/*  The process's secp256k1 context (signing and verification), created
    and randomised on first use (pthread_once); NULL when that failed. */
const secp256k1_context *nines_secp256k1 (void);

/*  Key from a 32-byte secret: fills the address.  0 or NINES_EINVAL (the
    secret is 0 or not below the group order) or NINES_EIO (no context). */
int nines_chainkey_from_secret (nines_chainkey_t *k, const uint8_t secret [32]) NINES_WARN_UNUSED;

/*  A fresh key from the OS CSPRNG (libsodium randombytes).  0 or NINES_EIO. */
int nines_chainkey_generate (nines_chainkey_t *k) NINES_WARN_UNUSED;

/*  Zero the key. */
void nines_chainkey_wipe (nines_chainkey_t *k);

/*  Write k to path as "nines-secp256k1-v1\n<64 hex>\n", created 0600;
    refuses an existing file.  0, NINES_EEXIST or NINES_EIO. */
int nines_chainkey_save (const char *path, const nines_chainkey_t *k);

/*  Load a chain key file.  NINES_EPERM when group or others may access it
    (logged with the chmod to run), NINES_ENOTFOUND when missing,
    NINES_EMALFORMED for bad content (wrong header, not 64 hex digits, a
    secret that is not a valid scalar), NINES_EIO.  On failure k is zeroed. */
int nines_chainkey_load (const char *path, nines_chainkey_t *k) NINES_WARN_UNUSED;

/*  The address of the 64-byte uncompressed public key x || y. */
void nines_evm_address_of (uint8_t address [20], const uint8_t pub [64]);

/*  EIP-55 text of address: "0x" and 40 mixed-case digits, into out [43]. */
char *nines_evm_checksum (char out [NINES_ADDRESS_TEXT], const uint8_t address [20]);

/*  Parse "0x" + 40 hex digits.  All-lowercase and all-uppercase digits
    are accepted as they are; mixed case must be the EIP-55 checksum.
    0, NINES_EINVAL (not an address) or NINES_EBADSIG (checksum wrong). */
int nines_evm_parse_address (uint8_t address [20], const char *text);

#endif
