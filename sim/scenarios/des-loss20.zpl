#   des-loss20: 20 % of peer messages and 20 % of heartbeats are lost,
#   independently (issue 18).  A member votes down only on several failed
#   heartbeats spread over a window (PROTOCOL.md 8.1), CONFIRM_REQs go out
#   again to members without a vote and reports reach every member of
#   their scope, so no round on a healthy pod turns into an incident and
#   every outage is still found within 30 s.  Scaled down for the test
#   suite (seconds of wall time, also under ASan); the issue's
#   measurements run it with --validators 1000 --pods 10000 --duration 30m.
scenario
    name = des-loss20
    seed = 20
    duration = 10m
    validators = 200
    pods = 1000
    providers = 20
network
    latency = 20ms
    jitter = 30ms
    loss = 0.20
    probe_loss = 0.20
fault
    at = 1m
    kind = app_down
    pod = 0
    duration = 3m
    targets = 20
    spread = 5m
expect
    false_incidents = 0
    incidents = 20
    incidents_total = 20
    p99_latency = 30s
    missed = 0
    coverage = 0.99
