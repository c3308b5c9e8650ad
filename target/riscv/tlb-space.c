/* The TLB across address-space switches.
 *
 * The TLB is not tagged with an ASID, so a satp write used to empty it and
 * every context switch of a guest paid a page walk (and its PMP checks) for
 * each page it touched again. Instead the TLB of the address space the hart
 * leaves is kept, keyed by satp, and comes back when the hart returns: the
 * ASID-tagged TLB of hardware, as copies. A kept copy follows everything
 * that changes the current TLB: a flush (sfence.vma of everything, PMP,
 * mstatus, watchpoints, dirty logging, a state load) drops every copy; a
 * page's sfence.vma and a page that loses its fast writes (code on it, see
 * riscv_tlb_flush_phys_write) are applied to every copy. The copies are
 * host caches: nothing of them is saved or migrated. */
#include "target/riscv/cpu-internal.h"

#include <stdlib.h>
#include <string.h>

#define TLB_SPACES 8

struct TLBSpace {
    bool valid;
    uint64_t satp;
    uint64_t left;               /* tlb_clock when the hart left it */
    TLBEntry tlb[MMU_IDX_COUNT][TLB_SIZE];
};

void tlb_space_drop_all(RISCVCPU *cpu)
{
    for (unsigned i = 0; cpu->tlb_spaces && i < TLB_SPACES; i++) {
        cpu->tlb_spaces[i].valid = false;
    }
}

static TLBSpace *tlb_space_find(RISCVCPU *cpu, uint64_t satp)
{
    for (unsigned i = 0; i < TLB_SPACES; i++) {
        if (cpu->tlb_spaces[i].valid && cpu->tlb_spaces[i].satp == satp) {
            return &cpu->tlb_spaces[i];
        }
    }
    return NULL;
}

/* Where to keep satp's copy: its old place, a free one, or the one left
 * longest ago. */
static TLBSpace *tlb_space_slot(RISCVCPU *cpu, uint64_t satp)
{
    TLBSpace *s = tlb_space_find(cpu, satp), *victim = &cpu->tlb_spaces[0];
    for (unsigned i = 0; !s && i < TLB_SPACES; i++) {
        TLBSpace *t = &cpu->tlb_spaces[i];
        if (!t->valid) {
            return t;
        }
        if (t->left < victim->left) {
            victim = t;
        }
    }
    return s ? s : victim;
}

void cpu_tlb_switch(RISCVCPU *cpu, uint64_t satp)
{
    if (satp == cpu->tlb_satp) {
        return;
    }
    if (!cpu->tlb_spaces) {
        cpu->tlb_spaces = calloc(TLB_SPACES, sizeof(TLBSpace));
    }
    TLBSpace *back = NULL;
    if (cpu->tlb_spaces) {
        TLBSpace *keep = tlb_space_slot(cpu, cpu->tlb_satp);
        memcpy(keep->tlb, cpu->tlb, sizeof(cpu->tlb));
        keep->valid = true;
        keep->satp = cpu->tlb_satp;
        keep->left = ++cpu->tlb_clock;
        back = tlb_space_find(cpu, satp);
    }
    if (back) {
        memcpy(cpu->tlb, back->tlb, sizeof(cpu->tlb));
    } else {
        memset(cpu->tlb, 0xff, sizeof(cpu->tlb));   /* TLB_INVALID in every tag */
    }
    cpu->tlb_satp = satp;
}

/* Calls fn on the current TLB and every kept copy. */
static void tlb_each(RISCVCPU *cpu, void (*fn)(TLBEntry (*tlb)[TLB_SIZE], uint64_t a), uint64_t a)
{
    fn(cpu->tlb, a);
    for (unsigned i = 0; cpu->tlb_spaces && i < TLB_SPACES; i++) {
        if (cpu->tlb_spaces[i].valid) {
            fn(cpu->tlb_spaces[i].tlb, a);
        }
    }
}

static void tlb_drop_writes(TLBEntry (*tlb)[TLB_SIZE], uint64_t page)
{
    for (int i = 0; i < MMU_IDX_COUNT; i++) {
        for (int j = 0; j < TLB_SIZE; j++) {
            TLBEntry *e = &tlb[i][j];
            if (e->tag_write != TLB_INVALID && e->paddr == page) {
                e->tag_write = TLB_INVALID;
            }
        }
    }
}

void riscv_tlb_flush_phys_write(RISCVCPU *cpu, uint64_t paddr)
{
    tlb_each(cpu, tlb_drop_writes, paddr & PAGE_MASK);
}

static void tlb_drop_vpage(TLBEntry (*tlb)[TLB_SIZE], uint64_t vaddr)
{
    uint64_t page = vaddr & PAGE_MASK;
    for (int i = 0; i < MMU_IDX_COUNT; i++) {
        TLBEntry *e = &tlb[i][(vaddr >> PAGE_BITS) & (TLB_SIZE - 1)];
        if ((e->tag_read & PAGE_MASK) == page || (e->tag_write & PAGE_MASK) == page ||
            (e->tag_exec & PAGE_MASK) == page) {
            e->tag_read = e->tag_write = e->tag_exec = TLB_INVALID;
        }
    }
}

void cpu_tlb_flush_vpage(RISCVCPU *cpu, uint64_t vaddr)
{
    tlb_each(cpu, tlb_drop_vpage, vaddr);
}
