#!/bin/bash
# Builds tsqemu's default riscv64 guest from Debian's packages alone and writes it, compressed,
# to images/ (and OpenSBI to pc-bios/):
#   images/Image.gz            Linux 6.1 (Debian linux-source-6.1): tinyconfig + scripts/guest-kernel.config
#   images/initramfs.cpio.gz   static BusyBox (Debian's source) + static mmc-utils + scripts/guest-init
#   images/busybox.gz          the same static riscv64 BusyBox, for user-mode tests
#   pc-bios/opensbi-riscv64-generic-fw_dynamic.bin   Debian's opensbi generic fw_dynamic
# Needs root (apt-get) and about 30 minutes on 2 cores. Usage: scripts/build-guest.sh [WORKDIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"; work=$(cd "$work" && pwd)
export DEBIAN_FRONTEND=noninteractive
cross=riscv64-linux-gnu-
if ! grep -rqs '^Types: deb-src' /etc/apt/sources.list.d/ /etc/apt/sources.list; then
  cat > /etc/apt/sources.list.d/tsqemu-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc-riscv64-linux-gnu libc6-dev-riscv64-cross \
  linux-source-6.1 opensbi bc flex bison libssl-dev cpio xz-utils make dpkg-dev >/dev/null
cd "$work"

# Linux
[ -d linux-source-6.1 ] || tar xf /usr/src/linux-source-6.1.tar.xz
( cd linux-source-6.1
  make ARCH=riscv CROSS_COMPILE=$cross tinyconfig >/dev/null
  scripts/kconfig/merge_config.sh -m -O . .config "$top/scripts/guest-kernel.config" >/dev/null
  make ARCH=riscv CROSS_COMPILE=$cross olddefconfig >/dev/null
  make ARCH=riscv CROSS_COMPILE=$cross -j"$(nproc)" Image >/dev/null )
gzip -9n -c linux-source-6.1/arch/riscv/boot/Image > "$top/images/Image.gz"

# BusyBox, static
[ -d busybox-1.35.0 ] || apt-get source -qq busybox >/dev/null
( cd busybox-1.35.0
  make ARCH=riscv CROSS_COMPILE=$cross defconfig >/dev/null
  sed -i 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/; s/^CONFIG_TC=y/# CONFIG_TC is not set/' .config
  make ARCH=riscv CROSS_COMPILE=$cross -j"$(nproc)" busybox >/dev/null )
gzip -9n -c busybox-1.35.0/busybox > "$top/images/busybox.gz"

# mmc-utils, static (eMMC / RPMB tests inside the guest)
[ -d mmc-utils-0+git20220624.d7b343fd ] || apt-get source -qq mmc-utils >/dev/null
( cd mmc-utils-0+git20220624.d7b343fd
  make CC=${cross}gcc CFLAGS="-O2 -static -D_FILE_OFFSET_BITS=64 -Wno-error" LDFLAGS=-static mmc >/dev/null )

# initramfs
root=$work/rootfs
rm -rf "$root"; mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,mnt,root,usr/bin,usr/sbin}
cp busybox-1.35.0/busybox "$root/bin/busybox"
cp mmc-utils-0+git20220624.d7b343fd/mmc "$root/usr/sbin/mmc"
ln -s busybox "$root/bin/sh"
cp "$top/scripts/guest-init" "$root/init"; chmod 755 "$root/init"
( cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --owner 0:0 2>/dev/null | gzip -9n ) > "$top/images/initramfs.cpio.gz"

cp /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin "$top/pc-bios/opensbi-riscv64-generic-fw_dynamic.bin"
( cd "$top" && sha256sum images/Image.gz images/initramfs.cpio.gz images/busybox.gz \
    pc-bios/opensbi-riscv64-generic-fw_dynamic.bin > images/SHA256SUMS )
echo "built in $work"
