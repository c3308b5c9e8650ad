#!/bin/bash
# linux-snapshot.sh again with the guest on 4 harts (-smp 4).
LINUX_SMP=4 LINUX_TEST=linux-snapshot-smp4 exec bash "$(dirname "$0")/linux-snapshot.sh" "$@"
