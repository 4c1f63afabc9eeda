#!/bin/sh
# Go standard library tests (Debian's Go, GOARCH=riscv64 go test -c) under qemu-riscv64 and
# tsqemu-riscv64, side by side: exit status, failed test count, wall time and peak RSS of each.
# Long (minutes per package under tsqemu). Usage: scripts/go-stdlib-tests.sh [PKG...]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
pkgs=${*:-"strings bytes sort strconv math math/big encoding/json regexp compress/flate crypto/sha256 sync sync/atomic time os os/exec bufio fmt context net/http"}
work=${TMPDIR:-/tmp}/tsqemu-go-stdlib
mkdir -p "$work"
printf '%-16s %-28s %-28s %s\n' package qemu-riscv64 tsqemu-riscv64 same
for p in $pkgs; do
  n=$(echo "$p" | tr / _)
  GOARCH=riscv64 CGO_ENABLED=0 go test -c -o "$work/$n.test" "$p" >"$work/$n.build" 2>&1 || { echo "$p: build failed"; continue; }
  for e in qemu ts; do
    if [ $e = qemu ]; then set -- qemu-riscv64; else set -- "${TSQEMU_USER_BIN:-$root/bin/tsqemu-riscv64}"; fi
    (cd "$work" && /usr/bin/time -f '%e %M' -o "$n.$e.time" timeout 1800 "$@" "./$n.test" -test.short >"$n.$e.out" 2>&1)
    echo $? >"$work/$n.$e.rc"
    grep -- '^--- FAIL' "$work/$n.$e.out" | sed 's/ (.*//' | sort >"$work/$n.$e.fails"
  done
  show() { echo "rc=$(cat "$work/$n.$1.rc") fail=$(wc -l <"$work/$n.$1.fails") $(tail -1 "$work/$n.$1.time" | awk '{printf "%ss %dMB", $1, $2/1024}')"; }
  same=yes
  cmp -s "$work/$n.qemu.fails" "$work/$n.ts.fails" && [ "$(cat "$work/$n.qemu.rc")" = "$(cat "$work/$n.ts.rc")" ] || same=NO
  printf '%-16s %-28s %-28s %s\n' "$p" "$(show qemu)" "$(show ts)" "$same"
done
