package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

/** layer.json is written without Jackson: the bytes must stay those Jackson writes, and read back the same. */
class LayerInfoTest {
    private static final ObjectMapper JACKSON = new ObjectMapper();

    @Test
    void writesWhatJacksonWrites() throws Exception {
        StringBuilder every = new StringBuilder();
        for (char c = 0; c < 0x100; c++) every.append(c);
        List<String> instructions = new ArrayList<>(List.of("run touch /a", "import-tar sha256:8d49", "",
                "run echo \"quoted\" 'single' back\\slash /slash", "run printf 'a\\tb\\nc\\r\\f\\b'\n\t\r\f\b\u0000\u001f\u007f",
                "run echo grüße 日本語 \uD83D\uDE00 \u2028\u2029", every.toString()));
        for (String instruction : instructions) {
            for (String parent : new String[] {null, "989145368fbbd0fc067afc382225d8280b4c874efe01a89c6c84c13e95453415"}) {
                LayerInfo info = new LayerInfo("21c21329fd69ddd79edc8c0ffdef73c53338ad58143a459c03222c47b623fc97", parent,
                        instruction, "2026-12-03T13:29:53.999Z", instruction.length() * 1_000_000_007L);
                assertEquals(JACKSON.writeValueAsString(info), info.toJson(), instruction);
                assertEquals(info, JACKSON.readValue(info.toJson(), LayerInfo.class));
            }
        }
    }
}
