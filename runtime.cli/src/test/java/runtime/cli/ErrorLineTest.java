package runtime.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import runtime.core.store.StoreException;

/** Error lines stay one short line whatever a hostile input puts in a message (issue 17 item 9). */
class ErrorLineTest {
    @Test
    void aHugeNameIsCutAndSaysHowMuchWasLeftOut() {
        String line = Main.message(new StoreException("tar entry " + "a".repeat(100 << 20) + ": too long"));
        assertTrue(line.length() < Main.MAX_ERROR_LINE + 60, "a line of " + line.length() + " characters");
        assertTrue(line.startsWith("tar entry aaaa"), line);
        assertTrue(line.endsWith("... (" + ((100 << 20) + "tar entry : too long".length() - Main.MAX_ERROR_LINE) + " more characters)"), line);
    }

    @Test
    void controlCharactersCannotForgeLinesOrEscapes() {
        assertEquals("tar entry x?strata: fake??[2J: bad", Main.message(new StoreException("tar entry x\nstrata: fake\r\033[2J: bad")));
    }

    @Test
    void plainIOExceptionsShowTheirSentenceWithoutAClassName() {
        assertEquals("cannot write /tmp: Is a directory", Main.message(new java.io.IOException("cannot write /tmp: Is a directory")));
    }

    @Test
    void shortMessagesAreUnchanged() {
        assertEquals("no such image 'x'", Main.message(new IllegalArgumentException("no such image 'x'")));
    }
}
