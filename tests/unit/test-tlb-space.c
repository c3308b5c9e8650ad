/* The TLB across satp switches (target/riscv/tlb-space.c): the TLB of the
 * address space a hart leaves comes back when it returns; a flush drops
 * every kept copy; a page's sfence.vma and a page losing its fast writes
 * reach the kept copies too. */
#include <stdlib.h>
#include <string.h>

#include "target/riscv/cpu-internal.h"
#include "tests/unit/unit.h"

static RISCVCPU *cpu_new(void)
{
    RISCVCPU *cpu = calloc(1, sizeof(*cpu));
    CU_ASSERT_PTR_NOT_NULL_FATAL(cpu);
    memset(cpu->tlb, 0xff, sizeof(cpu->tlb));
    return cpu;
}

static void cpu_free(RISCVCPU *cpu)
{
    free(cpu->tlb_spaces);
    free(cpu);
}

/* An entry for virtual page va, physical page pa, readable and writable. */
static void fill(RISCVCPU *cpu, uint64_t va, uint64_t pa)
{
    TLBEntry *e = &cpu->tlb[MMU_IDX_U][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
    e->tag_read = e->tag_write = va & PAGE_MASK;
    e->tag_exec = TLB_INVALID;
    e->paddr = pa & PAGE_MASK;
    e->addend = 0x1000;
}

static const TLBEntry *at(RISCVCPU *cpu, uint64_t va)
{
    return &cpu->tlb[MMU_IDX_U][(va >> PAGE_BITS) & (TLB_SIZE - 1)];
}

static void test_switch_back(void)
{
    RISCVCPU *cpu = cpu_new();
    cpu->tlb_satp = cpu->env.satp = 0xa;
    fill(cpu, 0x10000, 0x80010000);
    cpu_tlb_switch(cpu, 0xb);
    CU_ASSERT_EQUAL(at(cpu, 0x10000)->tag_read, TLB_INVALID);   /* new: empty */
    fill(cpu, 0x10000, 0x80020000);
    cpu_tlb_switch(cpu, 0xa);
    CU_ASSERT_EQUAL(at(cpu, 0x10000)->tag_read, 0x10000);
    CU_ASSERT_EQUAL(at(cpu, 0x10000)->paddr, 0x80010000);
    cpu_tlb_switch(cpu, 0xb);
    CU_ASSERT_EQUAL(at(cpu, 0x10000)->paddr, 0x80020000);
    cpu_free(cpu);
}

static void test_flushes_reach_kept(void)
{
    RISCVCPU *cpu = cpu_new();
    cpu->tlb_satp = 0xa;
    fill(cpu, 0x10000, 0x80010000);
    fill(cpu, 0x20000, 0x80030000);
    cpu_tlb_switch(cpu, 0xb);
    /* a page's fence and a page that gets code, while 0xa is kept */
    cpu_tlb_flush_vpage(cpu, 0x20000);
    riscv_tlb_flush_phys_write(cpu, 0x80010000);
    cpu_tlb_switch(cpu, 0xa);
    CU_ASSERT_EQUAL(at(cpu, 0x10000)->tag_read, 0x10000);
    CU_ASSERT_EQUAL(at(cpu, 0x10000)->tag_write, TLB_INVALID);
    CU_ASSERT_EQUAL(at(cpu, 0x20000)->tag_read, TLB_INVALID);
    /* a whole flush drops the kept ones */
    cpu_tlb_switch(cpu, 0xb);
    cpu->env.satp = 0xb;
    cpu_tlb_flush(cpu);
    CU_ASSERT_EQUAL(cpu->tlb_satp, 0xb);
    cpu_tlb_switch(cpu, 0xa);
    CU_ASSERT_EQUAL(at(cpu, 0x10000)->tag_read, TLB_INVALID);
    cpu_free(cpu);
}

static const UnitTest tests[] = {
    { "a left address space's TLB comes back", test_switch_back },
    { "fences, lost fast writes and flushes reach the kept TLBs", test_flushes_reach_kept },
    { NULL, NULL },
};

int main(void)
{
    return unit_run("tlb-space", tests);
}
