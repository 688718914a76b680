#!/usr/bin/env python3
"""Times short commands interleaved, for scripts/bench: each round starts every command once, in
turn, so a slow spell of the machine falls on all of them alike (hyperfine runs one command's runs
back to back, and on a noisy machine two commands' medians can then differ by a third from one
run to the next). Each command is started with posix_spawn, its output to /dev/null, and must
exit 0. Writes {name: [seconds, ...]} as JSON.

    interleave.py ROUNDS OUT.json NAME=COMMAND...
"""
import json
import os
import shlex
import sys
import time

rounds, out = int(sys.argv[1]), sys.argv[2]
commands = []
for arg in sys.argv[3:]:
    name, command = arg.split("=", 1)
    commands.append((name, shlex.split(command)))
null = os.open(os.devnull, os.O_WRONLY)
actions = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)]
times = {name: [] for name, _ in commands}
warmup = 10
for i in range(warmup + rounds):
    for name, argv in commands:
        start = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
        _, status = os.waitpid(pid, 0)
        took = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"interleave.py: {name} exited with {os.waitstatus_to_exitcode(status)}")
        if i >= warmup:
            times[name].append(took)
with open(out, "w") as f:
    json.dump(times, f)
