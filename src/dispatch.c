/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - the ioctl entry of a userfaultfd (fs/userfaultfd.c
 * userfaultfd_ioctl() behind fs/ioctl.c do_vfs_ioctl(), Linux 6.18): the
 * generic commands the VFS answers, the state and command checks, argument
 * copies, range validation, UFFDIO_API and UFFDIO_WAKE. Spec: ioctls.md §0,
 * §2.0, §2.1, §2.4.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/fs.h>

#include "mfill.h"
#include "move.h"
#include "trace.h"
#include "uffd.h"
#include "wp.h"

static int userfaultfd_api(struct uffdops_ctx *ctx,
			   const struct uffd_ioctl *io);
static int userfaultfd_wake(struct uffdops_ctx *ctx,
			    const struct uffd_ioctl *io);

/* A command whose last field is written back and not read. */
#define UFFD_IOCTL(_cmd, _type, _out_field, _handler)         \
	{                                                     \
		.cmd = _cmd, .name = #_cmd,                   \
		.in_size = offsetof(_type, _out_field),       \
		.out_off = offsetof(_type, _out_field),       \
		.out_size = sizeof(((_type *)0)->_out_field), \
		.handler = _handler,                          \
	}

/* A command that only reads its structure. */
#define UFFD_IOCTL_NO_OUT(_cmd, _type, _handler)                      \
	{                                                             \
		.cmd = _cmd, .name = #_cmd, .in_size = sizeof(_type), \
		.handler = _handler,                                  \
	}

/*
 * The ten commands of userfaultfd_ioctl() with the bytes each copies in and
 * the field each writes back (spec §0).
 */
static const struct uffd_ioctl_desc uffd_ioctls[] = {
	/* UFFDIO_API copies the whole structure in and out */
	{ .cmd = UFFDIO_API,
	  .name = "UFFDIO_API",
	  .in_size = sizeof(struct uffdio_api),
	  .out_size = sizeof(struct uffdio_api),
	  .handler = userfaultfd_api },
	UFFD_IOCTL(UFFDIO_REGISTER, struct uffdio_register, ioctls,
		   userfaultfd_register),
	UFFD_IOCTL_NO_OUT(UFFDIO_UNREGISTER, struct uffdio_range,
			  userfaultfd_unregister),
	UFFD_IOCTL_NO_OUT(UFFDIO_WAKE, struct uffdio_range, userfaultfd_wake),
	UFFD_IOCTL(UFFDIO_COPY, struct uffdio_copy, copy, userfaultfd_copy),
	UFFD_IOCTL(UFFDIO_ZEROPAGE, struct uffdio_zeropage, zeropage,
		   userfaultfd_zeropage),
	UFFD_IOCTL(UFFDIO_MOVE, struct uffdio_move, move, userfaultfd_move),
	UFFD_IOCTL_NO_OUT(UFFDIO_WRITEPROTECT, struct uffdio_writeprotect,
			  userfaultfd_writeprotect),
	UFFD_IOCTL(UFFDIO_CONTINUE, struct uffdio_continue, mapped,
		   userfaultfd_continue),
	UFFD_IOCTL(UFFDIO_POISON, struct uffdio_poison, updated,
		   userfaultfd_poison),
};

/* The command values carry the structure sizes of spec §0. */
_Static_assert(_IOC_SIZE(UFFDIO_API) == 24, "uffdio_api");
_Static_assert(_IOC_SIZE(UFFDIO_REGISTER) == 32, "uffdio_register");
_Static_assert(_IOC_SIZE(UFFDIO_UNREGISTER) == 16, "uffdio_range");
_Static_assert(_IOC_SIZE(UFFDIO_COPY) == 40, "uffdio_copy");
_Static_assert(_IOC_SIZE(UFFDIO_ZEROPAGE) == 32, "uffdio_zeropage");
_Static_assert(_IOC_SIZE(UFFDIO_MOVE) == 40, "uffdio_move");
_Static_assert(_IOC_SIZE(UFFDIO_WRITEPROTECT) == 24, "uffdio_writeprotect");
_Static_assert(_IOC_SIZE(UFFDIO_CONTINUE) == 32, "uffdio_continue");
_Static_assert(_IOC_SIZE(UFFDIO_POISON) == 32, "uffdio_poison");
/* ... and the fields written back sit where spec §0 says. */
_Static_assert(offsetof(struct uffdio_register, ioctls) == 24, "ioctls");
_Static_assert(offsetof(struct uffdio_copy, copy) == 32, "copy");
_Static_assert(offsetof(struct uffdio_zeropage, zeropage) == 24, "zeropage");
_Static_assert(offsetof(struct uffdio_move, move) == 32, "move");
_Static_assert(offsetof(struct uffdio_continue, mapped) == 24, "mapped");
_Static_assert(offsetof(struct uffdio_poison, updated) == 24, "updated");

/* ------------------------------------------------------------------------ */
/* Argument copies.                                                          */
/* ------------------------------------------------------------------------ */

/*
 * copy_from_user()/copy_to_user() of @len bytes at offset @off of the
 * argument: the caller's structure for uffdops_ioctl(), the context's
 * address space (a kernel-mode access) for uffdops_ioctl_uaddr().
 */
static int uffd_copy_user(const struct uffd_ioctl *io, size_t off, void *buf,
			  size_t len, bool to_user)
{
	unsigned long uaddr = io->uaddr + off;
	ssize_t done;

	if (!io->user) {
		if (!io->karg)
			return -EFAULT;
		if (to_user)
			memcpy((char *)io->karg + off, buf, len);
		else
			memcpy(buf, (const char *)io->karg + off, len);
		return 0;
	}
	if (uaddr < io->uaddr)
		return -EFAULT;
	done = to_user ? uffdops_write_mem(io->ctx->mm, uaddr, buf, len,
					   UFFDOPS_ACCESS_KERNEL) :
			 uffdops_read_mem(io->ctx->mm, uaddr, buf, len,
					  UFFDOPS_ACCESS_KERNEL);
	return done == (ssize_t)len ? 0 : -EFAULT;
}

int uffd_copy_from_user(const struct uffd_ioctl *io, size_t off, void *dst,
			size_t len)
{
	return uffd_copy_user(io, off, dst, len, false);
}

int uffd_copy_to_user(const struct uffd_ioctl *io, size_t off, const void *src,
		      size_t len)
{
	return uffd_copy_user(io, off, (void *)src, len, true);
}

/* ------------------------------------------------------------------------ */
/* Range validation.                                                         */
/* ------------------------------------------------------------------------ */

int validate_unaligned_range(struct uffdops_mm *mm, const char *op, __u64 start,
			     __u64 len)
{
	static const char kfn[] = "validate_unaligned_range";
	const __u64 task_size = UFFDOPS_TASK_SIZE;

	/* 6.18.44 no longer checks mmap_min_addr (upstream 161ce69c2c89) */
	if (trace_check(mm, op, "len is not a multiple of the page size", kfn,
			len & ~PAGE_MASK ? -EINVAL : 0, start) ||
	    trace_check(mm, op, "len is 0", kfn, !len ? -EINVAL : 0, start) ||
	    trace_check(mm, op, "start is at or above the task size", kfn,
			start >= task_size ? -EINVAL : 0, start) ||
	    trace_check(mm, op, "start + len is above the task size", kfn,
			len > task_size - start ? -EINVAL : 0, start) ||
	    trace_check(mm, op, "start + len wraps around", kfn,
			start + len <= start ? -EINVAL : 0, start))
		return -EINVAL;
	return 0;
}

int validate_range(struct uffdops_mm *mm, const char *op, __u64 start,
		   __u64 len)
{
	/* validate_range(): start page-aligned, then the unaligned checks */
	if (trace_check(mm, op, "start is not page-aligned", "validate_range",
			start & ~PAGE_MASK ? -EINVAL : 0, start))
		return -EINVAL;
	return validate_unaligned_range(mm, op, start, len);
}

/* ------------------------------------------------------------------------ */
/* The output-field and partial-progress rules of the range ioctls.          */
/* ------------------------------------------------------------------------ */

/* put_user() of the s64 result field. */
static int put_result(const struct uffd_ioctl *io, __s64 val)
{
	return uffd_copy_to_user(io, io->desc->out_off, &val, sizeof(val));
}

int uffd_mmap_changing(struct uffdops_ctx *ctx, const struct uffd_ioctl *io,
		       const char *kfn)
{
	struct uffdops_mm *mm = ctx->mm;
	int ret;

	if (!trace_check(mm, io->op, "a non-cooperative event is in flight",
			 kfn, atomic_load(&ctx->mmap_changing) ? -EAGAIN : 0,
			 0))
		return 0;
	/* userfaultfd_copy() & co: -EAGAIN in the field before reading the rest */
	if (!io->desc->out_size)
		return -EAGAIN;
	ret = put_result(io, -EAGAIN);
	return trace_check(mm, io->op, "put_user of -EAGAIN", kfn,
			   ret ? ret : -EAGAIN, 0);
}

int uffd_mmget(struct uffdops_ctx *ctx, const struct uffd_ioctl *io,
	       const char *kfn)
{
	/* userfaultfd_copy() & co: mmget_not_zero() fails once the mm has gone */
	return trace_check(ctx->mm, io->op,
			   "mmget_not_zero of the context's mm", kfn,
			   mmget_not_zero(ctx->mm) ? 0 : -ESRCH, 0);
}

int uffd_range_result(struct uffdops_ctx *ctx, const struct uffd_ioctl *io,
		      const char *kfn, __u64 dst, __u64 len, ssize_t done,
		      bool dontwake)
{
	struct uffdops_mm *mm = ctx->mm;

	/* put_user() of the result; failing, the work stays and nobody wakes */
	if (trace_check(mm, io->op, "put_user of the result", kfn,
			put_result(io, done), dst))
		return -EFAULT;
	if (done < 0)
		return (int)done;
	/* wake_userfault() of [dst, dst + done) unless DONTWAKE */
	if (!dontwake)
		wake_userfault(ctx, dst, (unsigned long)done);
	/* a short operation hides its error behind -EAGAIN */
	return trace_check(mm, io->op, "the whole range was done (else EAGAIN)",
			   kfn, (__u64)done == len ? 0 : -EAGAIN, dst);
}

/* ------------------------------------------------------------------------ */
/* UFFDIO_API and UFFDIO_WAKE.                                               */
/* ------------------------------------------------------------------------ */

static int userfaultfd_api(struct uffdops_ctx *ctx, const struct uffd_ioctl *io)
{
	static const char kfn[] = "userfaultfd_api";
	struct uffdops_mm *mm = ctx->mm;
	struct uffdio_api api;
	unsigned int expected = 0;
	__u64 features;
	int ret;

	/* A1 userfaultfd_api(): unreadable argument, nothing written */
	ret = uffd_copy_from_user(io, 0, &api, io->desc->in_size);
	if (trace_check(mm, io->op, "copy_from_user of struct uffdio_api", kfn,
			ret, 0))
		return ret;
	features = api.features;
	/* A2 userfaultfd_api(): unknown API version */
	ret = trace_check(mm, io->op, "api is not UFFD_API (0xaa)", kfn,
			  api.api != UFFD_API ? -EINVAL : 0, 0);
	if (ret)
		goto err_out;
	/* A3 userfaultfd_api(): EVENT_FORK needs capable(CAP_SYS_PTRACE) */
	ret = trace_check(mm, io->op,
			  "UFFD_FEATURE_EVENT_FORK without CAP_SYS_PTRACE",
			  "capable",
			  (features & UFFD_FEATURE_EVENT_FORK) &&
					  !atomic_load(&mm->cap_sys_ptrace) ?
				  -EPERM :
				  0,
			  0);
	if (ret)
		goto err_out;
	/* A4 userfaultfd_api(): WP_ASYNC relies on WP_UNPOPULATED */
	if (features & UFFD_FEATURE_WP_ASYNC)
		features |= UFFD_FEATURE_WP_UNPOPULATED;
	/* userfaultfd_api(): every feature of this kernel's configuration */
	api.features = UFFDOPS_API_FEATURES_6_18;
	/* A5 userfaultfd_api(): features this kernel cannot give */
	ret = trace_check(mm, io->op, "features has unsupported bits", kfn,
			  features & ~api.features ? -EINVAL : 0, 0);
	if (ret)
		goto err_out;
	api.ioctls = UFFDOPS_API_IOCTLS;
	/* A6 copy_to_user(): the answer cannot be written, ctx stays CREATED */
	ret = uffd_copy_to_user(io, 0, &api, io->desc->out_size);
	if (trace_check(mm, io->op, "copy_to_user of the answer",
			"copy_to_user", ret, 0))
		return ret;
	/* A7 userfaultfd_api(): cmpxchg(): only the first handshake counts */
	ret = trace_check(mm, io->op, "context already initialized", kfn,
			  atomic_compare_exchange_strong(
				  &ctx->features, &expected,
				  (unsigned int)features |
					  UFFD_FEATURE_INITIALIZED) ?
				  0 :
				  -EINVAL,
			  0);
	if (ret)
		goto err_out;
	return 0;
err_out:
	/* userfaultfd_api(): every refusal zeroes the caller's structure */
	memset(&api, 0, sizeof(api));
	if (uffd_copy_to_user(io, 0, &api, sizeof(api)))
		ret = -EFAULT;
	return ret;
}

static int userfaultfd_wake(struct uffdops_ctx *ctx,
			    const struct uffd_ioctl *io)
{
	struct uffdio_range range;
	int ret;

	/* K1 userfaultfd_wake(): unreadable argument */
	ret = uffd_copy_from_user(io, 0, &range, io->desc->in_size);
	if (trace_check(ctx->mm, io->op,
			"copy_from_user of struct uffdio_range",
			"userfaultfd_wake", ret, 0))
		return ret;
	/* K2 validate_range() */
	ret = validate_range(ctx->mm, io->op, range.start, range.len);
	if (ret)
		return ret;
	/* K3 wake_userfault(): no VMA lookup, no mmap_changing check */
	wake_userfault(ctx, range.start, range.len);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The entry.                                                                */
/* ------------------------------------------------------------------------ */

/*
 * do_vfs_ioctl(): the generic commands answered before the file's own
 * ioctl, in any state. Returns 1 when @cmd is not one of them.
 */
static int do_vfs_ioctl(struct uffdops_ctx *ctx, unsigned int cmd,
			struct uffd_ioctl *io)
{
	const int blksize = (int)PAGE_SIZE;
	int on, ret;

	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		/* do_vfs_ioctl(): set_close_on_exec() */
		io->op = cmd == FIOCLEX ? "FIOCLEX" : "FIONCLEX";
		if (cmd == FIOCLEX)
			atomic_fetch_or(&ctx->f_flags, O_CLOEXEC);
		else
			atomic_fetch_and(&ctx->f_flags, ~O_CLOEXEC);
		ret = 0;
		break;
	case FIONBIO:
		/* ioctl_fionbio(): get_user() then O_NONBLOCK on or off */
		io->op = "FIONBIO";
		ret = uffd_copy_from_user(io, 0, &on, sizeof(on));
		if (ret)
			break;
		if (on)
			atomic_fetch_or(&ctx->f_flags, O_NONBLOCK);
		else
			atomic_fetch_and(&ctx->f_flags, ~O_NONBLOCK);
		break;
	case FIOASYNC:
		/* ioctl_fioasync(): a userfaultfd has no ->fasync */
		io->op = "FIOASYNC";
		ret = uffd_copy_from_user(io, 0, &on, sizeof(on));
		if (!ret && on)
			ret = -ENOTTY;
		break;
	case FIGETBSZ:
		/* do_vfs_ioctl(): put_user() of the anon inode's block size */
		io->op = "FIGETBSZ";
		ret = uffd_copy_to_user(io, 0, &blksize, sizeof(blksize));
		break;
	case FIOQSIZE:
		/* do_vfs_ioctl(): only directories, files and links have a size */
		io->op = "FIOQSIZE";
		ret = -ENOTTY;
		break;
	default:
		return 1;
	}
	return trace_check(ctx->mm, io->op, "generic ioctl answered by the VFS",
			   "do_vfs_ioctl", ret, 0);
}

static const struct uffd_ioctl_desc *uffd_ioctl_decode(unsigned int cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(uffd_ioctls); i++)
		if (uffd_ioctls[i].cmd == cmd)
			return &uffd_ioctls[i];
	return NULL;
}

/* userfaultfd_ioctl() behind do_vfs_ioctl(). */
static int userfaultfd_ioctl(struct uffdops_ctx *ctx, unsigned long cmd_arg,
			     struct uffd_ioctl *io)
{
	static const char kfn[] = "userfaultfd_ioctl";
	/* ioctl(2): the command is an unsigned int */
	unsigned int cmd = (unsigned int)cmd_arg;
	struct uffdops_mm *mm = ctx->mm;
	int ret;

	ret = do_vfs_ioctl(ctx, cmd, io);
	if (ret <= 0)
		return ret;
	io->desc = uffd_ioctl_decode(cmd);
	io->op = io->desc ? io->desc->name : "ioctl";
	/* D1 userfaultfd_ioctl(): before UFFDIO_API only UFFDIO_API, known or not */
	if (trace_check(mm, io->op, "context not initialized by UFFDIO_API",
			kfn,
			cmd != UFFDIO_API && !userfaultfd_is_initialized(ctx) ?
				-EINVAL :
				0,
			0))
		return -EINVAL;
	/* D2 userfaultfd_ioctl(): exactly one of the ten values, size included */
	if (trace_check(mm, io->op, "command is one of the ten UFFDIO_* values",
			kfn, io->desc ? 0 : -EINVAL, 0))
		return -EINVAL;
	return io->desc->handler(ctx, io);
}

int uffdops_ioctl(struct uffdops_ctx *ctx, unsigned long cmd, void *arg)
{
	struct uffd_ioctl io = { .ctx = ctx, .karg = arg };
	int ret;

	if (!ctx)
		return -EBADF;
	userfaultfd_fget(ctx);
	ret = userfaultfd_ioctl(ctx, cmd, &io);
	userfaultfd_fput(ctx);
	return ret;
}

int uffdops_ioctl_uaddr(struct uffdops_ctx *ctx, unsigned long cmd,
			unsigned long uaddr)
{
	struct uffd_ioctl io = { .ctx = ctx, .uaddr = uaddr, .user = true };
	int ret;

	if (!ctx)
		return -EBADF;
	userfaultfd_fget(ctx);
	ret = userfaultfd_ioctl(ctx, cmd, &io);
	userfaultfd_fput(ctx);
	return ret;
}
