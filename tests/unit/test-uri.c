/* util/uri.c: the one table of transport schemes, and the subsets its
 * callers take (migration URIs, sockets, monitor back ends). */
#include <string.h>

#include "tests/unit/unit.h"
#include "util/uri.h"

static void check(const char *uri, UriScheme want, const char *want_rest)
{
    const char *rest = NULL;
    CU_ASSERT_EQUAL(uri_parse(uri, &rest), want);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rest);
    CU_ASSERT_STRING_EQUAL(rest, want_rest);
}

static void test_schemes(void)
{
    check("tcp:localhost:4444", URI_TCP, "localhost:4444");
    check("tcp:[::1]:4444", URI_TCP, "[::1]:4444");
    check("unix:/tmp/a.sock", URI_UNIX, "/tmp/a.sock");
    check("telnet::5555,server", URI_TELNET, ":5555,server");
    check("exec:cat > /dev/null", URI_EXEC, "cat > /dev/null");
    check("fd:migfd", URI_FD, "migfd");
    check("file:/tmp/x", URI_FILE, "/tmp/x");
    check("tcp:", URI_TCP, "");   /* empty rest: each caller says what is missing */
    CU_ASSERT_EQUAL(uri_parse("unix:x", NULL), URI_UNIX);
}

static void test_bad_input(void)
{
    check("", URI_NONE, "");
    check("stdio", URI_NONE, "stdio");
    check("mon:stdio", URI_NONE, "mon:stdio");
    check("rdma:host:1", URI_NONE, "rdma:host:1");
    check("TCP:host:1", URI_NONE, "TCP:host:1");   /* schemes are lower case */
    check("tcp", URI_NONE, "tcp");
    check(" tcp:host:1", URI_NONE, " tcp:host:1");
    check("files:/x", URI_NONE, "files:/x");
    check("unixx:/x", URI_NONE, "unixx:/x");
}

static void test_prefix_and_sets(void)
{
    for (int s = URI_NONE + 1; s < URI__MAX; s++) {
        const char *p = uri_scheme_prefix((UriScheme)s);
        CU_ASSERT(strlen(p) > 1 && p[strlen(p) - 1] == ':');
        CU_ASSERT_EQUAL(uri_parse(p, NULL), s);   /* the table round-trips */
    }
    CU_ASSERT_STRING_EQUAL(uri_scheme_prefix(URI_NONE), "");
    CU_ASSERT_STRING_EQUAL(uri_scheme_prefix((UriScheme)99), "");
    CU_ASSERT(uri_scheme_in(URI_TCP, URI_SOCKETS));
    CU_ASSERT(uri_scheme_in(URI_UNIX, URI_SOCKETS));
    CU_ASSERT_FALSE(uri_scheme_in(URI_TELNET, URI_SOCKETS));
    CU_ASSERT_FALSE(uri_scheme_in(URI_EXEC, URI_SOCKETS));
    CU_ASSERT_FALSE(uri_scheme_in(URI_NONE, ~0u));
}

static const UnitTest tests[] = {
    { "schemes", test_schemes },
    { "bad input", test_bad_input },
    { "prefixes and sets", test_prefix_and_sets },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("uri", tests);
}
