/** The kernel overlay filesystem driver ({@code --fs overlay}). */
module runtime.fs.overlay {
    requires runtime.api;

    provides runtime.api.fs.FilesystemDriver with runtime.fs.overlay.KernelOverlayDriver;
}
