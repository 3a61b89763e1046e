package runtime.core.store;

/**
 * What {@code layer.json} records about a layer, for people and listings (the parent link itself lives
 * in a plain {@code parent} file, so that resolving an image chain needs no JSON).
 *
 * @param instruction the canonical build instruction or import source that made the layer
 * @param created     ISO-8601 creation time
 * @param size        bytes of regular files in the layer
 */
public record LayerInfo(String id, String parent, String instruction, String created, long size) {}
