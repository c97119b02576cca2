#   paid-maintenance: what a provider signs during a run changes what its
#   outage costs, and only that.  Pod 0 announces maintenance for
#   [20 s, 30 s) at 2 s (notice 10 s), then its demo app is down from 10 s
#   to 45 s: 35 s down, 10 s of it announced, 25 s charged.  Pod 1 stops
#   paying for protection at 40 s (paid_until, set at 3 s), then is down
#   from 15 s to 50 s: 25 s of it before paid_until.  Each slash must
#   equal stake x max_slash x S(d) for the d its reports prove after
#   paid_until and maintenance, exactly (slash_evidenced), and lie within
#   3 % of stake x max_slash x S(25 s) (slash_within).  The slashing curve
#   is scaled to seconds near its top (d_mid 10 s, s 5 s: S(25 s) = 0.95),
#   where a second of detection error is about 1.1 % of the slash (an
#   ASan build under load once detected 1.0 s late: -1.16 %), and probing
#   is fast (see ledger-restart.zpl).
scenario
    name = paid-maintenance
    seed = 12
    duration = 65s
    validators = 5
    pods = 3
    providers = 3
    stake = 1000000
    pod_stake = 1000000
params
    epoch = 1s
    r = 5
    committee = 5
    theta = 0.6667
    probe_timeout = 1s
    retry_delay = 100ms
    vote_delay = 100ms
    vote_window = 100ms
    round_timeout = 3s
    down_probe = 250ms
    down_confirm = 5s
    grace = 10s
    d_mid = 10s
    s = 5s
    merge_min = 30s
    corr_window = 10s
    canary_window = 10s
    notice = 10s
fault
    at = 2s
    kind = maintenance
    pod = 0
    start = 20s
    duration = 10s
fault
    at = 3s
    kind = paid_until
    pod = 1
    until = 40s
fault
    at = 10s
    kind = app_down
    pod = 0
    duration = 35s
fault
    at = 15s
    kind = app_down
    pod = 1
    duration = 35s
expect
    incidents = 2
    false_incidents = 0
    slashed = 2
    max_latency = 5s
    slash_within = 3%
    slash_evidenced = 0
