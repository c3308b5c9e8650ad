/* The hart's ISA string (the device tree's riscv,isa), in QEMU's
 * conventions: "rv64", then misa's single-letter extensions in canonical
 * order, then the multi-letter ones, each after '_': Z extensions grouped
 * by the category their second letter names (in canonical order) and
 * alphabetical within it, then the S extensions. Firmware and Linux pick
 * code paths from it, so it names exactly what this hart implements. */
#include <stdio.h>
#include <string.h>

#include "target/riscv/cpu.h"

/* QEMU's riscv_single_letter_exts; S and U are modes, not listed. */
static const char cpu_isa_letters[] = "iemafdqcpvh";

/* Implemented regardless of misa, in the order they are printed. */
static const char *const cpu_isa_multi[] = {
    "zicntr", "zicsr", "zifencei", "zihintpause", "zihpm",
    "zba", "zbb", "zbc", "zbs",
    "sstc",
};

size_t cpu_isa_string(const RISCVCPU *cpu, char *buf, size_t len)
{
    char s[128];
    size_t n = 0;
    s[n++] = 'r';
    s[n++] = 'v';
    s[n++] = '6';
    s[n++] = '4';
    for (const char *c = cpu_isa_letters; *c; c++) {
        if (cpu->model_misa & (1ull << (*c - 'a'))) {
            s[n++] = *c;
        }
    }
    s[n] = '\0';
    for (size_t i = 0; i < sizeof(cpu_isa_multi) / sizeof(cpu_isa_multi[0]); i++) {
        n += (size_t)snprintf(s + n, sizeof(s) - n, "_%s", cpu_isa_multi[i]);
    }
    return (size_t)snprintf(buf, len, "%s", s);
}
