/* SPDX-License-Identifier: MIT */
/*
 * wp_move_cases.h - the scenarios test_wp_move_live.c plays on the live
 * kernel and on the model. Offsets are from the region's base (2 MiB
 * aligned); rows name the lines of spec §2.8 (W*) and §2.10 (V*, X*, Y*)
 * each case exercises. Pages are populated before a range is registered
 * MISSING, since a live access to a missing registered page would block.
 */
#ifndef WP_MOVE_CASES_H
#define WP_MOVE_CASES_H

#define TASK UFFDOPS_TASK_SIZE
#define RO PROT_READ
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

/* clang-format off */
static const struct wcase cases[] = {

/* ---- UFFDIO_WRITEPROTECT ------------------------------------------------ */

/* W3-W5: validation, nothing changed. */
{ .name = "wp_validate", .region = 4 * P, .steps = {
	MAP(0, 4 * P, RW, PA), WRITE(0, P, 0x11), UFFD(0, 0),
	REG(0, 0, 4 * P, UW),
	WP(0, 1, P, WPM), WP(0, 0, 0, WPM), WP(0, 0, P + 1, WPM),
	WP(0, TASK - REGION_BASE, P, WPM),
	WP(0, 0, TASK - REGION_BASE + P, WPM),
	WP(0, 0, P, 4), WP(0, 0, P, WPM | WDW), WP(0, 1, P, 4),
} },

/* W1 before W2: mmap_changing refuses before the argument is read; W2. */
{ .name = "wp_mmap_changing_efault", .region = 8 * P, .steps = {
	MAP(0, 8 * P, RW, PA), WRITE(0, 2 * P, 0x20), UFFD(0, EVREM),
	REG(0, 0, 8 * P, UM | UW),
	WP(0, 0, 8 * P, WPM, ARG(12 * P)),
	CHANGE(0, 7 * P),
	WP(0, 0, 2 * P, WPM), WP(0, 0, 2 * P, 0xff),
	WP(0, 0, 2 * P, WPM, ARG(12 * P)),
	MOVE(0, 4 * P, 0, P, 0), MOVE(0, 4 * P, 0, P, 0, ARG(12 * P)),
	UNCHANGE(0),
	WP(0, 0, 8 * P, WPM),
} },

/* Anon: present and zero-page PTEs get the bit, none stays none; W12 modes. */
{ .name = "wp_anon_states", .region = 8 * P, .steps = {
	MAP(0, 8 * P, RW, PA), WRITE(0, 2 * P, 0x30), TOUCH(2 * P, P),
	UFFD(0, 0), REG(0, 0, 8 * P, UM | UW),
	WP(0, 0, 8 * P, WPM), WP(0, 0, 8 * P, WPM),
	WP(0, P, P, 0), WP(0, 0, 8 * P, WDW),
	WP(0, 0, 4 * P, WPM), UNREG(0, 0, 8 * P),
} },

/* Anon with WP_UNPOPULATED (and WP_ASYNC, which implies it): markers. */
{ .name = "wp_anon_unpopulated", .region = 8 * P, .steps = {
	MAP(0, 8 * P, RW, PA), WRITE(0, P, 0x40),
	MADV(3 * P, P, MADV_GUARD_INSTALL), UFFD(0, UNPOP),
	REG(0, 0, 8 * P, UM | UW), POISON(0, 5 * P, P),
	WP(0, 0, 8 * P, WPM), WP(0, 2 * P, 4 * P, 0),
	WP(0, 0, 8 * P, WPM), UNREG(0, 0, 4 * P),
	WP(0, 4 * P, 4 * P, WDW),
} },
{ .name = "wp_anon_async", .region = 4 * P, .steps = {
	MAP(0, 4 * P, RW, PA), WRITE(0, P, 0x41), UFFD(0, ASYNC),
	REG(0, 0, 4 * P, UW), WP(0, 0, 4 * P, WPM), WP(0, 0, 4 * P, 0),
} },

/* WP_ASYNC: a write clears the bit in the kernel, no message. */
{ .name = "wp_async_write", .region = 4 * P, .steps = {
	MAP(0, 4 * P, RW, PA), WRITE(0, 2 * P, 0x42), UFFD(0, ASYNC),
	REG(0, 0, 4 * P, UW), WP(0, 0, 4 * P, WPM),
	WRITE(0, P, 0x43), WRITE(2 * P, P, 0x44),
} },
/* W8, W11: unregistered or MISSING-only VMAs, holes; earlier VMAs changed. */
{ .name = "wp_enoent_partial", .region = 16 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(4 * P, 4 * P, RW, PA),
	MAP(10 * P, 2 * P, RW, PA), MAP(14 * P, 2 * P, RW, PA),
	WRITE(0, 8 * P, 0x50), WRITE(10 * P, 2 * P, 0x58),
	WRITE(14 * P, 2 * P, 0x5c), UFFD(0, 0),
	WP(0, 0, 4 * P, WPM),
	REG(0, 0, 4 * P, UW), REG(0, 4 * P, 4 * P, UM),
	REG(0, 10 * P, 6 * P, UW),
	WP(0, 0, 8 * P, WPM), WP(0, 4 * P, 4 * P, WPM),
	WP(0, 2 * P, 4 * P, 0),
	WP(0, 8 * P, 2 * P, WPM), WP(0, 12 * P, 2 * P, WPM),
	WP(0, 8 * P, 8 * P, WPM), WP(0, 8 * P, 8 * P, 0),
} },

/* WRITEPROTECT through another userfaultfd of the same mm. */
{ .name = "wp_through_other_uffd", .region = 4 * P, .steps = {
	MAP(0, 4 * P, RW, PA), WRITE(0, P, 0x60), UFFD(0, UNPOP),
	UFFD(1, 0), REG(0, 0, 4 * P, UW),
	WP(1, 0, 4 * P, WPM), WP(1, 0, 2 * P, 0),
} },

/* Shmem: markers on every none PTE (a cached page unmapped too). */
{ .name = "wp_shmem_shared", .region = 8 * P,
  .files = { SHMEM(8 * P) }, .steps = {
	MAPF(0, 8 * P, RW, SF, 0, 0), WRITE(0, 2 * P, 0x70),
	MADV(P, P, MADV_DONTNEED), UFFD(0, 0), REG(0, 0, 8 * P, UW),
	WP(0, 0, 8 * P, WPM), WP(0, 0, 4 * P, 0),
	WP(0, 0, 8 * P, WPM), UNREG(0, 0, 8 * P),
} },
{ .name = "wp_shmem_private", .region = 8 * P,
  .files = { SHMEM(8 * P) }, .steps = {
	MAPF(0, 8 * P, RW, PF, 0, 0), WRITE(0, P, 0x71), TOUCH(P, P),
	UFFD(0, 0), REG(0, 0, 8 * P, UM | UW),
	WP(0, 0, 8 * P, WPM), WP(0, 0, 8 * P, WDW),
} },

/* W8 on shmem and hugetlb: MISSING-only VMAs, partial progress. */
{ .name = "wp_enoent_shmem_hugetlb", .region = 2 * H,
  .samples = { 0, P, 2 * P, 3 * P, H },
  .files = { SHMEM(4 * P), HUGEFILE(H) }, .steps = {
	MAPF(0, 4 * P, RW, SF, 0, 0), MAPF(H, H, RW, SF, 1, 0),
	WRITE(0, P, 0x74), WRITEH(H, H, 0x78), UFFD(0, 0),
	REG(0, 0, 4 * P, UM), REG(0, H, H, UM),
	WP(0, 0, 4 * P, WPM), WP(0, H, H, WPM), WP(0, 0, 2 * H, WPM),
	REG(0, 0, 4 * P, UW), WP(0, 0, 2 * H, WPM), WP(0, 0, 2 * H, 0),
	REG(0, H, H, UM | UW), WP(0, 0, 2 * H, WPM),
} },
/* Regular file, WP_ASYNC: markers too. */
{ .name = "wp_regular_file", .region = 4 * P,
  .files = { DISKFILE(4 * P) }, .steps = {
	MAPF(0, 4 * P, RW, SF, 0, 0), WRITE(0, P, 0x72), UFFD(0, ASYNC),
	REG(0, 0, 4 * P, UW), WP(0, 0, 4 * P, WPM), WP(0, 0, 4 * P, 0),
} },

/* Hugetlb: W9 alignment, the bit and markers per huge page. */
{ .name = "wp_hugetlb_shared", .region = 4 * H, .stride = H,
  .files = { HUGEFILE(4 * H) }, .steps = {
	MAPF(0, 4 * H, RW, SF, 0, 0), WRITEH(0, 2 * H, 0x80), UFFD(0, 0),
	REG(0, 0, 4 * H, UW),
	WP(0, P, H, WPM), WP(0, 0, H + P, WPM), WP(0, H, P, WPM),
	WP(0, 0, 4 * H, WPM), WP(0, 0, 2 * H, 0), WP(0, 0, 4 * H, WPM),
	UNREG(0, 0, 4 * H),
} },
{ .name = "wp_hugetlb_private", .region = 4 * H, .stride = H, .steps = {
	MAP(0, 4 * H, RW, PA | HT), WRITEH(0, H, 0x81), UFFD(0, 0),
	REG(0, 0, 4 * H, UM | UW), POISON(0, 2 * H, H),
	WP(0, 0, 4 * H, WPM), WP(0, 0, 4 * H, WDW), WP(0, 0, 4 * H, WPM),
	UNREG(0, 0, 4 * H),
} },
/* W9 partial: the anon VMA below the hugetlb one is changed first. */
{ .name = "wp_hugetlb_partial", .region = 2 * H,
  .samples = { H - 2 * P, H - P, H }, .steps = {
	MAP(H - 2 * P, 2 * P, RW, PA), MAP(H, H, RW, PA | HT),
	WRITE(H - 2 * P, 2 * P, 0x90), WRITEH(H, H, 0x98), UFFD(0, 0),
	REG(0, H - 2 * P, H + 2 * P, UW),
	WP(0, H - 2 * P, H + 2 * P, WPM),
	WP(0, H - 2 * P, 2 * P, WPM), WP(0, H, H, WPM),
} },
/* UNREGISTER resolves through the same helper; spec §4.3-2. */
{ .name = "wp_hugetlb_unregister_split_fails", .region = 2 * H, .stride = H,
  .files = { HUGEFILE(2 * H) }, .steps = {
	MAPF(0, 2 * H, RW, SF, 0, 0), WRITEH(0, 2 * H, 0xa0), UFFD(0, 0),
	REG(0, 0, 2 * H, UW), WP(0, 0, 2 * H, WPM),
	UNREG(0, 0, H + P),
} },

/* W12: wake rules with threads blocked in faults. */
{ .name = "wp_wake_wp_fault", .region = 4 * P, .steps = {
	MAP(0, 4 * P, RW, PA), WRITE(0, 4 * P, 0xb0), UFFD(0, 0),
	REG(0, 0, 4 * P, UW), WP(0, 0, 4 * P, WPM),
	WAITER(0, 0, P, WAIT_WRITE_WP), WOKEN(0),
	WP(0, 0, 4 * P, WPM), WOKEN(0),
	WP(0, 0, 4 * P, WDW), WOKEN(0),
	WAKE(0, P, P), WOKEN(0),
	WP(0, 0, 4 * P, WPM), WAITER(1, 0, 2 * P, WAIT_WRITE_WP),
	WP(0, 0, 2 * P, 0), WOKEN(1), WP(0, 2 * P, P, 0), WOKEN(1),
} },
{ .name = "wp_wake_missing_fault", .region = 4 * P, .steps = {
	MAP(0, 4 * P, RW, PA), UFFD(0, 0), REG(0, 0, 4 * P, UM | UW),
	WAITER(0, 0, 2 * P, WAIT_READ_MISSING),
	WP(0, 0, 4 * P, WPM), WOKEN(0),
	WP(0, 0, 2 * P, 0), WOKEN(0),
	WP(0, 0, 4 * P, 0), WOKEN(0),
} },
{ .name = "wp_wake_shmem", .region = 4 * P,
  .files = { SHMEM(4 * P) }, .steps = {
	MAPF(0, 4 * P, RW, SF, 0, 0), WRITE(0, 4 * P, 0xc0), UFFD(0, 0),
	REG(0, 0, 4 * P, UW), WP(0, 0, 4 * P, WPM),
	WAITER(0, 0, 3 * P, WAIT_WRITE_WP), WP(0, 0, 4 * P, 0), WOKEN(0),
} },

/* ---- UFFDIO_MOVE -------------------------------------------------------- */

/* V4-V6 (and V5 before X2): validation, .move untouched. */
{ .name = "move_validate", .region = 16 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 4 * P, RW, PA),
	WRITE(0, 4 * P, 0x100), UFFD(0, 0), REG(0, 8 * P, 4 * P, UM),
	MOVE(0, 8 * P + 1, 0, P, 0), MOVE(0, 8 * P, 1, P, 0),
	MOVE(0, 8 * P, 0, 0, 0), MOVE(0, 8 * P, 0, P + 1, 0),
	MOVE(0, 8 * P, 0, P, 4), MOVE(0, 8 * P, 5 * P, P, 4),
	MOVE(0, 8 * P, 0, TASK - REGION_BASE, 0),
	MOVE(0, TASK - REGION_BASE, 0, P, 0),
	MOVE(0, 8 * P, 0, P, MDW | MAL),
} },

/* V2, put_user EFAULT (moved, no wake), V3 (a forked child's MOVE). */
{ .name = "move_efault_and_cross_mm", .region = 16 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 4 * P, RW, PA),
	MAP(13 * P, P, RO, PA), WRITE(0, 4 * P, 0x110), UFFD(0, 0),
	REG(0, 8 * P, 4 * P, UM),
	MOVE(0, 8 * P, 0, P, 0, ARG(15 * P)),
	FORKMOVE(0, 8 * P, 0, P, 0),
	WAITER(0, 0, 8 * P, WAIT_READ_MISSING),
	MOVE(0, 8 * P, 0, P, 0, ARG(13 * P)), WOKEN(0),
	MOVE(0, 9 * P, P, P, 0), WAKE(0, 8 * P, P), WOKEN(0),
} },

/* X1, X2, X5, X7-X10, X12 on anonymous memory. */
{ .name = "move_vma_checks", .region = 32 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 4 * P, RW, PA),
	MAP(12 * P, 4 * P, RO, PA), MAP(16 * P, 4 * P, RO, PA),
	MAP(20 * P, 4 * P, RWX, PA), MAP(24 * P, 4 * P, RW, PA | MAP_LOCKED),
	MAP(28 * P, 4 * P, RW, PA),
	WRITE(0, 4 * P, 0x120), TOUCH(16 * P, P), WRITE(20 * P, P, 0x128),
	UFFD(0, 0), UFFD(1, 0),
	REG(0, 8 * P, 8 * P, UM), REG(1, 28 * P, 4 * P, UM),
	MOVE(0, 6 * P, 0, P, 0), MOVE(0, 8 * P, 5 * P, P, 0),
	MOVE(0, 8 * P, 2 * P, 4 * P, 0), MOVE(0, 10 * P, 0, 4 * P, 0),
	MOVE(0, 8 * P, 20 * P, P, 0), MOVE(0, 8 * P, 24 * P, P, 0),
	MOVE(0, 12 * P, 16 * P, P, 0), MOVE(0, 28 * P, 0, P, 0),
	MOVE(0, P, 0, P, 0), MOVE(1, 8 * P, 0, P, 0),
	MOVE(0, 8 * P, 0, P, 0),
} },

/* X4, X6, X13 (shmem shared src/dst, private memfd dst), X11 (hugetlb). */
{ .name = "move_shmem_refused", .region = 32 * P,
  .files = { SHMEM(16 * P) }, .steps = {
	MAPF(0, 4 * P, RW, SF, 0, 0), MAP(8 * P, 4 * P, RW, PA),
	MAPF(16 * P, 4 * P, RW, SF, 0, 4), MAPF(24 * P, 4 * P, RW, PF, 0, 8),
	WRITE(0, P, 0x130), UFFD(0, 0),
	REG(0, 16 * P, 4 * P, UM), REG(0, 24 * P, 4 * P, UM),
	WRITE(8 * P, P, 0x138), REG(0, 10 * P, 2 * P, UM),
	MOVE(0, 10 * P, 0, P, 0), MOVE(0, 16 * P, 8 * P, P, 0),
	MOVE(0, 24 * P, 8 * P, P, 0),
} },
{ .name = "move_hugetlb_refused", .region = 4 * H,
  .samples = { 0, H, H + P, 2 * H }, .steps = {
	MAP(0, H, RW, PA | HT), MAP(H, 4 * P, RW, PA),
	MAP(2 * H, H, RW, PA | HT),
	WRITEH(0, H, 0x140), WRITE(H + P, P, 0x148), UFFD(0, 0),
	REG(0, H, P, UM), REG(0, 2 * H, H, UM),
	MOVE(0, H, 0, P, 0), MOVE(0, 2 * H, H + P, P, 0),
} },

/* Success, batches, the merged-neighbour caution (§4.2-12), same VMA. */
{ .name = "move_basic_batch", .region = 32 * P, .steps = {
	MAP(0, 8 * P, RW, PA), MAP(16 * P, 8 * P, RW, PA),
	WRITE(0, 8 * P, 0x150), UFFD(0, 0), REG(0, 16 * P, 8 * P, UM),
	MOVE(0, 16 * P, 0, P, 0), MOVE(0, 17 * P, P, 7 * P, 0),
	MOVE(0, 16 * P, 0, P, MAL),
} },
{ .name = "move_merged_neighbour", .region = 16 * P, .steps = {
	MAP(0, 2 * P, RW, PA), MAP(2 * P, 2 * P, RW, PA),
	MAP(8 * P, 4 * P, RW, PA), WRITE(0, 4 * P, 0x160), UFFD(0, 0),
	REG(0, 8 * P, 4 * P, UM), MOVE(0, 8 * P, 0, 4 * P, 0),
} },
{ .name = "move_same_vma", .region = 8 * P, .steps = {
	MAP(0, 8 * P, RW, PA), WRITE(0, 4 * P, 0x170), UFFD(0, 0),
	REG(0, 0, 8 * P, UM), MOVE(0, 4 * P, 0, 4 * P, 0),
	MOVE(0, 0, 6 * P, P, 0),
} },

/* Y4 before Y5, partial progress (§2.10's verified values). */
{ .name = "move_partial", .region = 16 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 8 * P, RW, PA),
	WRITE(0, 3 * P, 0x180), WRITE(9 * P, P, 0x188), UFFD(0, 0),
	REG(0, 8 * P, 8 * P, UM),
	MOVE(0, 8 * P, 0, 3 * P, 0), MOVE(0, 9 * P, P, 2 * P, 0),
	MOVE(0, 12 * P, P, 3 * P, 0), MOVE(0, 14 * P, 3 * P, P, 0),
	MOVE(0, 14 * P, 3 * P, P, MAL),
} },
/* Y1: no page table under src fails before the dst check; ALLOW. */
{ .name = "move_src_pmd_absent", .region = 2 * H,
  .samples = { 0, P, 2 * P, 3 * P, H, H + P, H + 2 * P }, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(H, 4 * P, RW, PA),
	WRITE(P, P, 0x190), UFFD(0, 0), REG(0, 0, 4 * P, UM),
	MOVE(0, P, H, P, 0), MOVE(0, P, H, P, MAL),
	MOVE(0, 2 * P, H, 2 * P, MAL),
	WRITE(H, P, 0x198), MOVE(0, P, H + P, P, 0),
	MOVE(0, 2 * P, H + P, P, 0), MOVE(0, 2 * P, H, 2 * P, 0),
} },

/* Y4: dst markers, zero page, guard refused; Y8: src markers refused. */
{ .name = "move_markers", .region = 16 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 4 * P, RW, PA),
	WRITE(0, P, 0x1a0), WRITE(3 * P, P, 0x1a8), TOUCH(9 * P, P),
	MADV(10 * P, P, MADV_GUARD_INSTALL), MADV(2 * P, P, MADV_GUARD_INSTALL),
	UFFD(0, UNPOP), REG(0, 0, 2 * P, UW), REG(0, 8 * P, 4 * P, UM | UW),
	WP(0, 0, 2 * P, WPM), WP(0, 11 * P, P, WPM),
	MOVE(0, 8 * P, P, P, 0), MOVE(0, 8 * P, P, P, MAL),
	MOVE(0, 8 * P, 2 * P, P, 0), MOVE(0, 9 * P, 3 * P, P, 0),
	MOVE(0, 10 * P, 3 * P, P, 0), MOVE(0, 11 * P, 3 * P, P, 0),
	MOVE(0, 8 * P, 0, P, 0), MOVE(0, 8 * P, 3 * P, P, 0),
} },
{ .name = "move_poison_src", .region = 16 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 4 * P, RW, PA),
	WRITE(0, P, 0x1b0), UFFD(0, 0), REG(0, 0, 4 * P, UM),
	REG(0, 8 * P, 4 * P, UM), POISON(0, P, P),
	MOVE(0, 8 * P, P, P, 0), MOVE(0, 8 * P, P, P, MAL),
	MOVE(0, 9 * P, 0, 2 * P, 0),
} },

/* Y6: the zero page moves (a read fault's, and UFFDIO_ZEROPAGE's). */
{ .name = "move_zero_page_read_fault", .region = 16 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 4 * P, RW, PA),
	TOUCH(0, 2 * P), UFFD(0, 0), REG(0, 8 * P, 4 * P, UM),
	MOVE(0, 8 * P, 0, 2 * P, 0),
} },
{ .name = "move_zero_page_zeropage", .region = 16 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 4 * P, RW, PA), UFFD(0, 0),
	REG(0, 0, 4 * P, UM), REG(0, 8 * P, 4 * P, UM), ZERO(0, 0, 2 * P),
	MOVE(0, 8 * P, 0, 2 * P, 0),
} },

/* Y7: a page once shared by fork stays unmovable until written (§4.3-5). */
{ .name = "move_fork_shared", .region = 16 * P, .no_frames = true,
  .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 4 * P, RW, PA),
	WRITE(0, 4 * P, 0x1c0), FORK(), UFFD(0, 0), REG(0, 8 * P, 4 * P, UM),
	MOVE(0, 8 * P, 0, P, 0), TOUCH(P, P), MOVE(0, 9 * P, P, P, 0),
	WRITE(2 * P, P, 0x1c8), MOVE(0, 10 * P, 2 * P, 2 * P, 0),
} },

/* Wake [dst, dst + moved) unless DONTWAKE. */
{ .name = "move_wake", .region = 16 * P, .steps = {
	MAP(0, 4 * P, RW, PA), MAP(8 * P, 4 * P, RW, PA),
	WRITE(0, 2 * P, 0x1d0), WRITE(3 * P, P, 0x1d8), UFFD(0, 0),
	REG(0, 8 * P, 4 * P, UM),
	WAITER(0, 0, 8 * P, WAIT_READ_MISSING),
	WAITER(1, 0, 10 * P, WAIT_READ_MISSING),
	MOVE(0, 8 * P, 0, P, MDW), WOKEN(0), WAKE(0, 8 * P, P), WOKEN(0),
	MOVE(0, 9 * P, P, 2 * P, 0), WOKEN(1),
	MOVE(0, 10 * P, 3 * P, P, 0), WOKEN(1),
} },
};
/* clang-format on */

#endif /* WP_MOVE_CASES_H */
