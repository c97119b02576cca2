#   validator-churn: validators come and go while pod 0 is down.
#   Validator 1 is killed before the outage and restarted during it on
#   its own data; validator 2 is cut off from pods and peers over the end
#   of the outage (ninesd's fault hook); validator 3 is killed for good
#   after it.  Committees of 5 out of 7 keep a 2/3 quorum of live members
#   most epochs, so the outage is still detected, closed and slashed, and
#   nothing else is reported.
scenario
    name = validator-churn
    seed = 4
    duration = 80s
    validators = 7
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
    grace = 10s
    d_mid = 2m
    s = 30s
    merge_min = 30s
    corr_window = 20s
    canary_window = 10s
fault
    at = 5s
    kind = validator_kill
    validator = 1
    duration = 25s
fault
    at = 15s
    kind = app_down
    pod = 0
    duration = 30s
fault
    at = 35s
    kind = validator_isolate
    validator = 2
    duration = 20s
fault
    at = 55s
    kind = validator_kill
    validator = 3
    duration = 0
expect
    incidents = 1
    false_incidents = 0
    slashed = 1
    max_latency = 20s
