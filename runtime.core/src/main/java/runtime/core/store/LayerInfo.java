package runtime.core.store;

/**
 * What {@code layer.json} records about a layer, for people and listings (the parent link itself lives
 * in a plain {@code parent} file, so that resolving an image chain needs no JSON).
 *
 * @param instruction the canonical build instruction or import source that made the layer
 * @param created     ISO-8601 creation time
 * @param size        bytes of regular files in the layer
 */
public record LayerInfo(String id, String parent, String instruction, String created, long size) {
    /**
     * The record as {@code layer.json} holds it: byte for byte what Jackson's ObjectMapper writes for this
     * record (fields in order, compact, the same escapes), which reads it back. Written by hand because
     * every uncached build step and import writes one, and loading and setting up Jackson for it was the
     * largest part of a cold build step after the container had exited (~260 of 680 ms, 600 classes).
     */
    public String toJson() {
        StringBuilder b = new StringBuilder(160 + instruction.length());
        b.append("{\"id\":");
        string(b, id);
        b.append(",\"parent\":");
        string(b, parent);
        b.append(",\"instruction\":");
        string(b, instruction);
        b.append(",\"created\":");
        string(b, created);
        b.append(",\"size\":").append(size).append('}');
        return b.toString();
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** A JSON string as Jackson's generator writes one: quote, backslash and control characters escaped. */
    private static void string(StringBuilder b, String s) {
        if (s == null) {
            b.append("null");
            return;
        }
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\f' -> b.append("\\f");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20) {
                        b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
