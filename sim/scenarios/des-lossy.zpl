#   des-lossy: one validator (index 0) loses half of what it receives,
#   so half its heartbeats time out (a round trip), while the rest of the
#   network sees 5 % message and 10 % heartbeat loss.  Its own loss
#   estimate makes it abstain where the others vote down: it never votes
#   down (lossy_votes_down = 0) and abstains in real outages
#   (lossy_abstains >= 1), and nobody is falsely reported.
scenario
    name = des-lossy
    seed = 22
    duration = 10m
    validators = 40
    pods = 200
    providers = 10
network
    latency = 20ms
    jitter = 30ms
    loss = 0.05
    probe_loss = 0.10
    lossy_validators = 1
    lossy_loss = 0.5
    lossy_direction = in
fault
    at = 30s
    kind = app_down
    pod = 0
    duration = 2m
    targets = 15
    spread = 7m
expect
    false_incidents = 0
    incidents = 15
    lossy_votes_down = 0
    lossy_abstains = 1
