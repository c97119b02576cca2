#   des-10k: the scale run of `nines-sim des` (issue 7).  Ten thousand
#   validators watch a hundred thousand pods for an hour with the protocol
#   defaults (10 s epochs, r = 3, committees of 7, theta 2/3) over links of
#   20-50 ms with 1 % loss.  About 3.5 % of the validators lie or
#   equivocate; 1 % are cut off for ten minutes and a tenth of the network
#   is split off for five.  200 app outages and 50 stopped facades of
#   5 and 2 minutes start over the first 50 minutes; 20 pods flap.
#   Run once: it takes minutes and several GB (see the closing note of
#   issue 7 for the measured wall time and peak RSS).
scenario
    name = des-10k
    seed = 10000
    duration = 60m
    validators = 10000
    pods = 100000
    providers = 1000
network
    latency = 20ms
    jitter = 30ms
    loss = 0.01
adversaries
    always_down = 100
    always_up = 100
    silent = 100
    equivocate = 50
fault
    at = 2m
    kind = app_down
    pod = 0
    duration = 5m
    targets = 200
    spread = 50m
fault
    at = 5m
    kind = facade_stop
    pod = 50000
    duration = 2m
    targets = 50
    spread = 45m
fault
    at = 10m
    kind = flap
    pod = 70000
    down = 60s
    up = 90s
    flaps = 5
    targets = 20
    spread = 20m
fault
    at = 20m
    kind = validator_isolate
    validator = 0
    duration = 10m
    targets = 100
fault
    at = 40m
    kind = validator_isolate
    validator = 1000
    duration = 5m
    targets = 1000
    partition = 1
expect
    false_incidents = 0
