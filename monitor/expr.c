/* Integer expressions for monitor arguments (print, x, memsave, ...): a small
 * recursive-descent parser over C's operators with 64-bit wrap-around. Depth
 * is capped so "((((..." cannot exhaust the stack. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "monitor/hmp.h"

#define EXPR_MAX_DEPTH 64

typedef struct Expr {
    const char *p;
    const MonParseCtx *ctx;
    Error *err;
    int depth;
} Expr;

static bool expr_or(Expr *e, uint64_t *v);

static void ws(Expr *e)
{
    while (*e->p == ' ' || *e->p == '\t') {
        e->p++;
    }
}

static bool fail(Expr *e, const char *msg)
{
    error_setf(e->err, "%s", msg);
    return false;
}

static bool number(Expr *e, uint64_t *v)
{
    const char *p = e->p;
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B') && (p[2] == '0' || p[2] == '1')) {
        base = 2;
        p += 2;
    } else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
        base = 8;
        p += 2;
    }
    uint64_t n = 0;
    int digits = 0;
    for (;; p++) {
        int c = tolower((unsigned char)*p);
        unsigned d;
        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else {
            break;
        }
        if (d >= base) {
            break;
        }
        if (n > (UINT64_MAX - d) / base) {
            return fail(e, "number out of range (more than 64 bits)");
        }
        n = n * base + d;
        digits++;
    }
    if (!digits) {
        return fail(e, "invalid number");
    }
    if (isalnum((unsigned char)*p) || *p == '_') {
        error_setf(e->err, "invalid character '%c' in number", *p);
        return false;
    }
    e->p = p;
    *v = n;
    return true;
}

static bool primary(Expr *e, uint64_t *v)
{
    ws(e);
    char c = *e->p;
    if (c == '(') {
        e->p++;
        if (!expr_or(e, v)) {
            return false;
        }
        ws(e);
        if (*e->p != ')') {
            return fail(e, "')' expected");
        }
        e->p++;
        return true;
    }
    if (c == '$') {
        const char *start = ++e->p;
        while (isalnum((unsigned char)*e->p) || *e->p == '_' || *e->p == '.') {
            e->p++;
        }
        size_t len = (size_t)(e->p - start);
        if (!len) {
            return fail(e, "register name expected after '$'");
        }
        char name[32];
        if (len >= sizeof(name)) {
            return fail(e, "register name too long");
        }
        memcpy(name, start, len);
        name[len] = '\0';
        if (!e->ctx || !e->ctx->reg_lookup || !e->ctx->reg_lookup(e->ctx->reg_opaque, name, v)) {
            error_setf(e->err, "unknown register '$%s'", name);
            return false;
        }
        return true;
    }
    if (c == '\'') {
        /* A character constant: 'a' */
        if (e->p[1] && e->p[1] != '\'' && e->p[2] == '\'') {
            *v = (unsigned char)e->p[1];
            e->p += 3;
            return true;
        }
        return fail(e, "invalid character constant");
    }
    if (isdigit((unsigned char)c)) {
        return number(e, v);
    }
    if (!c) {
        return fail(e, "unexpected end of expression");
    }
    error_setf(e->err, "invalid character '%c' in expression", c);
    return false;
}

static bool unary(Expr *e, uint64_t *v)
{
    ws(e);
    char c = *e->p;
    if (c == '-' || c == '+' || c == '~' || c == '!') {
        if (++e->depth > EXPR_MAX_DEPTH) {
            return fail(e, "expression nested too deeply");
        }
        e->p++;
        if (!unary(e, v)) {
            return false;
        }
        e->depth--;
        if (c == '-') {
            *v = -*v;
        } else if (c == '~') {
            *v = ~*v;
        } else if (c == '!') {
            *v = !*v;
        }
        return true;
    }
    if (c == '(') {
        if (++e->depth > EXPR_MAX_DEPTH) {
            return fail(e, "expression nested too deeply");
        }
        bool ok = primary(e, v);
        e->depth--;
        return ok;
    }
    return primary(e, v);
}

static bool mul(Expr *e, uint64_t *v)
{
    if (!unary(e, v)) {
        return false;
    }
    for (;;) {
        ws(e);
        char op = *e->p;
        if (op != '*' && op != '/' && op != '%') {
            return true;
        }
        e->p++;
        uint64_t r;
        if (!unary(e, &r)) {
            return false;
        }
        if (op == '*') {
            *v *= r;
        } else if (r == 0) {
            return fail(e, op == '/' ? "division by zero" : "modulo by zero");
        } else if ((int64_t)*v == INT64_MIN && (int64_t)r == -1) {
            *v = op == '/' ? *v : 0;   /* the one signed overflow: wrap */
        } else if (op == '/') {
            *v = (uint64_t)((int64_t)*v / (int64_t)r);
        } else {
            *v = (uint64_t)((int64_t)*v % (int64_t)r);
        }
    }
}

static bool add(Expr *e, uint64_t *v)
{
    if (!mul(e, v)) {
        return false;
    }
    for (;;) {
        ws(e);
        char op = *e->p;
        if (op != '+' && op != '-') {
            return true;
        }
        e->p++;
        uint64_t r;
        if (!mul(e, &r)) {
            return false;
        }
        *v = op == '+' ? *v + r : *v - r;
    }
}

static bool shift(Expr *e, uint64_t *v)
{
    if (!add(e, v)) {
        return false;
    }
    for (;;) {
        ws(e);
        bool left = e->p[0] == '<' && e->p[1] == '<';
        bool right = e->p[0] == '>' && e->p[1] == '>';
        if (!left && !right) {
            return true;
        }
        e->p += 2;
        uint64_t r;
        if (!add(e, &r)) {
            return false;
        }
        if (r >= 64) {
            *v = 0;
        } else {
            *v = left ? *v << r : *v >> r;
        }
    }
}

#define BINOP(fn, next, ch, expr)                          \
    static bool fn(Expr *e, uint64_t *v)                   \
    {                                                      \
        if (!next(e, v)) {                                 \
            return false;                                  \
        }                                                  \
        for (;;) {                                         \
            ws(e);                                         \
            if (*e->p != ch) {                             \
                return true;                               \
            }                                              \
            e->p++;                                        \
            uint64_t r;                                    \
            if (!next(e, &r)) {                            \
                return false;                              \
            }                                              \
            *v = expr;                                     \
        }                                                  \
    }

BINOP(expr_and, shift, '&', *v & r)
BINOP(expr_xor, expr_and, '^', *v ^ r)
BINOP(expr_or, expr_xor, '|', *v | r)

bool mon_eval_expr(const char **p, const MonParseCtx *ctx, int64_t *out, Error *err)
{
    Expr e = { *p, ctx, err, 0 };
    uint64_t v;
    if (!expr_or(&e, &v)) {
        return false;
    }
    /* Give back trailing blanks: they separate this argument from the next. */
    while (e.p > *p && (e.p[-1] == ' ' || e.p[-1] == '\t')) {
        e.p--;
    }
    *p = e.p;
    *out = (int64_t)v;
    return true;
}
