package runtime.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

class CgroupSettingsTest {
    private static JsonNode json(String text) throws Exception {
        return new ObjectMapper().readTree(text);
    }

    private static List<String> lines(List<CgroupSettings.Write> writes) {
        return writes.stream().map(w -> w.controller() + "/" + w.file() + "=" + w.value()).toList();
    }

    @Test
    void v1WritesValuesAsGivenWithTheLimitBeforeMemoryPlusSwap() throws Exception {
        List<String> writes = lines(CgroupSettings.v1(json("""
                {"cpu": {"shares": 2048, "quota": 25000, "period": 50000, "cpus": "0-1", "mems": "0"},
                 "memory": {"swap": 536870912, "limit": 268435456, "reservation": 134217728, "swappiness": 10, "disableOOMKiller": true},
                 "pids": {"limit": -1}}""")));
        assertEquals(List.of("cpuset/cpuset.cpus=0-1", "cpuset/cpuset.mems=0", "memory/memory.limit_in_bytes=268435456",
                "memory/memory.memsw.limit_in_bytes=536870912", "memory/memory.soft_limit_in_bytes=134217728", "memory/memory.swappiness=10",
                "memory/memory.oom_control=1", "cpu/cpu.shares=2048", "cpu/cpu.cfs_period_us=50000", "cpu/cpu.cfs_quota_us=25000",
                "pids/pids.max=max"), writes);
    }

    @Test
    void v1NamesTheControllersOfBlkioHugetlbAndNetwork() throws Exception {
        List<String> writes = lines(CgroupSettings.v1(json("""
                {"blockIO": {"weight": 500, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}]},
                 "hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}],
                 "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]}}""")));
        assertEquals(List.of("blkio/blkio.weight=500", "blkio/blkio.throttle.read_bps_device=8:0 1048576",
                "hugetlb/hugetlb.2MB.limit_in_bytes=2097152", "net_cls/net_cls.classid=1048577", "net_prio/net_prio.ifpriomap=eth0 5"), writes);
    }

    @Test
    void v2ConvertsAsRuncDoes() throws Exception {
        List<String> writes = lines(CgroupSettings.v2(json("""
                {"cpu": {"shares": 1024, "quota": 25000},
                 "memory": {"limit": 268435456, "swap": 536870912}}""")));
        // shares 1024 -> weight 39; swap is memory plus swap in the spec, swap alone in memory.swap.max.
        assertEquals(List.of("memory/memory.max=268435456", "memory/memory.swap.max=268435456", "cpu/cpu.weight=39", "cpu/cpu.max=25000 100000"),
                writes);
    }

    @Test
    void refusesWhatNoControllerCanHonour() throws Exception {
        var e = assertThrows(IllegalArgumentException.class, () -> CgroupSettings.v1(json("{\"memory\": {\"swappiness\": 101}}")));
        assertTrue(e.getMessage().contains("swappiness"), e.getMessage());
        var v2 = assertThrows(IllegalArgumentException.class, () -> CgroupSettings.v2(json("{\"network\": {\"classID\": 1}}")));
        assertTrue(v2.getMessage().startsWith("config.json: linux.resources.network"), v2.getMessage());
    }

    /** Deny by default, the rules in order, linux.devices and runc's always-allowed nodes last; an explicit first "all" rule is kept as the start. */
    @Test
    void devicesDenyByDefaultThenTheRulesInOrder() throws Exception {
        List<String> writes = lines(CgroupSettings.devicesV1(json("""
                {"devices": [{"allow": true, "type": "c", "major": 4, "access": "rw"}, {"allow": false, "type": "b", "major": 8, "minor": 0, "access": "r"}]}"""),
                List.of(new OciSpec.Device("/dev/fuse", "c", 10, 229, java.util.OptionalInt.empty(), java.util.OptionalLong.empty(),
                        java.util.OptionalLong.empty()))));
        assertEquals(List.of("devices/devices.deny=a", "devices/devices.allow=c 4:* rw", "devices/devices.deny=b 8:0 r",
                "devices/devices.allow=c 10:229 rwm", "devices/devices.allow=c *:* m"), writes.subList(0, 5));
        assertEquals("devices/devices.allow=c 10:200 rwm", writes.getLast());
        List<String> podman = lines(CgroupSettings.devicesV1(json("{\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}"), List.of()));
        assertEquals("devices/devices.deny=a", podman.getFirst());
        assertEquals(1, podman.stream().filter(w -> w.equals("devices/devices.deny=a")).count(), "the config's own deny-all is the start");
        var e = assertThrows(IllegalArgumentException.class, () -> CgroupSettings.devicesV1(json("{\"devices\": [{\"allow\": true, \"type\": \"c\"}]}"),
                List.of()));
        assertTrue(e.getMessage().contains("devices[0].access"), e.getMessage());
    }
}
