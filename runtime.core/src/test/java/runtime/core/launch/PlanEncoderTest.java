package runtime.core.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The helper and the encoder must agree on opcodes and the plan header. */
class PlanEncoderTest {
    private static final Path HELPER_SOURCE = Path.of(System.getProperty("user.dir"), "src/main/c/strata-helper.c");

    @Test
    void opcodesMatchTheHelper() throws Exception {
        String c = Files.readString(HELPER_SOURCE);
        Map<String, Integer> fromC = new TreeMap<>();
        Matcher m = Pattern.compile("#define OP_(\\w+) (\\d+)").matcher(c);
        while (m.find()) fromC.put(m.group(1), Integer.parseInt(m.group(2)));
        Map<String, Integer> fromJava = new TreeMap<>();
        for (PlanEncoder.Opcode op : PlanEncoder.Opcode.values()) fromJava.put(op.name(), op.code);
        assertEquals(fromC, fromJava);
    }

    @Test
    void headerMatchesTheHelper() throws Exception {
        String c = Files.readString(HELPER_SOURCE);
        Matcher magic = Pattern.compile("#define PLAN_MAGIC (0x[0-9a-fA-F]+)u").matcher(c);
        Matcher version = Pattern.compile("#define PLAN_VERSION (\\d+)u").matcher(c);
        magic.find();
        version.find();
        assertEquals(PlanEncoder.MAGIC, Integer.parseUnsignedInt(magic.group(1).substring(2), 16));
        assertEquals(PlanEncoder.VERSION, Integer.parseInt(version.group(1)));
    }
}
