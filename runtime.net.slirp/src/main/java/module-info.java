/** The slirp4netns network driver: user-mode networking and port forwards for isolated containers. */
module runtime.net.slirp {
    requires runtime.api;
    requires com.fasterxml.jackson.databind;

    provides runtime.api.net.NetworkDriver with runtime.net.slirp.SlirpNetwork;
}
