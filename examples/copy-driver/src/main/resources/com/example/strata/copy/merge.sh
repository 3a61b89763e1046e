# Copies layers, bottom first, into one directory, applying each layer's deletions as overlay would.
# Arguments: TARGET OPAQUE-XATTR LAYER...   (run inside the container's namespaces by strata's helper)
set -e
u=$1
attr=$2
shift 2
for l in "$@"; do
    # Opaque directories of this layer hide what the layers below put there.
    find "$l" -type d | while IFS= read -r d; do
        rel=${d#"$l"}
        if [ "$(getfattr --only-values --absolute-names -n "$attr" "$d" 2>/dev/null)" = y ]; then
            if [ -z "$rel" ]; then find "$u" -mindepth 1 -maxdepth 1 -exec rm -rf {} +; else rm -rf "$u$rel"; fi
        fi
    done
    # Whiteouts (0:0 character devices) delete what the layers below have; they go themselves after the copy.
    find "$l" -type c | while IFS= read -r w; do
        if [ "$(stat -c %t:%T "$w")" = 0:0 ]; then rm -rf "$u${w#"$l"}"; fi
    done
    cp -a "$l/." "$u/"
    find "$l" -type c | while IFS= read -r w; do
        if [ "$(stat -c %t:%T "$w")" = 0:0 ]; then rm -f "$u${w#"$l"}"; fi
    done
done
# The copy is a complete image. Overlay ignores opaque marks on a layer's root, so mark every top-level
# directory opaque and white out top-level names the copy lacks: other drivers then read a layer built
# with this driver as the full snapshot it is, hiding the layers below it.
for l in "$@"; do ls -A "$l"; done | sort -u | while IFS= read -r n; do
    if [ -d "$u/$n" ] && [ ! -L "$u/$n" ]; then
        setfattr -n "$attr" -v y "$u/$n"
    elif [ ! -e "$u/$n" ] && [ ! -L "$u/$n" ]; then
        mknod "$u/$n" c 0 0
    fi
done
