/** The strata command line: {@code java -m runtime.cli}. */
module runtime.cli {
    requires runtime.core;
    requires info.picocli;
    requires org.slf4j;
    requires jdk.unsupported;

    opens runtime.cli to info.picocli;
    opens runtime.cli.commands to info.picocli;

    uses runtime.api.fs.FilesystemDriver;
    uses runtime.api.net.NetworkDriver;
}
