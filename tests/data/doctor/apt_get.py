"""Stand-in for apt-get in doctor's tests: appends its argv (and DEBIAN_FRONTEND) to
$STANDIN_LOG; `install` puts the commands each package provides (the JSON map in
$STANDIN_PACKAGES: package -> {command: file}) into $STANDIN_BIN, as installing it would."""

import json
import os
import sys

args = sys.argv[1:]
with open(os.environ["STANDIN_LOG"], "a") as log:
    log.write(f"apt-get {' '.join(args)} (DEBIAN_FRONTEND={os.environ.get('DEBIAN_FRONTEND', '')})\n")
if args[:1] == ["install"]:
    with open(os.environ["STANDIN_PACKAGES"]) as f:
        packages = json.load(f)
    for name in (a for a in args[1:] if not a.startswith("-")):
        if name not in packages:
            sys.exit(f"E: Unable to locate package {name}")
        for command, target in packages[name].items():
            link = os.path.join(os.environ["STANDIN_BIN"], command)
            if not os.path.lexists(link):
                os.symlink(target, link)
