/* libFuzzer target for the monitor's input path: line framing, command
 * lookup, argument parsing, expressions, /FMT, strings and completion, on a
 * monitor without a machine (handlers that need one fail cleanly, so
 * nothing touches files or guest state). Run by tests/integration/fuzz-monitor.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu/loop.h"
#include "monitor/monitor-int.h"
#include "monitor/monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ignore(void *opaque, const char *candidate)
{
    (void)opaque;
    (void)candidate;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A fresh hub and monitor and defaults for every input, so a finding
     * reproduces from its saved input alone: a reused monitor once kept the
     * input of a "quit" run after run and grew it to 2 GiB. */
    Loop loop;
    loop_init(&loop, NULL, NULL);
    MonitorHub *hub = monitor_hub_new(&loop);
    Monitor *mon = monitor_new_buffer(hub);
    monitor_input(mon, (const char *)data, size);
    monitor_input(mon, "\n", 1);
    /* Completion sees the same bytes as a partly typed line. */
    char *line = strndup((const char *)data, size);
    char *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
    }
    mon_complete(hub, line, strlen(line), ignore, NULL);
    free(line);
    monitor_hub_free(hub);
    return 0;
}
