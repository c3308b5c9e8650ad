/* The jump cache (virtual pc -> block) across address-space switches.
 *
 * The cache is keyed by virtual pc, so a satp write used to empty it: every
 * context switch of a guest with processes then re-entered each kernel and
 * user block through the hash table (a page walk and two cache misses per
 * block). Instead the cache of the address space the hart leaves is kept,
 * keyed by its satp, and comes back when the hart returns to it. A kept
 * copy is only as good as the mappings it was built under: sfence.vma, PMP
 * changes, a state load and a flush of the blocks drop every copy
 * (exec_jc_clear); a guest that changes page tables without sfence.vma may
 * see the older mapping, as the privileged spec allows. The copies are host
 * caches: nothing of them is saved or migrated. */
#include "target/riscv/tb.h"

#include <stdlib.h>
#include <string.h>

#define JC_MASK ((1u << TB_JC_BITS) - 1)

struct JCSpace {
    bool valid;
    uint64_t satp;
    uint64_t gen;                /* the block arena's generation it refers to */
    uint64_t left;               /* jc_clock when the hart left it */
    JCEntry jc[1 << TB_JC_BITS];
};

static void jc_empty(JCEntry *jc)
{
    for (unsigned i = 0; i <= JC_MASK; i++) {
        jc[i].pc = 1;
        jc[i].tb = NULL;
    }
}

void exec_jc_clear(TBCache *c)
{
    jc_empty(c->jc);
    for (unsigned i = 0; c->jc_spaces && i < TB_JC_SPACES; i++) {
        c->jc_spaces[i].valid = false;
    }
}

/* The copy kept for satp, or NULL. */
static JCSpace *jc_find(TBCache *c, uint64_t satp)
{
    for (unsigned i = 0; i < TB_JC_SPACES; i++) {
        JCSpace *s = &c->jc_spaces[i];
        if (s->valid && s->satp == satp && s->gen == c->gen) {
            return s;
        }
    }
    return NULL;
}

/* Where to keep satp's copy: its old place, a free one, or the one left
 * longest ago. */
static JCSpace *jc_slot(TBCache *c, uint64_t satp)
{
    JCSpace *s = jc_find(c, satp), *victim = &c->jc_spaces[0];
    for (unsigned i = 0; !s && i < TB_JC_SPACES; i++) {
        JCSpace *t = &c->jc_spaces[i];
        if (!t->valid || t->gen != c->gen) {
            return t;
        }
        if (t->left < victim->left) {
            victim = t;
        }
    }
    return s ? s : victim;
}

void exec_jc_switch(TBCache *c, uint64_t satp)
{
    if (satp == c->jc_satp) {
        return;
    }
    if (!c->jc_spaces) {
        c->jc_spaces = calloc(TB_JC_SPACES, sizeof(JCSpace));
    }
    if (c->jc_spaces) {
        JCSpace *keep = jc_slot(c, c->jc_satp);
        memcpy(keep->jc, c->jc, sizeof(c->jc));
        keep->valid = true;
        keep->satp = c->jc_satp;
        keep->gen = c->gen;
        keep->left = ++c->jc_clock;
    }
    JCSpace *back = c->jc_spaces ? jc_find(c, satp) : NULL;
    if (back) {
        memcpy(c->jc, back->jc, sizeof(c->jc));
    } else {
        jc_empty(c->jc);
    }
    c->jc_satp = satp;
}
