#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# make_seeds.py - write the seed corpora under fuzz/corpus/: small programs
# in the input encoding of fuzz_dispatch.c and fuzz_registry.c that reach
# the deep states (a registered range, a fault that sleeps, a fill that
# succeeds) a fuzzer finds only slowly from nothing. Rerun it after
# changing either encoding:  python3 fuzz/make_seeds.py
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# fuzz_dispatch.c: indexes into ops[] and ioctl_cmds[], file slots.
MMAP, MUNMAP, MPROTECT, MADVISE, MREMAP, FORK = 0, 3, 4, 5, 6, 7
USERFAULTFD, CLOSE, IOCTL, IOCTL_UADDR = 8, 10, 11, 17
READ_MEM, WRITE_MEM, FAULT, PAGEMAP, MESSAGES = 18, 19, 21, 23, 24
MAPS_FORMAT, FILE, CONFIG, ROGUE = 25, 26, 27, 28
API, REGISTER, UNREGISTER, WAKE, COPY, ZEROPAGE = 0, 1, 2, 3, 4, 5
MOVE, WRITEPROTECT, CONTINUE, POISON = 6, 7, 8, 9
SHMEM, SHMEM_SMALL, HUGETLB, HUGETLB_ONE, REGFILE, SHMEM_RO = range(6)
ROGUE_PROPOSAL, ROGUE_V7_1, ANON = 6, 7, 8
PRIVATE, SHARED, FIXED = 0x00, 0x01, 0x04
R, W, RW = 1, 2, 3
MISSING, WP, MINOR = 1, 2, 4
USER, NOFAULT, FORCE, KERNEL = 0, 1, 2, 3
DONTNEED, REMOVE, POPULATE_WRITE = 0, 3, 5
F_WP_ASYNC, F_SIGBUS, F_EXACT = 1 << 15, 1 << 7, 1 << 11


def page(i):
    return bytes([0]) + struct.pack("<H", i)


def huge(i):
    return bytes([3, i])


def pages(n):
    return bytes([(n - 1) << 3])


def huges(n):
    return bytes([((n - 1) << 3) | 3])


def mmap(addr, length, prot, flags, file):
    return bytes([MMAP]) + addr + length + bytes([prot, flags, file, 0])


def uffd(slot=0, choice=0):
    return bytes([USERFAULTFD, slot, choice])


def ioctl(cmd, args, slot=0):
    return bytes([IOCTL, slot, cmd, 0]) + args


def uaddr_ioctl(cmd, where, args, slot=0):
    return bytes([IOCTL_UADDR, slot, cmd]) + where + bytes([1]) + args


def api(features=0):
    return ioctl(API, bytes([0]) + struct.pack("<I", features))


def rng(addr, length, mode=None):
    return addr + length + (bytes([mode]) if mode is not None else b"")


def copy(dst, src, length, mode=0):
    return ioctl(COPY, dst + src + length + bytes([mode]))


def write(addr, n, access=USER, seed=0x41):
    return bytes([WRITE_MEM]) + addr + struct.pack("<H", n) + \
        bytes([access, seed])


def read(addr, n, access=USER):
    return bytes([READ_MEM]) + addr + struct.pack("<H", n) + bytes([access])


def fault(addr, write_fault=False):
    return bytes([FAULT]) + addr + bytes([2 | int(write_fault)])


def rogue(behaviour):
    return bytes([ROGUE]) + struct.pack("<H", behaviour)


def madvise(addr, length, advice):
    return bytes([MADVISE]) + addr + length + bytes([advice])


# a source buffer away from every range the programs register
SRC, SRC1 = page(6000), page(6001)


def registered(kind, mode, features=0, header=1):
    """A program's start: a mapping of @kind registered for @mode."""
    prog = bytes([header])
    if kind == HUGETLB:
        prog += mmap(huge(0), huges(2), RW, SHARED | FIXED, HUGETLB)
        length = huges(2)
    elif kind == ANON:
        prog += mmap(page(0), pages(16), RW, PRIVATE | FIXED, ANON)
        length = pages(16)
    else:
        prog += mmap(page(0), pages(16), RW, SHARED | FIXED, kind)
        length = pages(16)
    # a source buffer with data, away from the registered range
    prog += mmap(SRC, pages(4), RW, PRIVATE | FIXED, ANON)
    prog += write(SRC, 8192)
    prog += uffd() + api(features)
    prog += ioctl(REGISTER, rng(page(0), length, mode))
    return prog


DISPATCH = {
    "anon-missing-copy": registered(ANON, MISSING) +
    copy(page(0), SRC, pages(2)) +
    copy(page(1), SRC, pages(2)) +
    ioctl(ZEROPAGE, rng(page(4), pages(1), 0)) +
    ioctl(POISON, rng(page(5), pages(1), 0)) +
    read(page(0), 4096) + fault(page(5)),
    "anon-missing-fault": registered(ANON, MISSING) +
    write(page(3), 100) + read(page(7), 10, KERNEL) +
    fault(page(9), True) + bytes([MESSAGES, 0, 0, 32]),
    "anon-wp": registered(ANON, MISSING | WP) +
    copy(page(0), SRC, pages(4), 2) +
    ioctl(WRITEPROTECT, rng(page(0), pages(4), 1)) +
    write(page(1), 8) +
    ioctl(WRITEPROTECT, rng(page(0), pages(4), 0)),
    "anon-wp-async": registered(ANON, WP, F_WP_ASYNC) +
    ioctl(WRITEPROTECT, rng(page(0), pages(8), 1)) +
    write(page(2), 64) + bytes([PAGEMAP]) + page(2),
    "anon-move": registered(ANON, MISSING) +
    ioctl(MOVE, page(2) + SRC + pages(2) + bytes([0])) +
    read(page(2), 16),
    "anon-sigbus": registered(ANON, MISSING, F_SIGBUS) +
    fault(page(1)) + read(page(1), 16),
    "shmem-minor": bytes([1]) +
    mmap(page(64), pages(16), RW, SHARED | FIXED, SHMEM) +
    write(page(64), 12000) +
    mmap(page(0), pages(16), RW, SHARED | FIXED, SHMEM) +
    uffd() + api() +
    ioctl(REGISTER, rng(page(0), pages(16), MINOR | MISSING)) +
    ioctl(CONTINUE, rng(page(0), pages(1), 0)) +
    read(page(1), 64) + read(page(6), 64) +
    copy(page(8), page(64), pages(1)),
    "shmem-missing": registered(SHMEM, MISSING | WP) +
    copy(page(0), SRC, pages(3)) +
    ioctl(ZEROPAGE, rng(page(3), pages(1), 0)) +
    write(page(5), 10) + madvise(page(0), pages(2), REMOVE),
    "hugetlb-missing": registered(HUGETLB, MISSING) +
    mmap(huge(12), huges(1), RW, PRIVATE | FIXED, ANON) +
    copy(huge(0), huge(12), huges(1)) +
    read(huge(1), 16) + ioctl(POISON, rng(huge(1), huges(1), 0)),
    "hugetlb-minor": bytes([1]) +
    mmap(huge(4), huges(2), RW, SHARED | FIXED, HUGETLB) +
    write(huge(4), 4096) +
    mmap(huge(0), huges(2), RW, SHARED | FIXED, HUGETLB) +
    uffd() + api() + ioctl(REGISTER, rng(huge(0), huges(2), MINOR)) +
    read(huge(0), 64) + ioctl(CONTINUE, rng(huge(0), huges(1), 0)),
    "uaddr": registered(ANON, MISSING) +
    uaddr_ioctl(COPY, SRC1, page(3) + SRC + pages(1) +
                bytes([0])) +
    uaddr_ioctl(REGISTER, page(2), rng(page(0), pages(4), MISSING | WP)) +
    uaddr_ioctl(API, SRC, bytes([0, 0, 0, 0, 0])),
    "fork-close": registered(ANON, MISSING | WP) +
    copy(page(0), SRC, pages(2)) + bytes([FORK]) +
    bytes([CLOSE, 0]) + fault(page(0)),
    "remap-unmap": registered(SHMEM, MISSING) +
    bytes([MREMAP]) + page(0) + pages(16) + pages(32) + page(1024) +
    bytes([2]) + bytes([MUNMAP]) + page(1024) + pages(4) +
    madvise(page(1028), pages(4), DONTNEED),
    "rogue-proposal": registered(ROGUE_PROPOSAL, MISSING | MINOR) +
    copy(page(0), SRC, pages(2)) + ioctl(CONTINUE, rng(page(2), pages(1), 0)) +
    rogue(5 << 3) + copy(page(3), SRC, pages(1)) +
    rogue(6 << 3 | 5) + copy(page(5), SRC, pages(1)) + read(page(0), 8) +
    rogue(7 << 3 | 6) + copy(page(8), SRC, pages(1)) + read(page(9), 8) +
    rogue(4 << 3 | 7) + ioctl(ZEROPAGE, rng(page(10), pages(2), 0)) +
    ioctl(CONTINUE, rng(page(0), pages(1), 0)),
    "rogue-v7_1": registered(ROGUE_V7_1, MISSING | WP) +
    copy(page(0), SRC, pages(2)) + rogue(2 << 7) +
    copy(page(2), SRC, pages(1)) + rogue(4 << 7) +
    copy(page(0), SRC, pages(1)) + rogue(2 << 10) +
    copy(page(4), SRC, pages(1)) + rogue(3 << 10 | 1 << 6) +
    ioctl(ZEROPAGE, rng(page(5), pages(1), 0)) + write(page(7), 8) +
    ioctl(REGISTER, rng(page(0), pages(4), MISSING)),
    "regfile-wp-async": bytes([1]) +
    mmap(page(0), pages(8), RW, SHARED | FIXED, REGFILE) +
    uffd() + api(F_WP_ASYNC) +
    ioctl(REGISTER, rng(page(0), pages(8), WP)) +
    ioctl(WRITEPROTECT, rng(page(0), pages(8), 1)) +
    write(page(1), 5000),
}


# fuzz_registry.c: ops[] indexes and the descriptor encoding.
REG, UNREG, RFILE, LOOKUP = 0, 3, 4, 5


def desc(name_sel, page_size_sel, flags, tables, hooks, feats=0,
         ioctls=0):
    out = bytes([REG, name_sel, page_size_sel, flags, tables, hooks])
    if tables & 1:
        out += bytes([feats]) + struct.pack("<H", ioctls)
    # the descriptor (not NULL), an explanation, then register_ioctls()
    # of MISSING|WP|MINOR without WP_ASYNC, can_userfault() saying yes
    return out + bytes([0, 1, 0, 7, 2])


def bit(*nrs):
    return sum(1 << n for n in nrs)


REGISTRY = {
    "proposal-shmem-like": desc(0, 0, 1, 1, 3, 7, bit(3, 4, 6, 7, 8)) +
    bytes([RFILE, 0, 0, 16]) + bytes([UNREG, 1]),
    "proposal-anon-like": desc(8, 0, 0, 1, 0, 3, bit(3, 4, 5, 6)) +
    bytes([LOOKUP, 8]),
    "v7_1-file": desc(16, 0, 1, 2, 0x7f) + bytes([UNREG, 0x10]),
    "broken-everything": desc(5, 5, 0x02, 3, 0x55, 0x77, 0x7fff),
    "huge-file": desc(24, 3, 1, 1, 3, 7, bit(3, 6, 7, 8)),
    "builtin-name": desc(4, 0, 1, 0, 0) + bytes([UNREG, 2]),
}


def main():
    for harness, seeds in (("dispatch", DISPATCH), ("registry", REGISTRY)):
        d = os.path.join(HERE, "corpus", harness)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
