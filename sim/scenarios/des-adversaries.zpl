#   des-adversaries: 5 % of the validators vote down whatever they see,
#   5 % vote up, 5 % never vote nor answer pings, 2 % sign both verdicts.
#   No healthy pod may be reported down, the 20 real outages must be
#   found, and equivocators are caught with both signed votes as proof.
scenario
    name = des-adversaries
    seed = 17
    duration = 20m
    validators = 1000
    pods = 2000
    providers = 50
network
    latency = 20ms
    jitter = 20ms
    loss = 0.01
adversaries
    always_down = 50
    always_up = 50
    silent = 50
    equivocate = 20
fault
    at = 1m
    kind = app_down
    pod = 0
    duration = 3m
    targets = 20
    spread = 10m
expect
    false_incidents = 0
    incidents = 20
