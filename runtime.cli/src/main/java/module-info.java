/** The strata command line: {@code java -m runtime.cli}. One class per command in runtime.cli.commands. */
module runtime.cli {
    requires runtime.core;
    requires org.apache.commons.cli;
    requires org.apache.commons.compress;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;
    // The interactive shell: line editing and completion, on jline's FFM terminal provider (no JNI/JNA).
    requires org.jline.reader;
    requires org.jline.terminal;
    requires org.jline.terminal.ffm;

    uses runtime.api.fs.FilesystemDriver;
    uses runtime.api.net.NetworkDriver;
    uses runtime.api.source.ImageSource;
}
