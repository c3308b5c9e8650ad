/* doc/monitor.md carries the reference generated from the command table;
 * this test fails when they differ. `test-monitor-doc --update` rewrites the
 * generated part in the source tree. */
#include "monitor/hmp.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BEGIN "<!-- BEGIN GENERATED REFERENCE (tests/unit/test-monitor-doc --update) -->\n"
#define END "<!-- END GENERATED REFERENCE -->\n"

static const char *doc_path(void)
{
    return AMBER_SRCDIR "/doc/monitor.md";
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* The file with the generated part replaced by the current table's. */
static char *regenerate(const char *text)
{
    const char *b = strstr(text, BEGIN);
    const char *e = b ? strstr(b, END) : NULL;
    if (!e) {
        return NULL;
    }
    char *ref;
    size_t len;
    mon_doc_write_reference(&ref, &len);
    size_t head = (size_t)(b - text) + strlen(BEGIN);
    size_t n = head + len + strlen(e) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)head, text, ref, e);
    free(ref);
    return out;
}

static void test_doc_matches_table(void)
{
    char *text = read_file(doc_path());
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    char *want = regenerate(text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    bool same = strcmp(text, want) == 0;
    if (!same) {
        fprintf(stderr, "doc/monitor.md is out of date with monitor/commands.def: "
                        "run tests/unit/test-monitor-doc --update\n");
    }
    CU_ASSERT(same);
    free(text);
    free(want);
}

static void test_doc_names_every_command(void)
{
    char *text = read_file(doc_path());
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    for (const MonCmd *c = hmp_cmds; c->name; c++) {
        char head[96];
        snprintf(head, sizeof(head), "### `%.*s`", (int)strcspn(c->name, "|"), c->name);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, head));
        CU_ASSERT(c->doc && strlen(c->doc) > 10);
    }
    for (const MonCmd *c = hmp_info_cmds; c->name; c++) {
        char head[96];
        snprintf(head, sizeof(head), "### `info %.*s`", (int)strcspn(c->name, "|"), c->name);
        CU_ASSERT_PTR_NOT_NULL(strstr(text, head));
    }
    free(text);
}

static const UnitTest tests[] = {
    { "doc matches the table", test_doc_matches_table },
    { "doc names every command", test_doc_names_every_command },
    { NULL, NULL },
};

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--update")) {
        char *text = read_file(doc_path());
        char *out = text ? regenerate(text) : NULL;
        FILE *f = out ? fopen(doc_path(), "wb") : NULL;
        if (!f || fputs(out, f) < 0 || fclose(f) != 0) {
            fprintf(stderr, "cannot update %s (markers missing?)\n", doc_path());
            return 1;
        }
        printf("updated %s\n", doc_path());
        return 0;
    }
    return unit_run("monitor-doc", tests);
}
