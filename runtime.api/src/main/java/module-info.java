/**
 * The contracts strata's pieces meet at: filesystem and network driver SPIs, the setup plan that the
 * native helper executes, and small typed FFM bindings to the libc calls the Java side makes.
 * A third-party driver module needs only this module.
 */
module runtime.api {
    requires transitive java.net.http;
    exports runtime.api;
    exports runtime.api.fs;
    exports runtime.api.net;
    exports runtime.api.plan;
    exports runtime.api.source;
    exports runtime.api.sys;

    uses runtime.api.fs.FilesystemDriver;
    uses runtime.api.net.NetworkDriver;
    uses runtime.api.source.ImageSource;
}
