"""Stand-in for sudo in doctor's tests: appends its argv to $STANDIN_LOG, then runs the
command (after -n and --) as the same user."""

import os
import sys

args = sys.argv[1:]
with open(os.environ["STANDIN_LOG"], "a") as log:
    log.write(f"sudo {' '.join(args)}\n")
while args and args[0] in ("-n", "--"):
    args.pop(0)
os.execvp(args[0], args)
