/* Completion candidates, from the command table: command names, info
 * subcommands, and per argument type file names, snapshot tags (from the
 * hub's machine) and migration parameter names. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/hmp.h"

static void add_names(const MonCmd *table, const char *prefix, MonCompleteAdd add, void *opaque)
{
    size_t pl = strlen(prefix);
    for (const MonCmd *c = table; c->name; c++) {
        const char *p = c->name;
        while (*p) {
            size_t n = strcspn(p, "|");
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)n, p);
            if (!strncmp(name, prefix, pl)) {
                add(opaque, name);
            }
            p += n;
            if (*p) {
                p++;
            }
        }
    }
}

static void add_files(const char *prefix, MonCompleteAdd add, void *opaque)
{
    const char *slash = strrchr(prefix, '/');
    char dir[4096];
    const char *base = prefix;
    if (slash) {
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - prefix + 1), prefix);
        base = slash + 1;
    } else {
        snprintf(dir, sizeof(dir), "./");
    }
    DIR *d = opendir(dir);
    if (!d) {
        return;
    }
    size_t bl = strlen(base);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
            continue;
        }
        if (strncmp(e->d_name, base, bl) || (e->d_name[0] == '.' && base[0] != '.')) {
            continue;
        }
        char full[8192];
        snprintf(full, sizeof(full), "%s%s%s", slash ? dir : "", e->d_name,
                 e->d_type == DT_DIR ? "/" : "");
        add(opaque, full);
    }
    closedir(d);
}

/* Splits line[0..end) into words (quotes not considered: completion only
 * needs the words before the cursor). Returns the number of complete words
 * before the last one; *last points at the word being completed. */
static int split_words(const char *line, size_t end, char words[][64], int max, const char **last,
                       size_t *last_len)
{
    int n = 0;
    size_t i = 0;
    for (;;) {
        while (i < end && (line[i] == ' ' || line[i] == '\t')) {
            i++;
        }
        size_t start = i;
        while (i < end && line[i] != ' ' && line[i] != '\t') {
            i++;
        }
        if (i == end) {
            *last = line + start;
            *last_len = end - start;
            return n;
        }
        if (n < max) {
            snprintf(words[n], 64, "%.*s", (int)(i - start), line + start);
        }
        n++;
    }
}

void mon_complete(MonitorHub *hub, const char *line, size_t end, MonCompleteAdd add,
                  void *opaque)
{
    char words[MON_MAX_ARGS + 2][64];
    const char *last;
    size_t last_len;
    int n = split_words(line, end, words, MON_MAX_ARGS + 2, &last, &last_len);
    char prefix[4096];
    snprintf(prefix, sizeof(prefix), "%.*s", (int)last_len, last);
    if (n == 0) {
        add_names(hmp_cmds, prefix, add, opaque);
        return;
    }
    if (n > MON_MAX_ARGS + 1) {
        return;
    }
    char name[64];
    mon_split_name(words[0], name, sizeof(name));
    const MonCmd *cmd = mon_find_cmd(hmp_cmds, name);
    if (!cmd) {
        return;
    }
    int argi = n - 1;            /* index among the words after the name */
    if (cmd->sub) {
        if (argi == 0) {
            add_names(cmd->sub, prefix, add, opaque);
            return;
        }
        cmd = mon_find_cmd(cmd->sub, words[1]);
        if (!cmd) {
            return;
        }
        argi--;
    }
    MonArgSpec specs[MON_MAX_ARGS];
    int ns;
    if (!mon_spec_parse(cmd->args, specs, &ns, NULL)) {
        return;
    }
    /* Walk the spec: flags given as words are skipped over. */
    int w = 0;
    for (int i = 0; i < ns; i++) {
        if (specs[i].type == MON_ARG_FMT) {
            continue;
        }
        if (specs[i].type == MON_ARG_FLAG) {
            int wi = (cmd->sub ? 1 : 0) + 1 + w;
            if (w < argi && wi < n && words[wi][0] == '-') {
                w++;
            }
            continue;
        }
        if (w < argi) {
            w++;
            continue;
        }
        switch (specs[i].type) {
        case MON_ARG_CMD: add_names(hmp_cmds, prefix, add, opaque); break;
        case MON_ARG_INFO: add_names(hmp_info_cmds, prefix, add, opaque); break;
        case MON_ARG_FILE: add_files(prefix, add, opaque); break;
        case MON_ARG_TAG: hmp_complete_snapshot_tags(hub, prefix, add, opaque); break;
        case MON_ARG_PARAM: hmp_complete_params(hub, prefix, add, opaque); break;
        case MON_ARG_BOOL:
            if (!strncmp("on", prefix, strlen(prefix))) add(opaque, "on");
            if (!strncmp("off", prefix, strlen(prefix))) add(opaque, "off");
            break;
        default:
            break;
        }
        return;
    }
}
