/**
 * strata's engine: the layered image store, the launcher that turns a container description into a
 * setup plan and starts the native helper, and the registry of drivers found with ServiceLoader.
 */
module runtime.core {
    requires transitive runtime.api;
    requires com.fasterxml.jackson.databind;
    requires org.slf4j;
    requires org.apache.commons.compress;
    requires org.tukaani.xz;
    requires aircompressor;
    requires org.tomlj;
    requires org.eclipse.jetty.server;
    requires org.eclipse.jetty.unixdomain.server;
    requires org.bouncycastle.pg;
    requires org.bouncycastle.provider;
    requires jdk.unsupported;
    requires jdk.net;

    exports runtime.core;
    exports runtime.core.launch;
    exports runtime.core.store;
    exports runtime.core.drivers;
    exports runtime.core.build;
    exports runtime.core.source;
    exports runtime.core.containers;
    exports runtime.core.security;
    exports runtime.core.cgroups;
    exports runtime.core.manifest;
    exports runtime.core.daemon;
    exports runtime.core.net;
    exports runtime.core.plugins;
    exports runtime.core.source.oci;
    exports runtime.core.conformance;
    exports runtime.core.oci;

    opens runtime.core.store to com.fasterxml.jackson.databind;

    uses runtime.api.fs.FilesystemDriver;
    uses runtime.api.net.NetworkDriver;
    uses runtime.api.source.ImageSource;

    provides runtime.api.net.NetworkDriver with runtime.core.net.HostNetwork, runtime.core.net.NoNetwork;
    provides runtime.api.source.ImageSource with runtime.core.source.TarSource,
            runtime.core.source.oci.OciSource, runtime.core.source.oci.OciLayoutSource,
            runtime.core.source.oci.DockerArchiveSource, runtime.core.source.oci.ContainersStorageSource,
            runtime.core.source.LxcSource, runtime.core.source.UrlSource, runtime.core.source.DirSource,
            runtime.core.source.AlpineSource,
            runtime.core.source.DebianSource, runtime.core.source.UbuntuSource;
}
