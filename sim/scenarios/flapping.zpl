#   flapping: pod 0 goes down for 6 s, up for 6 s, five times.  Each outage
#   is shorter than the 15 s grace and each gap shorter than the merge
#   window, so the ledger must merge the pieces into one incident ("down an
#   hour, up a day") whose summed downtime (30 s) passes the grace and is
#   slashed; a flapping pod cannot escape by staying under the grace.
scenario
    name = flapping
    seed = 2
    duration = 85s
    validators = 5
    pods = 3
    providers = 3
params
    epoch = 2s
    r = 3
    committee = 5
    theta = 0.6667
    probe_timeout = 1s
    retry_delay = 500ms
    vote_delay = 500ms
    round_timeout = 5s
    down_probe = 1s
    grace = 15s
    d_mid = 2m
    s = 30s
    merge_min = 30s
    corr_window = 15s
    canary_window = 10s
fault
    at = 10s
    kind = flap
    pod = 0
    down = 6s
    up = 6s
    flaps = 5
expect
    incidents = 1
    false_incidents = 0
    slashed = 1
    max_latency = 15s
