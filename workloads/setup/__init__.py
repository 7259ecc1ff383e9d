"""`wasmscope doctor`: what this machine has of what wasmscope runs, and the fixes for what it lacks.

- `host.py`: the system paths doctor reads and writes (overridable for tests), the local default
  Docker engine, and whether commands run as root, through sudo, or not at all.
- `runner.py`: runs each command after printing it, as root or through sudo.
- `configs.py`: merging an entry into daemon.json / containers.conf, keeping everything else.
- `steps.py`: the fixes (apt packages, the tools dir, the engine's runtimes entry, the hugetlb
  mount, Podman's ulimits, starting dockerd, Python extras), each idempotent.
- `prerequisites.py`: the declarative table — name, check, fix steps — of what runtimes need.
- `doctor.py`: the report for a profile (runtime rows from the adapters' own availability,
  prerequisite rows from the table), the plan, carrying it out.

Nothing here imports Textual: the CLI and the app's set-up screen both drive it.
"""
