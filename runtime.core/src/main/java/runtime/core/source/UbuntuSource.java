package runtime.core.source;

/** {@code ubuntu:SUITE[:ARCH]}: the Debian bootstrap against an Ubuntu archive ($STRATA_UBUNTU_MIRROR). */
public final class UbuntuSource extends DebianSource {
    public UbuntuSource() {
        super("ubuntu", "ubuntu", "http://archive.ubuntu.com/ubuntu", "/usr/share/keyrings/ubuntu-archive-keyring.gpg");
    }
}
