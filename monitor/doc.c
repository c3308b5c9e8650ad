/* The command reference of doc/monitor.md, generated from the table, so the
 * documentation cannot drift from what the monitor accepts (a unit test
 * compares the two; `tests/unit/test-monitor-doc --update` rewrites it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/hmp.h"

static void doc_names(FILE *f, const char *prefix, const char *names)
{
    const char *p = names;
    bool first = true;
    while (*p) {
        size_t n = strcspn(p, "|");
        fprintf(f, "%s`%s%.*s`", first ? "" : " / ", prefix, (int)n, p);
        first = false;
        p += n;
        if (*p) {
            p++;
        }
    }
}

static void doc_cmd(FILE *f, const MonCmd *c, const char *prefix)
{
    size_t n = strcspn(c->name, "|");
    fputs("### ", f);
    doc_names(f, prefix, c->name);
    fprintf(f, "\n\n    %s%.*s%s%s\n\n", prefix, (int)n, c->name,
            c->params[0] && c->params[0] != '/' ? " " : "", c->params);
    fprintf(f, "%s.\n\n", c->help);
    if (c->doc && *c->doc) {
        fprintf(f, "%s\n\n", c->doc);
    }
}

void mon_doc_write_reference(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (!f) {
        *buf = NULL;
        *len = 0;
        return;
    }
    fputs("## Command reference\n\n"
          "Generated from monitor/commands.def: every command, its parameters, what it "
          "prints and its errors. A wrong argument prints `Error: REASON` and the "
          "command's `Usage:` line.\n\n", f);
    for (const MonCmd *c = hmp_cmds; c->name; c++) {
        doc_cmd(f, c, "");
        if (c->sub) {
            for (const MonCmd *s = c->sub; s->name; s++) {
                char prefix[64];
                snprintf(prefix, sizeof(prefix), "%.*s ", (int)strcspn(c->name, "|"), c->name);
                doc_cmd(f, s, prefix);
            }
        }
    }
    fclose(f);
}
