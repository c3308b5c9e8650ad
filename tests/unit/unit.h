/* Shared scaffolding for Amber's CUnit test programs: each tests/unit/test-*.c
 * lists its tests in a table and calls unit_run(), which prints CUnit's summary
 * and the plain "N passed, N failed" line the test driver sums up. */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <CUnit/Basic.h>

typedef struct UnitTest {
    const char *name;
    void (*fn)(void);
} UnitTest;

/* Runs every test in the NULL-terminated table; returns the exit status. */
int unit_run(const char *suite, const UnitTest *tests);

#endif
