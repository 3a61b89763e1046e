/** FUSE filesystem drivers (fuse-overlayfs, unionfs-fuse): where the kernel overlay is not available. */
module runtime.fs.fuse {
    requires runtime.api;
}
