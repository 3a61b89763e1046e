/** A sample strata plugin: the "copy" filesystem driver. */
module com.example.strata.copy {
    requires runtime.api;

    provides runtime.api.fs.FilesystemDriver with com.example.strata.copy.CopyDriver;
}
