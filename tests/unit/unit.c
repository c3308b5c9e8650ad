#include "tests/unit/unit.h"

#include <stdio.h>

int unit_run(const char *suite_name, const UnitTest *tests)
{
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit: cannot initialise registry\n");
        return 1;
    }
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    for (const UnitTest *t = tests; suite && t->name; t++) {
        if (!CU_add_test(suite, t->name, t->fn)) {
            suite = NULL;
        }
    }
    if (!suite) {
        fprintf(stderr, "CUnit: cannot register tests: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 1;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned ran = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    printf("%u passed, %u failed\n", ran - failed, failed);
    return failed ? 1 : 0;
}
