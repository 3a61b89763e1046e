/** FUSE filesystem drivers (fuse-overlayfs, unionfs-fuse): where the kernel overlay is not available. */
module runtime.fs.fuse {
    requires runtime.api;

    provides runtime.api.fs.FilesystemDriver with runtime.fs.fuse.FuseOverlayDriver, runtime.fs.fuse.UnionfsFuseDriver;
}
