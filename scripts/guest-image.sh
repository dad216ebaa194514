#!/usr/bin/env bash
# scripts/guest-image.sh — build the Linux guest of issue 5 from Debian's
# packages: Debian's i386 kernel (linux-image-<version>-686, the package the
# linux-image-686 metapackage depends on) and a busybox initramfs.
#
# Usage: scripts/guest-image.sh [OUTDIR]        (default: build/guest)
#
# It leaves in OUTDIR:
#   bzImage                the kernel (boot protocol 2.x bzImage)
#   initramfs.cpio.gz      cpio newc, gzip: /bin/busybox + applet links,
#                          /dev /proc /sys /tmp /root, and /init (below)
#   initramfs/             the tree the archive is made from
#   debs/                  the downloaded .debs, reused on later runs
#   initramfs.extra        what GUEST_EXTRA_DIR held at the last build
#
# Environment (both optional; without them the default image is built):
#   GUEST_EXTRA_DIR=DIR    also copy DIR's files into the initramfs as /bench
#                          (bench/linux/run.sh puts its workloads there; use
#                          another OUTDIR so build/guest stays the default)
#   GUEST_DEBS=DIR         the .deb cache (default OUTDIR/debs), so a second
#                          OUTDIR can share the first one's downloads
#
# The first run needs Debian's archive: it adds the i386 architecture to
# dpkg, runs apt-get update if the i386 package lists are missing, and
# downloads the two .debs into OUTDIR/debs. Later runs use the cached .debs
# and work offline; delete OUTDIR/debs to fetch the current versions again.
# Idempotent: a run rebuilds bzImage or the initramfs only when it is older
# than its .deb (or, for the initramfs, than this script).
#
# The guest's /init mounts proc, sysfs and devtmpfs, prints the marker line
#   btmon-guest: init ready
# and then, if the kernel command line holds btmon.cmd=BASE64, runs the
# base64-decoded text with `sh -c`, prints
#   btmon-guest: command exit status N
# and powers the machine off. Without btmon.cmd it starts an interactive
# shell on the console and powers off when the shell exits. "Power off" is
# poweroff -f when the kernel found ACPI, else reboot -f: on an ISA PC
# (btmon, qemu -M isapc) poweroff only halts the CPU, while a reboot ends
# btmon or QEMU run with -no-reboot.
# Base64 keeps spaces, quotes and ';' out of the kernel command line:
#   -append "console=ttyS0 btmon.cmd=$(printf %s 'uname -a' | base64 -w0)"
set -euo pipefail
self=$(realpath "$0")
out=$(realpath -m "${1:-$(dirname "$self")/../build/guest}")
cd "$(dirname "$self")/.."
debs=$(realpath -m "${GUEST_DEBS:-$out/debs}")
extra=
if [ -n "${GUEST_EXTRA_DIR:-}" ]; then
	[ -d "$GUEST_EXTRA_DIR" ] || { echo "guest-image: GUEST_EXTRA_DIR=$GUEST_EXTRA_DIR is not a directory" >&2; exit 1; }
	extra=$(realpath "$GUEST_EXTRA_DIR")
fi
marker="btmon-guest: init ready"

sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)

die() { echo "guest-image: $*" >&2; exit 1; }

# Install a host tool's Debian package if the tool is missing.
need_tool() {   # need_tool COMMAND PACKAGE
	command -v "$1" >/dev/null && return 0
	echo "guest-image: installing $2" >&2
	local install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2")
	if ! "${install[@]}" >/dev/null 2>&1; then
		"${sudo[@]}" apt-get update -qq || true   # stale or missing lists
		"${install[@]}" >/dev/null ||
			die "cannot install $2 (needed for $1): is Debian's archive reachable?"
	fi
}

# The newest cached .deb whose file name matches a glob, or nothing.
cached_deb() {   # cached_deb GLOB
	local f
	f=$(find "$debs" -maxdepth 1 -name "$1" 2>/dev/null | sort -V | tail -n 1)
	[ -n "$f" ] && echo "$f"
	return 0
}

# Make apt able to see i386 packages: the architecture, then the lists.
apt_prepare_i386() {
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		echo "guest-image: adding the i386 architecture to dpkg" >&2
		"${sudo[@]}" dpkg --add-architecture i386
	fi
	if ! compgen -G "/var/lib/apt/lists/*_binary-i386_Packages*" >/dev/null; then
		echo "guest-image: apt-get update (i386 package lists)" >&2
		# A partial failure (one mirror mid-sync) still leaves usable lists.
		"${sudo[@]}" apt-get update -qq ||
			echo "guest-image: apt-get update reported errors; trying the lists it got" >&2
		compgen -G "/var/lib/apt/lists/*_binary-i386_Packages*" >/dev/null ||
			die "apt-get update fetched no i386 package lists: cannot reach Debian's archive"
	fi
}

# The versioned kernel package linux-image-686 depends on, e.g.
# linux-image-6.1.0-41-686.
kernel_package() {
	local pkg
	pkg=$(apt-cache depends linux-image-686:i386 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*-686\)\(:i386\)\{0,1\}$/\1/p' | head -n 1)
	[ -n "$pkg" ] || die "apt-cache knows no linux-image-686:i386 (package linux-image-686): are Debian's i386 lists there?"
	echo "$pkg"
}

# Download PACKAGE (i386) into the cache, or fail naming it.
download() {   # download PACKAGE
	echo "guest-image: downloading $1:i386" >&2
	(cd "$debs" && apt-get download -qq "$1:i386" >/dev/null 2>&1) ||
		die "cannot download $1:i386 from Debian's archive (is it reachable?); after one successful download, $debs lets this script work offline"
}

fetch_debs() {
	mkdir -p "$debs"
	kernel_deb=$(cached_deb 'linux-image-*-686_*_i386.deb')
	busybox_deb=$(cached_deb 'busybox-static_*_i386.deb')
	if [ -z "$kernel_deb" ] || [ -z "$busybox_deb" ]; then
		apt_prepare_i386
	fi
	if [ -z "$kernel_deb" ]; then
		download "$(kernel_package)"
		kernel_deb=$(cached_deb 'linux-image-*-686_*_i386.deb')
	fi
	if [ -z "$busybox_deb" ]; then
		download busybox-static
		busybox_deb=$(cached_deb 'busybox-static_*_i386.deb')
	fi
	[ -n "$kernel_deb" ] || die "no linux-image-*-686 .deb in $debs after the download"
	[ -n "$busybox_deb" ] || die "no busybox-static .deb in $debs after the download"
}

# Applets for the links when the host cannot run the i386 busybox (no IA32
# emulation): the ones /init and the tests use, and the usual tools.
fallback_applets=(
	sh ash cat echo printf ls mkdir rmdir rm cp mv ln mount umount mknod
	poweroff reboot halt setsid cttyhack base64 uname dmesg grep sed awk
	head tail wc sort uniq cut tr find xargs gzip gunzip zcat md5sum
	sha256sum dd date sleep true false test '[' '[[' env ps kill free
	df du stat hostname id seq expr time tee touch chmod chown stty
	vi less more hexdump od which clear reset sync yes basename dirname
)

# The applet names of the busybox binary BUSYBOX, one a line.
applets() {   # applets BUSYBOX
	if "$1" --list 2>/dev/null; then
		return 0
	fi
	echo "guest-image: cannot run the i386 busybox here (no IA32 emulation?): using a fixed applet list" >&2
	printf '%s\n' "${fallback_applets[@]}"
}

write_init() {   # write_init PATH
	cat >"$1" <<EOF
#!/bin/sh
# /init — btmon's guest init, written by scripts/guest-image.sh.
export PATH=/bin HOME=/root

# Power off where the machine can (ACPI); an ISA PC without ACPI only halts
# on poweroff, so reboot there: with -no-reboot, btmon and QEMU then exit.
# stty first: tcsetattr(TCSADRAIN) waits until the console output is sent.
power_off() {
	stty sane 2>/dev/null
	if [ -d /sys/firmware/acpi ]; then poweroff -f; else reboot -f; fi
}
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
hostname btmon-guest
echo "$marker"

# btmon.cmd=BASE64 on the kernel command line: run it, report, power off.
cmd=
for arg in \$(cat /proc/cmdline); do
	case "\$arg" in
	btmon.cmd=*) cmd=\${arg#btmon.cmd=} ;;
	esac
done
if [ -n "\$cmd" ]; then
	if script=\$(echo "\$cmd" | base64 -d); then
		sh -c "\$script"
		status=\$?
	else
		echo "btmon-guest: btmon.cmd is not valid base64"
		status=127
	fi
	echo "btmon-guest: command exit status \$status"
	power_off
fi

# No command: an interactive shell with the serial port as controlling tty.
echo "btmon-guest: interactive shell; exit it to power off"
setsid cttyhack sh -l
power_off
EOF
	chmod 755 "$1"
}

build_initramfs() {
	local root=$out/initramfs busybox=$out/busybox-root/bin/busybox a
	rm -rf "$root"
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,root,etc}
	cp "$busybox" "$root/bin/busybox"
	applets "$busybox" | while read -r a; do
		case "$a" in
		busybox | */* | '') ;;
		*) ln -sf busybox "$root/bin/$a" ;;
		esac
	done
	ln -sf bin "$root/sbin"
	echo 'export PS1="btmon-guest:\w# "' >"$root/etc/profile"
	write_init "$root/init"
	if [ -n "$extra" ]; then
		mkdir -p "$root/bench"
		cp -R "$extra/." "$root/bench/"
	fi
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc --owner=0:0 --reproducible) |
		gzip -9n >"$out/initramfs.cpio.gz.tmp"
	mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
}

# Extract the kernel's vmlinuz as OUTDIR/bzImage.
build_kernel() {
	local vmlinuz
	rm -rf "$out/kernel-root"
	mkdir -p "$out/kernel-root"
	# Only boot/ of the kernel package: its modules are not used.
	dpkg-deb --fsys-tarfile "$kernel_deb" |
		tar -x -C "$out/kernel-root" --wildcards './boot/vmlinuz-*'
	vmlinuz=$(find "$out/kernel-root/boot" -name 'vmlinuz-*' | head -n 1)
	[ -n "$vmlinuz" ] || die "$kernel_deb holds no boot/vmlinuz-*"
	cp "$vmlinuz" "$out/bzImage"
	rm -rf "$out/kernel-root"
	echo "guest-image: built $out/bzImage ($(basename "$vmlinuz"), from $(basename "$kernel_deb"))"
}

# What GUEST_EXTRA_DIR holds (names, sizes, times), or "none": a change
# in it, or a build with or without it, rebuilds the initramfs.
extra_signature() {
	if [ -z "$extra" ]; then
		echo none
	else
		(cd "$extra" && find . -type f -printf '%p %s %T@\n' | LC_ALL=C sort | md5sum)
	fi
}

need_tool cpio cpio
fetch_debs
# Rebuild what is older than its inputs (the .debs, and this script for /init).
if [ "$out/bzImage" -nt "$kernel_deb" ]; then
	echo "guest-image: $out/bzImage is up to date ($(basename "$kernel_deb"))"
else
	build_kernel
fi
initramfs=$out/initramfs.cpio.gz
extra_sig=$(extra_signature)
if [ "$initramfs" -nt "$busybox_deb" ] && [ "$initramfs" -nt "$self" ] &&
	[ "$(cat "$out/initramfs.extra" 2>/dev/null)" = "$extra_sig" ]; then
	echo "guest-image: $initramfs is up to date ($(basename "$busybox_deb"))"
else
	rm -rf "$out/busybox-root"
	dpkg-deb -x "$busybox_deb" "$out/busybox-root"
	build_initramfs
	echo "$extra_sig" >"$out/initramfs.extra"
	rm -rf "$out/busybox-root"
	echo "guest-image: built $initramfs ($(stat -c %s "$initramfs") bytes, busybox from $(basename "$busybox_deb"))"
fi
