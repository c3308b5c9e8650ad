/* The jump cache across satp switches (target/riscv/exec-jc.c): the cache
 * of the address space a hart leaves comes back when it returns; a flush of
 * mappings (exec_jc_clear) or of the blocks (a new arena generation) drops
 * every kept copy; with more address spaces than copies, the one left
 * longest ago goes. */
#include <stdlib.h>

#include "target/riscv/tb.h"
#include "tests/unit/unit.h"

static TB tbs[16];

static TBCache *jc_new(void)
{
    TBCache *c = calloc(1, sizeof(*c));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    exec_jc_clear(c);
    return c;
}

static void jc_free(TBCache *c)
{
    free(c->jc_spaces);
    free(c);
}

static void put(TBCache *c, unsigned i, uint64_t pc, TB *tb)
{
    c->jc[i].pc = pc;
    c->jc[i].tb = tb;
}

static void test_switch_back(void)
{
    TBCache *c = jc_new();
    c->jc_satp = 0x100;
    put(c, 5, 0x1000, &tbs[0]);
    exec_jc_switch(c, 0x200);
    CU_ASSERT_EQUAL(c->jc_satp, 0x200);
    CU_ASSERT_EQUAL(c->jc[5].pc, 1);              /* a new space starts empty */
    CU_ASSERT_PTR_NULL(c->jc[5].tb);
    put(c, 5, 0x2000, &tbs[1]);
    exec_jc_switch(c, 0x100);
    CU_ASSERT_EQUAL(c->jc[5].pc, 0x1000);         /* the old one is back */
    CU_ASSERT_PTR_EQUAL(c->jc[5].tb, &tbs[0]);
    exec_jc_switch(c, 0x200);
    CU_ASSERT_PTR_EQUAL(c->jc[5].tb, &tbs[1]);
    exec_jc_switch(c, 0x200);                     /* same satp: nothing moves */
    CU_ASSERT_PTR_EQUAL(c->jc[5].tb, &tbs[1]);
    jc_free(c);
}

static void test_clear_and_generation(void)
{
    TBCache *c = jc_new();
    c->jc_satp = 0x100;
    put(c, 7, 0x1000, &tbs[0]);
    exec_jc_switch(c, 0x200);
    exec_jc_clear(c);                             /* sfence.vma, PMP, a load */
    exec_jc_switch(c, 0x100);
    CU_ASSERT_PTR_NULL(c->jc[7].tb);
    put(c, 7, 0x1000, &tbs[2]);
    exec_jc_switch(c, 0x200);
    c->gen++;                                     /* the block arena was reset */
    exec_jc_switch(c, 0x100);
    CU_ASSERT_PTR_NULL(c->jc[7].tb);
    jc_free(c);
}

static void test_replacement(void)
{
    TBCache *c = jc_new();
    c->jc_satp = 0x1000;
    /* TB_JC_SPACES + 1 address spaces left in turn, each with its entry */
    for (unsigned s = 0; s <= TB_JC_SPACES; s++) {
        if (s) {
            exec_jc_switch(c, 0x1000 + s);
        }
        put(c, 3, 0x4000 + s, &tbs[s]);
    }
    exec_jc_switch(c, 0x9999);
    /* the last one left is kept (its return keeps 0x9999 in the place of
     * the oldest copy left, 0x1001) ... */
    exec_jc_switch(c, 0x1000 + TB_JC_SPACES);
    CU_ASSERT_PTR_EQUAL(c->jc[3].tb, &tbs[TB_JC_SPACES]);
    /* ... the first one left made way for it */
    exec_jc_switch(c, 0x1000);
    CU_ASSERT_PTR_NULL(c->jc[3].tb);
    exec_jc_switch(c, 0x1000 + TB_JC_SPACES - 1);
    CU_ASSERT_PTR_EQUAL(c->jc[3].tb, &tbs[TB_JC_SPACES - 1]);
    exec_jc_switch(c, 0x9999);
    CU_ASSERT_PTR_NULL(c->jc[3].tb);              /* kept, but with no entry 3 */
    CU_ASSERT_EQUAL(c->jc[3].pc, 1);
    jc_free(c);
}

static const UnitTest tests[] = {
    { "a left address space's jump cache comes back", test_switch_back },
    { "clear and a new generation drop the kept copies", test_clear_and_generation },
    { "the space left longest ago is replaced", test_replacement },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("exec-jc", tests);
}
