/*  Test fixture for the ledger: a registry of seeded validators, providers
    and pods, and validly signed quorum reports and evidence built from the
    committee src/core recomputes.  Shared by the ledger unit,
    integration and bench programs. */
#ifndef NINES_TEST_LEDGER_FIXTURE_H
#define NINES_TEST_LEDGER_FIXTURE_H

#include "proto/registry.h"
#include "proto/committee.h"
#include "wire/wire.h"

#define LFX_MAX_VALIDATORS 128
#define LFX_MAX_PODS       32
#define LFX_T0             1700000000000ULL    /* a Unix ms far from genesis 0 */

typedef struct {
    nines_keypair_t validator [LFX_MAX_VALIDATORS]; /* validator keys */
    size_t n_validators;
    nines_keypair_t provider [LFX_MAX_PODS];        /* provider keys */
    size_t n_providers;
    uint8_t pod [LFX_MAX_PODS][NINES_ID_BYTES];     /* pod ids */
    size_t n_pods;
    nines_registry_t *reg;                          /* the registry */
} lfx_t;

/*  n validators of stake 1e6, n_pods pods of stake 1e6 spread over
    n_providers providers, committee size c, other params default. */
void lfx_init (lfx_t *f, size_t n_validators, size_t n_pods, size_t n_providers, uint32_t c);
void lfx_fini (lfx_t *f);

/*  Key of a validator id (NULL if not a fixture validator). */
const nines_keypair_t *lfx_key (lfx_t *f, const uint8_t id [NINES_ID_BYTES]);

/*  A report of kind about pod at t_ms (epoch derived) signed by the first
    n_votes committee members, all observing at t_ms. */
void lfx_report (lfx_t *f, nines_report_t *r, int kind, const uint8_t pod [NINES_ID_BYTES],
                 uint64_t t_ms, size_t n_votes);

/*  Evidence for pod index: DOWN at t_down, UP at t_up (0 = open). */
void lfx_evidence (lfx_t *f, nines_evidence_t *ev, size_t pod, uint64_t t_down, uint64_t t_up);

/*  Encoded submit_evidence request (malloc'd). */
uint8_t *lfx_submit_req (lfx_t *f, const nines_evidence_t *ev, size_t *len);

#endif
