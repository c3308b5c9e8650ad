#!/bin/bash
# linux.sh again with the guest on 4 harts (-smp 4).
LINUX_SMP=4 LINUX_TEST=linux-smp4 exec bash "$(dirname "$0")/linux.sh" "$@"
