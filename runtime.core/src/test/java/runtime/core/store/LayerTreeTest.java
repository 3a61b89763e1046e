package runtime.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LayerTreeTest {
    private static LayerInfo info(String id, String parent, String created) {
        return new LayerInfo(id, parent, "RUN " + id, created, 1);
    }

    private static String render(List<LayerTree.Row> rows) {
        StringBuilder b = new StringBuilder();
        for (LayerTree.Row r : rows) b.append(r.prefix()).append(r.layer().id()).append(r.names()).append('\n');
        return b.toString();
    }

    @Test
    void childrenAreIndentedUnderTheirParentsInCreationOrder() {
        List<LayerInfo> layers = List.of(info("a", null, "1"), info("b", "a", "2"), info("c", "b", "3"),
                info("d", "a", "4"), info("e", null, "5"), info("f", "missing", "6"));
        String out = render(LayerTree.rows(layers, Map.of("busybox", "a", "alias", "a", "top", "c")));
        assertEquals("""
                a[alias, busybox]
                ├─ b[]
                │  └─ c[top]
                └─ d[]
                e[]
                f[]
                """, out);
    }

    @Test
    void longDigestsAreShortened() {
        assertEquals("import-tar sha256:7a61e2b0c9d1…",
                LayerTree.shortInstruction("import-tar sha256:7a61e2b0c9d1" + "0".repeat(52)));
        assertEquals("RUN echo abc", LayerTree.shortInstruction("RUN echo abc"));
    }
}
