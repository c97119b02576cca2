/*  `ninesctl status-page --out DIR`: a static status page of the pods a
    ledger knows (issue 12), readable without JavaScript: current state,
    an uptime bar per pod over the ledger's nines window (SVG, one cell per
    window/NINES_STATUS_CELLS, red where an incident overlaps, amber where
    it was part of a correlated outage), the pod's nines and availability,
    and its incidents with their slashes.  Each incident links to a JSON
    file beside the page (incidents/POD-T_DOWN.json) holding the ledger's
    incident row and the pod's slash rows: the evidence as the ledger
    counted it. */
#ifndef NINES_CLI_STATUS_PAGE_H
#define NINES_CLI_STATUS_PAGE_H

#include <stdint.h>

#define NINES_STATUS_CELLS 60           /* uptime bar cells per pod */

/*  Query the ledger at endpoint (pods, nines, incidents, slashes) and
    write DIR/index.html and DIR/incidents/ (DIR created if missing).
    now: Unix ms.  0, or 1 (error reply), 2 (cannot write DIR, or endpoint
    is not a ledger: nines_cli_expect_ledger), 3 (ledger unreachable), with
    a one-line message on stderr. */
int nines_cli_status_page (const char *endpoint, const char *dir, int timeout_ms, uint64_t now);

#endif
