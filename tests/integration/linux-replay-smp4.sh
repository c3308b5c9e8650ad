#!/bin/bash
# linux-replay.sh again with the guest on 4 harts (-smp 4).
LINUX_SMP=4 LINUX_TEST=linux-replay-smp4 exec bash "$(dirname "$0")/linux-replay.sh" "$@"
