"""What ties wasmscope to this machine: its cache and tools folders, the external tools it
installs, loopback helpers, and the ownership marks that let a later run clean up after a dead one."""
