/* The monitor's argument parser and expression evaluator, alone: specs,
 * strings and escapes, /FMT, sizes, integers, and every error path. */
#include "monitor/hmp.h"
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <string.h>

static Error err;
/* A fresh Error for each call: the first message set is the one kept. */
#define ERR (error_init(&err), &err)

static bool regs(void *opaque, const char *name, uint64_t *val)
{
    if (!strcmp(name, "pc")) {
        *val = 0x80001000;
        return true;
    }
    if (!strcmp(name, "a0")) {
        *val = 42;
        return true;
    }
    return false;
}

static const MonParseCtx ctx = { regs, NULL, { 0, 'x', 4 } };

static bool eval(const char *s, int64_t *v)
{
    const char *p = s;
    return mon_eval_expr(&p, &ctx, v, ERR) && *p == '\0';
}

static void test_expr_values(void)
{
    static const struct { const char *in; int64_t out; } cases[] = {
        { "1+2*3", 7 }, { "(1+2)*3", 9 }, { "0x10", 16 }, { "0b101", 5 }, { "0o17", 15 },
        { "'a'", 97 }, { "-1", -1 }, { "~0", -1 }, { "!5", 0 }, { "1<<40", 1LL << 40 },
        { "7/2", 3 }, { "-7/2", -3 }, { "7%3", 1 }, { "6&3|8^1", 11 }, { "$pc+4", 0x80001004 },
        { "$a0 * 2", 84 }, { "0xffffffffffffffff", -1 }, { "18446744073709551615", -1 },
        { "1<<64", 0 }, { " 3", 3 }, { "((((1))))", 1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = 0;
        bool ok = eval(cases[i].in, &v);
        CU_ASSERT(ok);
        CU_ASSERT_EQUAL(v, cases[i].out);
        if (!ok || v != cases[i].out) {
            fprintf(stderr, "expr '%s': ok=%d v=%lld err=%s\n", cases[i].in, ok, (long long)v, err.msg);
        }
    }
    int64_t v;
    const char *p = "-9223372036854775807-1";
    CU_ASSERT(mon_eval_expr(&p, &ctx, &v, ERR));
    CU_ASSERT_EQUAL(v, INT64_MIN);
    p = "(-9223372036854775807-1)/-1";       /* the one signed overflow wraps */
    CU_ASSERT(mon_eval_expr(&p, &ctx, &v, ERR));
}

static void expect_expr_error(const char *in, const char *msg)
{
    int64_t v;
    const char *p = in;
    bool ok = mon_eval_expr(&p, &ctx, &v, ERR);
    CU_ASSERT_FALSE(ok);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, msg));
    if (ok || !strstr(err.msg, msg)) {
        fprintf(stderr, "expr '%s': want error '%s', got '%s'\n", in, msg, ok ? "(ok)" : err.msg);
    }
}

static void test_expr_errors(void)
{
    expect_expr_error("18446744073709551616", "number out of range");
    expect_expr_error("0x10000000000000000", "number out of range");
    expect_expr_error("1/0", "division by zero");
    expect_expr_error("1%0", "modulo by zero");
    expect_expr_error("$foo", "unknown register '$foo'");
    expect_expr_error("$", "register name expected");
    expect_expr_error("(1+2", "')' expected");
    expect_expr_error("", "unexpected end");
    expect_expr_error("1+", "unexpected end");
    expect_expr_error("12abc", "invalid character 'a' in number");
    expect_expr_error("@", "invalid character '@'");
    expect_expr_error("'ab'", "invalid character constant");
    /* Deep nesting is refused, not a stack overflow. */
    char deep[20001];
    memset(deep, '(', 10000);
    memset(deep + 10000, ')', 10000);
    deep[20000] = '\0';
    expect_expr_error(deep, "nested too deeply");
    memset(deep, '-', 20000);
    expect_expr_error(deep, "nested too deeply");
}

static void test_strings(void)
{
    static const struct { const char *in, *out, *rest; } cases[] = {
        { "word rest", "word", " rest" },
        { "\"a b\" x", "a b", " x" },
        { "'a\\nb'", "a\\nb", "" },
        { "\"a\\n\\t\\\\\\\"\\x41\"", "a\n\t\\\"A", "" },
        { "\"\\d+\"", "\\d+", "" },
        { "  lead", "lead", "" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *p = cases[i].in;
        char *s = mon_parse_string(&p, ERR);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        CU_ASSERT_STRING_EQUAL(s, cases[i].out);
        CU_ASSERT_STRING_EQUAL(p, cases[i].rest);
        free(s);
    }
    static const struct { const char *in, *msg; } bad[] = {
        { "\"abc", "unterminated string (missing \")" },
        { "'abc", "unterminated string (missing ')" },
        { "\"abc\\", "unterminated string" },
        { "\"\\xZ1\"", "bad escape" },
        { "\"a\"b", "junk after closing quote" },
        { "\"a\\x00\"", "strings cannot hold NUL bytes" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *p = bad[i].in;
        char *s = mon_parse_string(&p, ERR);
        CU_ASSERT_PTR_NULL(s);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[i].msg));
        free(s);
    }
}

static void test_format(void)
{
    MonFormat f, last = { 0, 'd', 8 };
    const char *p = "10xb";
    CU_ASSERT(mon_parse_format(&p, &f, &last, ERR));
    CU_ASSERT(f.count == 10 && f.format == 'x' && f.size == 1);
    p = "";
    CU_ASSERT(mon_parse_format(&p, &f, &last, ERR));
    CU_ASSERT(f.count == 1 && f.format == 'd' && f.size == 8);   /* remembered */
    p = "gx";
    CU_ASSERT(mon_parse_format(&p, &f, &last, ERR));
    CU_ASSERT(f.format == 'x' && f.size == 8);
    p = "3i";
    CU_ASSERT(mon_parse_format(&p, &f, &last, ERR));
    CU_ASSERT(f.count == 3 && f.format == 'i');
    p = "s";
    CU_ASSERT(mon_parse_format(&p, &f, &last, ERR));
    CU_ASSERT(f.size == 1);
    p = "3q";
    CU_ASSERT_FALSE(mon_parse_format(&p, &f, &last, ERR));
    CU_ASSERT_STRING_EQUAL(err.msg, "invalid char in format: 'q'");
    p = "xx";
    CU_ASSERT_FALSE(mon_parse_format(&p, &f, &last, ERR));
    p = "99999999999999999999x";
    CU_ASSERT_FALSE(mon_parse_format(&p, &f, &last, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "count too large"));
}

static void test_spec(void)
{
    MonArgSpec s[MON_MAX_ARGS];
    int n;
    CU_ASSERT(mon_spec_parse("/fmt -v name:s n:i? sz:z", s, &n, ERR));
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT(s[0].type == MON_ARG_FMT && s[1].type == MON_ARG_FLAG && s[1].flag == 'v');
    CU_ASSERT(s[2].type == MON_ARG_STR && !s[2].optional);
    CU_ASSERT(s[3].type == MON_ARG_INT && s[3].optional);
    CU_ASSERT_FALSE(mon_spec_parse("x:q", s, &n, ERR));
    CU_ASSERT_FALSE(mon_spec_parse("x", s, &n, ERR));
    CU_ASSERT_FALSE(mon_spec_parse("a:s /fmt", s, &n, ERR));
    CU_ASSERT_FALSE(mon_spec_parse("a:s?? ", s, &n, ERR));
    CU_ASSERT_FALSE(mon_spec_parse("a:s b:s c:s d:s e:s f:s g:s h:s i:s", s, &n, ERR));
}

static const MonCmd cmd_all = { "t", "/fmt -f name:s n:i? sz:z? b:b? rest:S?", "", "", NULL, NULL, 0, NULL };

static bool parse(const char *line, MonArgs *a)
{
    return mon_parse_args(&cmd_all, line, &ctx, a, ERR);
}

static void test_args(void)
{
    MonArgs a;
    CU_ASSERT_FATAL(parse("/4xg -f \"hello world\" 1+1 4K on the rest  ", &a));
    CU_ASSERT(a.fmt.count == 4 && a.fmt.format == 'x' && a.fmt.size == 8);
    CU_ASSERT(mon_arg_flag(&a, 'f'));
    CU_ASSERT_STRING_EQUAL(mon_arg_str(&a, "name", ""), "hello world");
    CU_ASSERT_EQUAL(mon_arg_int(&a, "n", 0), 2);
    CU_ASSERT_EQUAL(mon_arg_int(&a, "sz", 0), 4096);
    CU_ASSERT_EQUAL(mon_arg_int(&a, "b", 0), 1);
    CU_ASSERT_STRING_EQUAL(mon_arg_str(&a, "rest", ""), "the rest");
    mon_args_free(&a);

    CU_ASSERT_FATAL(parse(" name", &a));
    CU_ASSERT_FALSE(mon_arg_flag(&a, 'f'));
    CU_ASSERT_FALSE(mon_arg_present(&a, "n"));
    CU_ASSERT_EQUAL(mon_arg_int(&a, "n", 77), 77);
    CU_ASSERT(a.fmt.count == 1 && a.fmt.format == 'x' && a.fmt.size == 4);
    mon_args_free(&a);

    CU_ASSERT_FATAL(parse(" x 0 1G", &a));
    CU_ASSERT_EQUAL(mon_arg_int(&a, "sz", 0), 1LL << 30);
    mon_args_free(&a);

    static const struct { const char *in, *msg; } bad[] = {
        { "", "missing argument 'name'" },
        { " x 1 2 maybe", "'b' expects on or off" },
        { " x 1 2Q", "invalid character 'Q'" },
        { " x 1 2+x", "invalid character 'x'" },
        { " x 1 (0-5)", "size must not be negative" },
        { " x 1 99999999999T", "size out of range" },
        { " x 1x", "invalid character 'x' in number" },
        { " x 1)", "invalid character ')' in expression" },
        { " \"x", "unterminated string" },
        { "/3q x", "invalid char in format" },
        { " x 99999999999999999999", "number out of range" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool ok = parse(bad[i].in, &a);
        CU_ASSERT_FALSE(ok);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, bad[i].msg));
        if (ok || !strstr(err.msg, bad[i].msg)) {
            fprintf(stderr, "args '%s': want '%s', got '%s'\n", bad[i].in, bad[i].msg, ok ? "(ok)" : err.msg);
        }
        mon_args_free(&a);
    }
    static const MonCmd cmd_one = { "o", "n:i", "", "", NULL, NULL, 0, NULL };
    CU_ASSERT_FALSE(mon_parse_args(&cmd_one, " 1 2", &ctx, &a, ERR));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "too many arguments: '2'"));
    mon_args_free(&a);
}

static void test_split_name(void)
{
    char name[8];
    const char *rest = mon_split_name("  x/4x 0x10", name, sizeof(name));
    CU_ASSERT_STRING_EQUAL(name, "x");
    CU_ASSERT_STRING_EQUAL(rest, "/4x 0x10");
    rest = mon_split_name("averyveryverylongname arg", name, sizeof(name));
    CU_ASSERT_STRING_EQUAL(name, "averyve");      /* truncated, never overflowed */
    CU_ASSERT_STRING_EQUAL(rest, " arg");
}

static const UnitTest tests[] = {
    { "expression values", test_expr_values },
    { "expression errors", test_expr_errors },
    { "strings and escapes", test_strings },
    { "/FMT", test_format },
    { "argument specs", test_spec },
    { "arguments by spec", test_args },
    { "command name split", test_split_name },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("monitor-parse", tests);
}
