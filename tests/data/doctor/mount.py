"""Stand-in for mount in doctor's tests: appends its argv to $STANDIN_LOG; for
`mount -t cgroup -o C cgroup DIR` does what the kernel does on a cgroup v1 hybrid host: C
leaves the cgroup2 hierarchy (DIR/../unified/cgroup.controllers)."""

import os
import sys

args = sys.argv[1:]
with open(os.environ["STANDIN_LOG"], "a") as log:
    log.write(f"mount {' '.join(args)}\n")
if len(args) != 6 or args[:2] != ["-t", "cgroup"] or args[2] != "-o" or args[4] != "cgroup":
    sys.exit("stand-in mount: only `mount -t cgroup -o CONTROLLER cgroup DIR`")
controllers = os.path.join(os.path.dirname(args[5]), "unified", "cgroup.controllers")
with open(controllers) as f:
    left = [c for c in f.read().split() if c != args[3]]
with open(controllers, "w") as f:
    f.write(" ".join(left) + ("\n" if left else ""))
