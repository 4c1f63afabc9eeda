#!/bin/bash
# Builds tsqemu's default riscv64 guest from Debian's packages alone and writes it, compressed,
# to images/ (and OpenSBI to pc-bios/):
#   images/Image.gz            Linux 6.12 (Debian linux-source-6.12, bookworm-security): tinyconfig + scripts/guest-kernel.config
#   images/initramfs.cpio.gz   static BusyBox (Debian's source) + static mmc-utils + scripts/guest-init
#   images/busybox.gz          the same static riscv64 BusyBox, for user-mode tests
#   pc-bios/opensbi-riscv64-generic-fw_dynamic.bin   OpenSBI 1.6 generic fw_dynamic, from Debian
#                              trixie's opensbi package (bookworm's 1.1 cannot boot Linux with
#                              aia=aplic-imsic and never grants the seed CSR to S-mode)
# Needs root (apt-get) and about 30 minutes on 2 cores.
# Usage: scripts/build-guest.sh [--firmware-only] [WORKDIR]   (--firmware-only: OpenSBI alone, seconds)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
firmware_only=
if [ "${1:-}" = --firmware-only ]; then firmware_only=1; shift; fi
work=${1:-$(mktemp -d)}
mkdir -p "$work"; work=$(cd "$work" && pwd)
export DEBIAN_FRONTEND=noninteractive
cross=riscv64-linux-gnu-
# Packages come from the archive this machine's own apt configuration names for its release
# (a deb822 .sources stanza or a one-line .list entry): no host is named here.
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
src=$(awk -v rel="$codename" '
  /^[[:space:]]*$/ { if (t ~ /(^| )deb( |$)/ && (" " s " ") ~ (" " rel " ") && u != "") { print u "\t" k; exit } t = u = s = k = ""; next }
  /^Types:/ { t = substr($0, 8) } /^URIs:/ { u = $2 } /^Suites:/ { s = substr($0, 9) } /^Signed-By:/ { k = $2 }
  END { if (t ~ /(^| )deb( |$)/ && (" " s " ") ~ (" " rel " ") && u != "") print u "\t" k }
' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
if [ -z "$src" ]; then
  src=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v rel="$codename" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == rel) { print $i "\t"; exit } }')
fi
[ -n "$src" ] || { echo "build-guest.sh: no apt source for '$codename' in /etc/apt" >&2; exit 1; }
uri=${src%%$'\t'*}; key=${src#*$'\t'}

# OpenSBI: Debian trixie's opensbi (1.6), fetched by apt from the same archive with a private
# apt state under $work (the machine's own sources and package lists stay as they are). apt
# checks the trixie Release signature (debian-archive-keyring has the trixie keys) and the .deb's
# SHA256 from the signed Packages index; the version is checked before anything is extracted.
opensbi_firmware() {
  local a=$work/apt-trixie
  rm -rf "$a"; mkdir -p "$a/parts" "$a/lists/partial" "$a/cache/archives/partial"
  { echo 'Types: deb'; echo "URIs: $uri"; echo 'Suites: trixie'; echo 'Components: main'
    if [ -n "$key" ]; then echo "Signed-By: $key"; fi; } > "$a/parts/trixie.sources"
  local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$a/parts" -o "Dir::State::Lists=$a/lists"
    -o "Dir::Cache=$a/cache" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq
  ( cd "$a" && apt-get "${opts[@]}" download -qq opensbi )
  local deb; deb=$(ls "$a"/opensbi_*_all.deb)
  local ver; ver=$(dpkg-deb -f "$deb" Version)
  case $ver in 1.6*) ;; *) echo "build-guest.sh: trixie's opensbi is $ver, expected 1.6" >&2; exit 1 ;; esac
  rm -rf "$a/x"; dpkg-deb -x "$deb" "$a/x"
  cp "$a/x/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin" "$top/pc-bios/opensbi-riscv64-generic-fw_dynamic.bin"
  echo "OpenSBI: $(basename "$deb") (sha256 $(sha256sum "$deb" | cut -d' ' -f1))"
}
sums() {
  ( cd "$top" && sha256sum images/Image.gz images/initramfs.cpio.gz images/busybox.gz \
      pc-bios/opensbi-riscv64-generic-fw_dynamic.bin > images/SHA256SUMS )
}
if [ -n "$firmware_only" ]; then opensbi_firmware; sums; exit 0; fi

if ! grep -rqs -e '^Types:.*deb-src' -e '^deb-src ' /etc/apt/sources.list.d/ /etc/apt/sources.list; then
  { echo 'Types: deb-src'; echo "URIs: $uri"; echo "Suites: $codename"; echo 'Components: main'
    if [ -n "$key" ]; then echo "Signed-By: $key"; fi; } > /etc/apt/sources.list.d/tsqemu-src.sources
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends gcc-riscv64-linux-gnu libc6-dev-riscv64-cross \
  linux-source-6.12 bc flex bison libssl-dev cpio xz-utils make dpkg-dev >/dev/null
cd "$work"

# Linux
[ -d linux-source-6.12 ] || tar xf /usr/src/linux-source-6.12.tar.xz
( cd linux-source-6.12
  make ARCH=riscv CROSS_COMPILE=$cross tinyconfig >/dev/null
  scripts/kconfig/merge_config.sh -m -O . .config "$top/scripts/guest-kernel.config" >/dev/null
  make ARCH=riscv CROSS_COMPILE=$cross olddefconfig >/dev/null
  make ARCH=riscv CROSS_COMPILE=$cross -j"$(nproc)" Image >/dev/null )
gzip -9n -c linux-source-6.12/arch/riscv/boot/Image > "$top/images/Image.gz"

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

opensbi_firmware
sums
echo "built in $work"
