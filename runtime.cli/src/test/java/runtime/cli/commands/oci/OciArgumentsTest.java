package runtime.cli.commands.oci;

import runtime.api.sys.Signals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class OciArgumentsTest {
    private static final List<OciArguments.Flag> CREATE = OciCreate.FLAGS;

    @Test
    void conmonsCreateLine() {
        OciArguments a = OciArguments.parse(List.of("--bundle", "/b", "--pid-file=/p", "-console-socket", "/s", "--no-new-keyring", "ID"),
                CREATE, false);
        assertEquals("/b", a.value("bundle").orElseThrow());
        assertEquals("/p", a.value("pid-file").orElseThrow());
        assertEquals("/s", a.value("console-socket").orElseThrow());
        assertTrue(a.flag("no-new-keyring"));
        assertEquals("ID", a.id());
    }

    @Test
    void globalOptionsStopAtTheCommand() {
        OciArguments global = OciArguments.parse(List.of("--root", "/r", "--log", "/l", "--log-format", "json", "exec", "-p", "x", "ID"),
                List.of(OciArguments.Flag.value("root"), OciArguments.Flag.value("log"), OciArguments.Flag.value("log-format")), true);
        assertEquals(List.of("exec", "-p", "x", "ID"), global.positional());
    }

    @Test
    void mistakesAreOneLine() {
        assertThrows(IllegalArgumentException.class, () -> OciArguments.parse(List.of("--bogus", "ID"), CREATE, false));
        assertThrows(IllegalArgumentException.class, () -> OciArguments.parse(List.of("ID", "--bundle"), CREATE, false));
        assertThrows(IllegalArgumentException.class, () -> OciArguments.parse(List.of(), CREATE, false).id());
    }

    @Test
    void signalsByNameAndNumber() {
        assertEquals(15, Signals.parse("TERM"));
        assertEquals(9, Signals.parse("SIGKILL"));
        assertEquals(9, Signals.parse("9"));
        assertEquals(10, Signals.parse("usr1"));
        assertEquals(34, Signals.parse("RTMIN"));
        assertThrows(IllegalArgumentException.class, () -> Signals.parse("NOPE"));
        assertThrows(IllegalArgumentException.class, () -> Signals.parse("0"));
    }

    /** update's memory options read as runc reads them (Docker's binary units), events' interval as a Go duration. */
    @Test
    void updateSizesAndEventsIntervals() {
        assertEquals(512L << 20, OciUpdate.bytes("--memory", "512m"));
        assertEquals(1536L << 20, OciUpdate.bytes("--memory", "1.5G"));
        assertEquals(64L << 10, OciUpdate.bytes("--memory", "64KiB"));
        assertEquals(1000, OciUpdate.bytes("--memory", "1000"));
        var bad = assertThrows(IllegalArgumentException.class, () -> OciUpdate.bytes("--memory", "lots"));
        assertTrue(bad.getMessage().startsWith("invalid value for --memory"), bad.getMessage());
        assertEquals(java.time.Duration.ofMillis(1500), OciEvents.interval("1.5s"));
        assertEquals(java.time.Duration.ofSeconds(90), OciEvents.interval("1m30s"));
        assertEquals(java.time.Duration.ofMillis(200), OciEvents.interval("200ms"));
        assertThrows(IllegalArgumentException.class, () -> OciEvents.interval("5"));
        assertThrows(IllegalArgumentException.class, () -> OciEvents.interval("0s"));
    }
}
