package runtime.cli.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The front (strata-front.c) and the server must agree on the message kinds and their encoding. */
class MessageTest {
    private static final Path FRONT_SOURCE = Path.of(System.getProperty("user.dir")).getParent()
            .resolve("runtime.core/src/main/c/strata-front.c");

    @Test
    void kindsMatchTheFront() throws Exception {
        Map<String, Integer> fromC = new TreeMap<>();
        Matcher m = Pattern.compile("MSG_(\\w+) = (\\d+),").matcher(Files.readString(FRONT_SOURCE));
        while (m.find()) fromC.put(m.group(1), Integer.parseInt(m.group(2)));
        Map<String, Integer> fromJava = new TreeMap<>();
        for (Field f : Message.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && !f.getName().equals("MAX")) {
                fromJava.put(f.getName(), f.getInt(null));
            }
        }
        assertEquals(fromC, fromJava);
        Matcher max = Pattern.compile("#define MSG_MAX \\((\\d+) \\* 1024\\)").matcher(Files.readString(FRONT_SOURCE));
        assertEquals(true, max.find());
        assertEquals(Message.MAX, Integer.parseInt(max.group(1)) * 1024);
    }

    @Test
    void stringsAndIntegersRoundTrip() {
        Message spawn = Message.strings(Message.SPAWN, List.of("/x/strata-helper", "1", "strata-helper", "", "é"));
        Message back = Message.decode(spawn.encode());
        assertEquals(Message.SPAWN, back.kind());
        assertEquals(List.of("/x/strata-helper", "1", "strata-helper", "", "é"), back.strings());
        Message exit = Message.decode(Message.ints(Message.CHILD_EXIT, 42, 3 << 8).encode());
        assertEquals(42, exit.intAt(0));
        assertEquals(3 << 8, exit.intAt(1));
        assertArrayEquals(new byte[0], Message.decode(new byte[4]).payload());
    }

    @Test
    void malformedMessagesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Message.decode(new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> new Message(Message.INVOKE, new byte[] {'a', 0, 'b'}).strings());
        assertThrows(IllegalArgumentException.class, () -> Message.ints(Message.SPAWNED, 1).intAt(1));
    }
}
