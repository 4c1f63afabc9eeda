#!/bin/sh -e
# Build an eMMC image for `-device emmc` (tsqemu and QEMU 10.2): the partitions concatenated in
# the order QEMU 10.2 expects, [boot0][boot1][RPMB][user data], and print the matching -device.
# Our own script with the interface of QEMU's scripts/mkemmc.sh.
#
# usage: mkemmc.sh [-b BOOT1_IMG[:SIZE]] [-B BOOT2_IMG[:SIZE]] [-r RPMB_IMG[:SIZE]] USER_IMG[:SIZE] OUTPUT_IMG
#   An image name may be empty (":1M"): that partition is zero-filled.
#   Boot and RPMB SIZEs: multiples of 128K, at most 32640K (the EXT_CSD size fields count 128K units).
#   USER SIZE: a power of 2 up to 2G, a multiple of 512 above. Default: the image's size (rounded up).
#   Both boot partitions have boot1's size. Any stale OUTPUT_IMG.rpmb (tsqemu's RPMB key and counter)
#   is removed: a new image is a part whose key was never programmed.

usage() {
    sed -n '6,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

die() { echo "mkemmc.sh: $*" >&2; exit 1; }

# size_of SPEC: bytes of "1M", "128K", "4096", "2G"
to_bytes() {
    case "$1" in
        *[Kk]) echo $(( ${1%?} * 1024 )) ;;
        *[Mm]) echo $(( ${1%?} * 1024 * 1024 )) ;;
        *[Gg]) echo $(( ${1%?} * 1024 * 1024 * 1024 )) ;;
        *[!0-9]*|'') die "invalid size '$1'" ;;
        *) echo "$1" ;;
    esac
}

file_size() { [ -z "$1" ] && echo 0 || wc -c < "$1"; }

# split IMG[:SIZE] into IMG and SIZE (bytes; default the file's size rounded up to UNIT)
split_spec() {
    img=${1%%:*}
    case "$1" in *:*) sz=$(to_bytes "${1#*:}"); explicit=1 ;; *) sz=$(file_size "$img"); explicit= ;; esac
    [ -z "$img" ] || [ -f "$img" ] || die "$img: no such file"
    [ "$(file_size "$img")" -le "$sz" ] || die "$img is larger than its partition ($sz bytes)"
}

round_up() { echo $(( ($1 + $2 - 1) / $2 * $2 )); }

check_128k() {
    [ $(( $1 % 131072 )) -eq 0 ] || die "$2 size $1 is not a multiple of 128K"
    [ "$1" -le $(( 255 * 131072 )) ] || die "$2 size $1 is above 32640K"
}

boot1= boot1_sz=0 boot2= boot2_sz=0 rpmb= rpmb_sz=0 have_boot2=
while getopts b:B:r:h opt; do
    case $opt in
        b) split_spec "$OPTARG"; boot1=$img; boot1_sz=$sz; [ -n "$explicit" ] || boot1_sz=$(round_up "$sz" 131072) ;;
        B) split_spec "$OPTARG"; boot2=$img; boot2_sz=$sz; have_boot2=1 ;;
        r) split_spec "$OPTARG"; rpmb=$img; rpmb_sz=$sz; [ -n "$explicit" ] || rpmb_sz=$(round_up "$sz" 131072) ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage
split_spec "$1"
user=$img user_sz=$sz
out=$2

if [ -z "$explicit" ]; then
    # no SIZE: the next power of 2 up to 2G, a multiple of 512 above
    if [ "$user_sz" -le $((2 * 1024 * 1024 * 1024)) ]; then
        p=512; while [ "$p" -lt "$user_sz" ]; do p=$((p * 2)); done; user_sz=$p
    else
        user_sz=$(round_up "$user_sz" 512)
    fi
fi
[ "$user_sz" -gt 0 ] || die "the user data area must not be empty"
if [ "$user_sz" -le $((2 * 1024 * 1024 * 1024)) ]; then
    [ $((user_sz & (user_sz - 1))) -eq 0 ] || die "user data size $user_sz is not a power of 2"
else
    [ $((user_sz % 512)) -eq 0 ] || die "user data size $user_sz is not a multiple of 512"
fi
[ "$boot1_sz" -eq 0 ] || check_128k "$boot1_sz" boot
[ "$rpmb_sz" -eq 0 ] || check_128k "$rpmb_sz" RPMB
[ -z "$have_boot2" ] || [ "$boot2_sz" -le "$boot1_sz" ] || die "boot2 is larger than the boot partitions ($boot1_sz bytes)"
[ -n "$have_boot2" ] && [ "$boot1_sz" -eq 0 ] && die "-B needs -b (both boot partitions have one size)"

rm -f "$out" "$out.rpmb"
: > "$out"
put() { # put IMG OFFSET
    [ -z "$1" ] || dd if="$1" of="$out" bs=512 seek=$(($2 / 512)) conv=notrunc status=none
}
off=0
put "$boot1" $off; off=$((off + boot1_sz))
put "$boot2" $off; off=$((off + boot1_sz))
put "$rpmb" $off; off=$((off + rpmb_sz))
put "$user" $off; off=$((off + user_sz))
truncate -s "$off" "$out"

echo "-drive file=$out,if=none,format=raw,id=emmc-img -device emmc,drive=emmc-img,boot-partition-size=$boot1_sz,rpmb-partition-size=$rpmb_sz"
