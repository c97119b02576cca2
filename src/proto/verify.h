/*  Evidence verification by the ledger (DESIGN.md sections 7 and 8).

    The ledger trusts no validator: it checks each quorum report of an
    evidence on its own against the registry, with a named reason (a
    NINES_E* code, nines_errname() gives the token) for the first failure:

        NINES_EUNKNOWN      the pod is not registered
        NINES_EMALFORMED    a report of the wrong kind or pod, an empty
                            report, a vote whose pod, epoch, round or
                            verdict differs from its report's
        NINES_ENOTCOMMITTEE a signer outside the committee recomputed
                            (src/proto/committee.c) for that pod and epoch
        NINES_EDUPSIGNER    one signer twice in a report
        NINES_EBADSIG       a signature that does not verify for
                            "nines/vote/v1" (forged, or made for another
                            domain)
        NINES_EQUORUM       the agreeing weight Σ isqrt(stake) is below θ of
                            the committee's weight
        NINES_ESTALE        epoch and times disagree: a vote observed outside
                            [start of the epoch - skew, end of the epoch +
                            round timeout + skew], a report t_ms that is not
                            the median of its votes' times, a report from the
                            future (now + skew)
        NINES_EORDER        the UP report is not after the DOWN report
                            (t_ms and epoch)

    Checks run in that order per report (fields, committee, duplicate,
    signature, per vote; then weight and times), the DOWN report first. */
#ifndef NINES_PROTO_VERIFY_H
#define NINES_PROTO_VERIFY_H

#include <stdint.h>
#include "proto/registry.h"
#include "wire/wire.h"

#define NINES_EVIDENCE_SKEW_MS  30000   /* clock skew tolerated between validators and the ledger */
#define NINES_NOW_UNKNOWN       UINT64_MAX /* offline checks: skip the "from the future" test */

/*  Observer of each check, e.g. for `ninesctl verify-evidence`: check is a
    short name ("down: signatures"), rc 0 or the failure, detail a sentence.
    May be NULL. */
typedef void (nines_evcheck_fn) (void *arg, const char *check, int rc, const char *detail);

/*  A vote signature check supplied by the caller (the simulator's shared
    cache): 0 or NINES_EBADSIG, as nines_vote_verify. */
typedef int (nines_vote_verify_fn) (void *arg, const nines_vote_t *vote);

/*  Verify one report on its own (a gossiped QUORUM_REPORT) with the
    ledger's checks and codes above, its kind taken from the report
    (NINES_EMALFORMED unless DOWN or UP), its pod registered in reg
    (NINES_EUNKNOWN), at now_ms (NINES_NOW_UNKNOWN skips the future test),
    signatures through verify (NULL: nines_vote_verify).  The engine
    checks every report a peer sends with it, so it holds what the ledger
    would accept. */
int nines_report_verify (const nines_registry_t *reg, const nines_report_t *report, uint64_t now_ms,
                         nines_vote_verify_fn *verify, void *verify_arg) NINES_WARN_UNUSED;

/*  A misbehaviour proof (PROTOCOL.md 8.3): two votes by one validator in
    one round with different verdicts, both signatures valid (through
    verify; NULL: nines_vote_verify).  0, NINES_EMALFORMED (not one
    validator and round, or one verdict), NINES_EBADSIG. */
int nines_misbehaviour_verify (const nines_misbehaviour_t *mb, nines_vote_verify_fn *verify,
                               void *verify_arg) NINES_WARN_UNUSED;

/*  Verify one report of the given kind (nines_report_kind_t) against reg
    at now_ms (NINES_NOW_UNKNOWN to skip the future test).  label prefixes
    check names ("down", "up").  0 or the first failure above; detail (may
    be NULL) gets a sentence naming the vote. */
int nines_ledger_verify_report (const nines_registry_t *reg, const nines_report_t *report, int kind,
                                uint64_t now_ms, const char *label, nines_evcheck_fn *fn, void *arg,
                                char *detail, size_t detail_size) NINES_WARN_UNUSED;

/*  Verify an evidence (DOWN report, optional UP report of the same pod).
    0 or the first failure; see above. */
int nines_ledger_verify_evidence (const nines_registry_t *reg, const nines_evidence_t *ev,
                                  uint64_t now_ms, nines_evcheck_fn *fn, void *arg,
                                  char *detail, size_t detail_size) NINES_WARN_UNUSED;

/*  The same, but a report that fails committee membership or weight under
    reg is tried again under each registry of older (most recent first:
    the validator sets in force before reg's latest changes), because
    validators compute committees from the registry they had at the time
    of the round, which may precede a registration the ledger has since
    accepted.  The first registry that passes wins; otherwise the failure
    under reg is returned.  Pods are looked up in reg only. */
int nines_ledger_verify_evidence_hist (const nines_registry_t *reg, const nines_registry_t *const *older,
                                       size_t n_older, const nines_evidence_t *ev, uint64_t now_ms,
                                       nines_evcheck_fn *fn, void *arg,
                                       char *detail, size_t detail_size) NINES_WARN_UNUSED;

#endif
