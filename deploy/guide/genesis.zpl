#   Genesis of the guide's network (deploy/README.md, "A network by hand"):
#   the protocol parameters the ledger starts with (PROTOCOL.md section 3;
#   every parameter and its default: `ninesctl ledger-registry`).  Scaled
#   down so an outage becomes an incident within a minute; a production
#   network keeps the defaults (10 s epochs, 60 s grace, d_mid 2 h).
#   Validators and pods are registered afterwards with ninesctl.
params
    epoch = 2s                  # committee epoch: heartbeats are drawn anew every epoch
    r = 3                       # heartbeats per pod and epoch over all validators
    committee = 3               # validators that confirm a suspected outage (<= validators)
    theta = 0.6667              # stake-weighted fraction of the committee a report needs
    probe_timeout = 1s          # one heartbeat's limit (TLS + app check)
    retry_delay = 500ms         # pause before a failed heartbeat is retried
    vote_delay = 500ms          # committee members probe this long after the suspicion
    round_timeout = 5s          # a confirmation round gives up after this
    down_probe = 1s             # re-probe period of a pod reported down (to find it up)
    grace = 10s                 # incidents shorter than this are not slashed
    d_mid = 2m                  # slashing sigmoid midpoint: half of max_slash at this length
    s = 30s                     # sigmoid width
    merge_min = 30s             # incidents closer than this merge into one
    corr_window = 20s           # correlated-outage window: no slash is paid before it ends
    canary_window = 10s         # time validators have to countersign the ledger's canary
    min_validator_stake = 1000  # stake a validator needs to be eligible
