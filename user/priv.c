/* Least privilege: the calling thread's capability sets, read and reduced with
 * the raw capget/capset syscalls and prctl (libcap would be a dependency for
 * about sixty lines). */
#include "user/priv.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* capability(7) names, indexed by number; the kernel may know more. */
static const char *const cap_names[] = {
	"cap_chown",
	"cap_dac_override",
	"cap_dac_read_search",
	"cap_fowner",
	"cap_fsetid",
	"cap_kill",
	"cap_setgid",
	"cap_setuid",
	"cap_setpcap",
	"cap_linux_immutable",
	"cap_net_bind_service",
	"cap_net_broadcast",
	"cap_net_admin",
	"cap_net_raw",
	"cap_ipc_lock",
	"cap_ipc_owner",
	"cap_sys_module",
	"cap_sys_rawio",
	"cap_sys_chroot",
	"cap_sys_ptrace",
	"cap_sys_pacct",
	"cap_sys_admin",
	"cap_sys_boot",
	"cap_sys_nice",
	"cap_sys_resource",
	"cap_sys_time",
	"cap_sys_tty_config",
	"cap_mknod",
	"cap_lease",
	"cap_audit_write",
	"cap_audit_control",
	"cap_setfcap",
	"cap_mac_override",
	"cap_mac_admin",
	"cap_syslog",
	"cap_wake_alarm",
	"cap_block_suspend",
	"cap_audit_read",
	"cap_perfmon",
	"cap_bpf",
	"cap_checkpoint_restore",
};

/* Version 3 carries 64 bits as two 32-bit words per set. */
static int get_sets(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d) == -1 ? -errno : 0;
}

static uint64_t join(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

int sg_priv_read(struct sg_priv_caps *out)
{
	struct __user_cap_data_struct d[2];
	int rc = get_sets(d);

	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->effective = join(d[0].effective, d[1].effective);
	out->permitted = join(d[0].permitted, d[1].permitted);
	out->inheritable = join(d[0].inheritable, d[1].inheritable);
	/* Both prctls answer EINVAL past the kernel's last capability. */
	for (int c = 0; c < 64; c++) {
		int b = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (b == -1)
			break;
		if (b == 1)
			out->bounding |= SG_PRIV_CAP(c);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
			out->ambient |= SG_PRIV_CAP(c);
	}
	out->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	return 0;
}

/* Drops every bounding-set capability not in keep. 0 when done or when the
 * thread may not (no CAP_SETPCAP: the set stays as the parent left it). */
static int shrink_bounding(uint64_t keep, uint64_t effective)
{
	if (!(effective & SG_PRIV_CAP(CAP_SETPCAP)))
		return 0;
	for (int c = 0; c < 64; c++) {
		int b = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (b == -1)
			break;
		if (b == 1 && !(keep & SG_PRIV_CAP(c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1)
			return -errno;
	}
	return 0;
}

int sg_priv_drop(uint64_t keep, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t kept;
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		rc = -errno;
		snprintf(err, errlen, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(-rc));
		return rc;
	}
	rc = get_sets(d);
	if (rc) {
		snprintf(err, errlen, "capget: %s", strerror(-rc));
		return rc;
	}
	/* Before capset: dropping from the bounding set needs CAP_SETPCAP in
	 * the effective set, which capset is about to remove. */
	rc = shrink_bounding(keep, join(d[0].effective, d[1].effective));
	if (rc) {
		snprintf(err, errlen, "prctl(PR_CAPBSET_DROP): %s", strerror(-rc));
		return rc;
	}
	/* Kernels before 4.3 have no ambient set, hence nothing to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 && errno != EINVAL) {
		rc = -errno;
		snprintf(err, errlen, "prctl(PR_CAP_AMBIENT_CLEAR_ALL): %s", strerror(-rc));
		return rc;
	}
	kept = keep & join(d[0].permitted, d[1].permitted);
	for (int i = 0; i < 2; i++) {
		d[i].permitted = d[i].effective = (uint32_t)(kept >> (32 * i));
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d) == -1) {
		rc = -errno;
		snprintf(err, errlen, "capset: %s", strerror(-rc));
		return rc;
	}
	return 0;
}

const char *sg_priv_names(uint64_t caps, char *buf, size_t len)
{
	size_t off = 0;
	int n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (caps == 0) {
		snprintf(buf, len, "none");
		return buf;
	}
	for (unsigned c = 0; c < 64 && off < len; c++) {
		if (!(caps & SG_PRIV_CAP(c)))
			continue;
		if (c < sizeof(cap_names) / sizeof(cap_names[0]))
			n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", cap_names[c]);
		else
			n = snprintf(buf + off, len - off, "%scap_%u", off ? "," : "", c);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}
