/* The command tables (expanded from commands.def), lookup and help. */
#include <stdio.h>
#include <string.h>

#include "monitor/hmp.h"

const MonCmd hmp_info_cmds[] = {
#define INFO_CMD(names, args, params, help, handler, flags, doc) \
    { names, args, params, help, handler, NULL, flags, doc },
#include "monitor/commands.def"
    { NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
};

const MonCmd hmp_cmds[] = {
#define HMP_CMD(names, args, params, help, handler, sub, flags, doc) \
    { names, args, params, help, handler, sub, flags, doc },
#include "monitor/commands.def"
    { NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
};

bool mon_name_matches(const char *names, const char *name)
{
    size_t len = strlen(name);
    const char *p = names;
    while (*p) {
        size_t n = strcspn(p, "|");
        if (n == len && len && memcmp(p, name, len) == 0) {
            return true;
        }
        p += n;
        if (*p == '|') {
            p++;
        }
    }
    return false;
}

const MonCmd *mon_find_cmd(const MonCmd *table, const char *name)
{
    for (const MonCmd *c = table; c->name; c++) {
        if (mon_name_matches(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

static void print_one(Monitor *mon, const MonCmd *c, const char *prefix)
{
    monitor_printf(mon, "%s%s %s -- %s\n", prefix, c->name, c->params, c->help);
}

void mon_print_usage(Monitor *mon, const MonCmd *cmd, const char *prefix)
{
    char main_name[64];
    size_t n = strcspn(cmd->name, "|");
    snprintf(main_name, sizeof(main_name), "%.*s", (int)n, cmd->name);
    monitor_printf(mon, "Usage: %s%s%s%s\n", prefix, main_name,
                   cmd->params[0] && cmd->params[0] != '/' ? " " : "", cmd->params);
}

void mon_print_help(Monitor *mon, const MonCmd *table, const char *prefix)
{
    for (const MonCmd *c = table; c->name; c++) {
        print_one(mon, c, prefix);
    }
}

void hmp_help(Monitor *mon, const MonArgs *a)
{
    const char *name = mon_arg_str(a, "name", NULL);
    const char *sub = mon_arg_str(a, "sub", NULL);
    if (!name) {
        mon_print_help(mon, hmp_cmds, "");
        return;
    }
    const MonCmd *c = mon_find_cmd(hmp_cmds, name);
    if (!c) {
        monitor_error(mon, "unknown command: '%s'", name);
        return;
    }
    if (c->sub) {
        if (sub) {
            const MonCmd *s = mon_find_cmd(c->sub, sub);
            if (!s) {
                monitor_error(mon, "unknown %s subcommand: '%s'", c->name, sub);
                return;
            }
            char prefix[64];
            snprintf(prefix, sizeof(prefix), "%s ", c->name);
            print_one(mon, s, prefix);
            return;
        }
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "%s ", c->name);
        mon_print_help(mon, c->sub, prefix);
        return;
    }
    if (sub) {
        monitor_error(mon, "'%s' has no subcommands", name);
        return;
    }
    print_one(mon, c, "");
}

void hmp_info(Monitor *mon, const MonArgs *a)
{
    /* Reached only without a subcommand: the dispatcher runs subcommands. */
    mon_print_help(mon, hmp_info_cmds, "info ");
}
