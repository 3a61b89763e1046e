package runtime.api.plan;

/** One line of a uid_map or gid_map: ids {@code inside..inside+count} map to {@code outside..}. */
public record IdMapping(long inside, long outside, long count) {
    public IdMapping {
        if (inside < 0 || outside < 0 || count <= 0) {
            throw new IllegalArgumentException("bad id mapping " + inside + " " + outside + " " + count);
        }
    }

    @Override
    public String toString() {
        return inside + " " + outside + " " + count;
    }
}
