#   correlated-outage: the demo apps of 3 of 15 pods, from 3 different
#   providers, die at the same instant for 30 s (a shared dependency or a
#   network event, not three providers failing on their own).  The network
#   must still report every outage, and the ledger must flag all three
#   incidents correlated (DOWNs of at least max(3, 20 %) of pods from at
#   least 3 providers within corr_window) and slash none of them.
#   Few enough pods fail that the validators' self-health (degraded when
#   60 % of their last 16 heartbeats fail; failing pods are retried and,
#   once reported, probed every down_probe, so they weigh more than their
#   share) does not mistake it for their own network failing: with 4 of 10
#   pods down, validators turned degraded and a fourth pod went unreported.
scenario
    name = correlated-outage
    seed = 3
    duration = 75s
    validators = 5
    pods = 15
    providers = 5
params
    epoch = 2s
    r = 3
    committee = 5
    theta = 0.6667
    probe_timeout = 1s
    retry_delay = 500ms
    vote_delay = 500ms
    round_timeout = 5s
    down_probe = 2s
    grace = 10s
    d_mid = 2m
    s = 30s
    merge_min = 30s
    corr_window = 20s
    canary_window = 10s
fault
    at = 10s
    kind = correlated
    pod = 0
    count = 3
    duration = 30s
expect
    incidents = 3
    false_incidents = 0
    correlated = 3
    slashed = 0
    max_latency = 15s
