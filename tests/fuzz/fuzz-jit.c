/* libFuzzer target for the JIT (target/riscv/jit-*.c): every input is guest
 * code. The first 256 bytes (zero-padded) seed the registers, the rest is
 * written at the reset pc, and the program runs on two harts with identical
 * memories, one with the JIT and one with the interpreter, in slices of
 * one to 64 instructions. No host crash and no sanitizer report on any guest
 * code, and after every slice the two states must be equal (abort()
 * otherwise, which the fuzzer reports with the input). Built by `make fuzz`
 * (Makefile.in) with ASan and UBSan; tests/integration/fuzz-jit.sh runs it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/riscv/cpu-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (64ull << 10)
#define SEED_BYTES 256
#define MAX_INSNS 20000

typedef struct Side {
    PhysMemory mem;
    VirtClock clock;
    RISCVCPU cpu;
    uint8_t *ram;
} Side;

/* libFuzzer's entry points have no user pointer: the two harts live here,
 * in the test program (check-globals looks at the library only). */
static Side sides[2];

static void side_init(Side *s, bool jit)
{
    memory_init(&s->mem);
    if (!memory_add_ram(&s->mem, "ram", RAM_BASE, RAM_SIZE) || !cpu_init(&s->cpu, &s->mem, NULL)) {
        fprintf(stderr, "fuzz-jit: cannot set up a hart\n");
        exit(1);
    }
    s->ram = memory_page_host(&s->mem, RAM_BASE, NULL);
    clock_init(&s->clock, CLOCK_MODE_ICOUNT, 3, cpu_get_icount, &s->cpu);
    s->cpu.clock = &s->clock;
    Error err;
    error_init(&err);
    if (jit && !cpu_jit_set(&s->cpu, true, &err)) {
        fprintf(stderr, "fuzz-jit: %s\n", err.msg);
        exit(1);
    }
    if (jit) {
        cpu_jit_threshold(&s->cpu, 0);       /* every block as host code */
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    side_init(&sides[0], false);
    side_init(&sides[1], cpu_jit_available());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t seed[SEED_BYTES] = { 0 };
    size_t n = size < SEED_BYTES ? size : SEED_BYTES;
    memcpy(seed, data, n);
    const uint8_t *code = data + n;
    size_t code_len = size - n;
    if (code_len > RAM_SIZE / 2) {
        code_len = RAM_SIZE / 2;
    }

    for (int i = 0; i < 2; i++) {
        Side *s = &sides[i];
        memset(s->ram, 0, RAM_SIZE);
        memcpy(s->ram, code, code_len);
        memcpy(s->ram + RAM_SIZE / 2, seed, sizeof(seed));   /* some data to load */
        memory_ram_written(&s->mem, RAM_BASE, RAM_SIZE);
        cpu_reset(&s->cpu, RAM_BASE);
        CPURISCVState *env = &s->cpu.env;
        for (unsigned r = 1; r < 32; r++) {
            uint64_t v;
            memcpy(&v, seed + 8 * (r % 32), 8);
            /* half the registers point into RAM, so accesses hit it */
            env->gpr[r] = (r & 1) ? RAM_BASE + (v % RAM_SIZE) : v;
        }
        env->mtvec = RAM_BASE + (seed[0] & 0xfc);
        env->mstatus |= MSTATUS_FS;
        cpu_state_changed(&s->cpu);
    }
    unsigned step = 0;
    while (sides[0].cpu.env.icount < MAX_INSNS && step < 4 * MAX_INSNS) {
        uint64_t budget = 1 + (seed[step++ % SEED_BYTES] & 63);
        CPUExitReason a = cpu_exec(&sides[0].cpu, budget);
        CPUExitReason b = cpu_exec(&sides[1].cpu, budget);
        if (a != b || memcmp(&sides[0].cpu.env, &sides[1].cpu.env, sizeof(CPURISCVState)) ||
            memcmp(sides[0].ram, sides[1].ram, RAM_SIZE)) {
            fprintf(stderr, "fuzz-jit: the JIT and the interpreter differ after slice %u "
                    "(pc %#llx / %#llx, icount %llu / %llu)\n", step,
                    (unsigned long long)sides[0].cpu.env.pc, (unsigned long long)sides[1].cpu.env.pc,
                    (unsigned long long)sides[0].cpu.env.icount,
                    (unsigned long long)sides[1].cpu.env.icount);
            abort();
        }
        if (a == CPU_EXIT_HALTED) {
            break;
        }
    }
    return 0;
}
