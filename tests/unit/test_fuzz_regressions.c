/* SPDX-License-Identifier: MIT */
/*
 * test_fuzz_regressions.c - minimal reproducers of what the libFuzzer
 * harnesses (fuzz/) found, one test per finding, each named after what
 * broke. The expected values are the live kernel's where one exists.
 */
#include "mm_test.h"

/*
 * uffdops_maps(mm, NULL, 0) counts the VMAs; it used to form &out[count]
 * from the NULL @out (undefined behaviour, reported by UBSan).
 */
static void maps_count_only(void **state)
{
	struct uffdops_mm *mm = mm_new();

	(void)state;
	map(mm, BASE, P, RW, PA | FX, NULL, 0);
	map(mm, BASE + 2 * P, P, RO, PA | FX, NULL, 0);
	assert_int_equal(uffdops_maps(mm, NULL, 0), 2);
	uffdops_mm_destroy(mm);
}

/*
 * do_mmap() with MAP_FIXED at an address with bit 63 set: the kernel's
 * __get_unmapped_area() takes it for an address, not an error, and refuses
 * it with ENOMEM (live 6.18: ENOMEM); the model returned the address as a
 * negative "errno".
 */
static void mmap_fixed_high_address(void **state)
{
	struct uffdops_mm *mm = mm_new();
	struct uffdops_file *f = file_new("shmem", 64 * P);

	(void)state;
	assert_int_equal(uffdops_mmap(mm, 0xf705440000000604UL, 14 * H,
				      PROT_EXEC, MAP_PRIVATE | FX, f, 0),
			 -ENOMEM);
	assert_int_equal(uffdops_mmap(mm, 0xf705440000000000UL, P, RW, PA | FX,
				      NULL, 0),
			 -ENOMEM);
	assert_int_equal(uffdops_mmap(mm, 0x7ffffffff000UL, 2 * P, RW, PA | FX,
				      NULL, 0),
			 -ENOMEM);
	/*
	 * ... but one in the last 4095 bytes passes IS_ERR_VALUE() and comes
	 * back as its own errno, as on the live kernel (ENOTRECOVERABLE, EPERM)
	 */
	assert_int_equal(uffdops_mmap(mm, -131UL, P, RW, PA | FX, NULL, 0),
			 -131);
	assert_int_equal(uffdops_mmap(mm, -1UL, P, RW, PA | FX, NULL, 0), -1);
	/* below TASK_SIZE, the misaligned address is what is wrong */
	assert_int_equal(uffdops_mmap(mm, 0x7fff00000604UL, 2 * P, RW, PA | FX,
				      NULL, 0),
			 -EINVAL);
	assert_int_equal(nr_vmas(mm), 0);
	uffdops_file_close(f);
	uffdops_mm_destroy(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(maps_count_only),
		cmocka_unit_test(mmap_fixed_high_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
