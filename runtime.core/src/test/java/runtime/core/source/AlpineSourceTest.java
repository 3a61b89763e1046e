package runtime.core.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class AlpineSourceTest {
    /** The shape Alpine's latest-releases.yaml has: a list of flat maps, the minirootfs among other flavors. */
    @Test
    void findsTheMinirootfsOfALatestReleasesYaml() {
        String yaml = """
                ---
                -
                  title: "Standard"
                  flavor: alpine-standard
                  file: alpine-standard-3.13.12-x86_64.iso
                  sha256: %s
                -
                  title: "Mini root filesystem"
                  desc: "Minimal root filesystem.
                    For use in containers"
                  flavor: alpine-minirootfs
                  version: 3.13.12
                  file: alpine-minirootfs-3.13.12-x86_64.tar.gz
                  sha256: %s
                """.formatted("a".repeat(64), "b".repeat(64));
        var found = AlpineSource.minirootfs(yaml).orElseThrow();
        assertEquals("alpine-minirootfs-3.13.12-x86_64.tar.gz", found.get("file"));
        assertEquals("b".repeat(64), found.get("sha256"));
    }

    /** A file name with a path in it, or no checksum, is not taken: the download must stay in the branch and be checked. */
    @Test
    void refusesAnEntryWithoutAChecksumOrWithAPath() {
        assertEquals(Optional.empty(), AlpineSource.minirootfs("- flavor: alpine-minirootfs\n  file: x.tar.gz\n"));
        assertTrue(AlpineSource.minirootfs("- flavor: alpine-minirootfs\n  file: ../../x.tar.gz\n  sha256: " + "c".repeat(64) + "\n").isEmpty());
    }
}
