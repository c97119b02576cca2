/*  nines-ledger API: op names, PUB topics, signing domains and helpers
    that build and check the signed requests (proto/LEDGER.md is the spec).

    Transport (CONTRACTS.md): the client's DEALER sends one frame, a msgpack
    map with "op"; the ledger's ROUTER answers one frame, a msgpack map with
    "ok" (bool) and, when false, "error" (string).  Lists come as "rows".

    Signed requests.  Every change to the registry is signed by the key that
    owns the entry; the signature covers
        domain || le64(t_ms) || body
    where t_ms is the signer's clock (Unix ms) and must be strictly greater
    than the last t_ms the ledger accepted from that signer for that domain
    and entry (validator or pod id) (replay protection: an old registration cannot be re-played to undo a
    newer one).  Bodies:
        reg-validator   the nines_validator_info_encode bytes ("info")
        reg-pod         the nines_pod_info_encode bytes ("info"); the
                        ledger ignores the maint list in it (maintenance
                        has its own op) and keeps announced windows
        maintenance     pod (32) || le64(start_ms) || le64(end_ms)
        paid-until      pod (32) || le64(paid_until_ms)
        canary-sign     canary id (32) || validator id (32)
    The ledger itself signs each canary: "nines/canary/v1" || id (32) ||
    le64(period) || le64(deadline_ms).

    Every builder below returns a complete request frame (malloc'd; the
    caller frees *out) ready for a DEALER send.  Return codes are 0 or a
    negative NINES_E*; nothing here aborts on bad input. */
#ifndef NINES_CLIENT_LEDGER_CLIENT_H
#define NINES_CLIENT_LEDGER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "crypto/crypto.h"
#include "wire/wire.h"
#include "proto/registry.h"
#include "client/ops.h"
#include "client/registry_file.h"   /* nines_registry_load, nines_registry_save */

/*  ---- signing domains (NINES_DOMAIN_CANARY, signed by the ledger, is in crypto.h) ---- */
#define NINES_DOMAIN_REG_VALIDATOR  "nines/reg-validator/v1"
#define NINES_DOMAIN_REG_POD        "nines/reg-pod/v1"
#define NINES_DOMAIN_MAINTENANCE    "nines/maintenance/v1"
#define NINES_DOMAIN_PAID_UNTIL     "nines/paid-until/v1"
#define NINES_DOMAIN_CANARY_SIGN    "nines/canary-sign/v1"

/*  ---- evidence verdicts (reply field "verdict") ---- */
#define NINES_VERDICT_ACCEPTED   "accepted"   /* new: counted (or topped up an incident) */
#define NINES_VERDICT_DUPLICATE  "duplicate"  /* already counted: nothing changed */
#define NINES_VERDICT_REJECTED   "rejected"   /* failed a check; "reason" names it */

#define NINES_LEDGER_BODY_MAX    1024          /* largest signed body, bytes */

/*  The bytes a registration-style signature covers after the domain:
    le64(t_ms) || body.  out must hold 8 + len bytes; returns 8 + len. */
size_t nines_ledger_signed_bytes (uint8_t *out, uint64_t t_ms, const uint8_t *body, size_t len);

/*  Sign / verify domain || le64(t_ms) || body with kp / by pk.
    Sign: 0, NINES_ETOOBIG (len > NINES_LEDGER_BODY_MAX), NINES_EINVAL.
    Verify: 0 or NINES_EBADSIG. */
int nines_ledger_sign (const nines_keypair_t *kp, const char *domain, uint64_t t_ms,
                       const uint8_t *body, size_t len, uint8_t sig [NINES_SIG_BYTES]);
int nines_ledger_verify (const uint8_t pk [NINES_ID_BYTES], const char *domain, uint64_t t_ms,
                         const uint8_t *body, size_t len,
                         const uint8_t sig [NINES_SIG_BYTES]) NINES_WARN_UNUSED;

/*  Fixed bodies of the small signed messages (see the top comment).
    maintenance: 48 bytes, paid-until: 40 bytes, canary-sign: 64 bytes. */
#define NINES_MAINT_BODY_BYTES      48
#define NINES_PAID_BODY_BYTES       40
#define NINES_CANARY_SIGN_BYTES     64
void nines_ledger_maint_body (uint8_t out [NINES_MAINT_BODY_BYTES], const uint8_t pod [NINES_ID_BYTES],
                              uint64_t start_ms, uint64_t end_ms);
void nines_ledger_paid_body (uint8_t out [NINES_PAID_BODY_BYTES], const uint8_t pod [NINES_ID_BYTES],
                             uint64_t paid_until_ms);

/*  The ledger's canary body after the domain: id || le64(period) ||
    le64(deadline_ms), 48 bytes. */
#define NINES_CANARY_BODY_BYTES     48
void nines_ledger_canary_body (uint8_t out [NINES_CANARY_BODY_BYTES], const uint8_t id [NINES_HASH_BYTES],
                               uint64_t period, uint64_t deadline_ms);

/*  ---- request builders (each returns a malloc'd frame in *out / *len) ---- */

/*  {op: register_validator, info, t_ms, sig}; kp.pk must equal info->id
    (else NINES_EINVAL). */
int nines_ledger_req_register_validator (const nines_keypair_t *kp, const nines_validator_info_t *info,
                                         uint64_t t_ms, uint8_t **out, size_t *len);

/*  {op: register_pod, info, t_ms, sig}; kp is the provider: kp.pk must equal
    info->provider (else NINES_EINVAL). */
int nines_ledger_req_register_pod (const nines_keypair_t *kp, const nines_pod_info_t *info,
                                   uint64_t t_ms, uint8_t **out, size_t *len);

/*  {op: maintenance, pod, start_ms, end_ms, t_ms, sig} by the provider.
    The ledger honours the window only if its own clock when it accepts the
    request is at least `notice` before start_ms (DESIGN.md section 8). */
int nines_ledger_req_maintenance (const nines_keypair_t *kp, const uint8_t pod [NINES_ID_BYTES],
                                  uint64_t start_ms, uint64_t end_ms, uint64_t t_ms,
                                  uint8_t **out, size_t *len);

/*  {op: paid_until, pod, paid_until_ms, t_ms, sig} by the provider. */
int nines_ledger_req_paid_until (const nines_keypair_t *kp, const uint8_t pod [NINES_ID_BYTES],
                                 uint64_t paid_until_ms, uint64_t t_ms, uint8_t **out, size_t *len);

/*  {op: submit_evidence, evidence: bin (nines_evidence_encode), from}. */
int nines_ledger_req_submit_evidence (const nines_evidence_t *ev, const uint8_t from [NINES_ID_BYTES],
                                      uint8_t **out, size_t *len);

/*  {op: canary_sign, canary, validator, sig}: kp countersigns canary id. */
int nines_ledger_req_canary_sign (const nines_keypair_t *kp, const uint8_t canary [NINES_HASH_BYTES],
                                  uint8_t **out, size_t *len);

/*  {op} with no arguments, or {op, pod} when pod is not NULL. */
int nines_ledger_req_simple (const char *op, const uint8_t *pod, uint8_t **out, size_t *len);

/*  ---- reply parsers ---- */

/*  Parse a `registry` reply into a fresh registry (*reg_p, caller
    destroys); ledger_id (may be NULL) gets the ledger's key.
    0, NINES_EMALFORMED (not a registry reply), NINES_ESTATE (ok = false),
    NINES_ENOMEM. */
int nines_ledger_parse_registry (const uint8_t *reply, size_t len, nines_registry_t **reg_p,
                                 uint8_t ledger_id [NINES_ID_BYTES]);

/*  Parse a submit_evidence acknowledgement: ok, id (32), verdict and
    reason (copied, NUL-terminated, may be NULL).  0 when ok = true (the
    evidence is acknowledged whatever the verdict), NINES_ESTATE when
    ok = false, NINES_EMALFORMED otherwise. */
int nines_ledger_parse_ack (const uint8_t *reply, size_t len, uint8_t id [NINES_HASH_BYTES],
                            char *verdict, size_t verdict_size, char *reason, size_t reason_size);

/*  Parse a canary (the PUB frame or the `canary` reply): id, period,
    deadline_ms, and check the ledger's signature when ledger_id is not
    NULL.  0, NINES_EMALFORMED, NINES_EBADSIG, NINES_ENOTFOUND (reply says no
    canary is open). */
int nines_ledger_parse_canary (const uint8_t *msg, size_t len, const uint8_t *ledger_id,
                               uint8_t id [NINES_HASH_BYTES], uint64_t *period, uint64_t *deadline_ms);

#endif
