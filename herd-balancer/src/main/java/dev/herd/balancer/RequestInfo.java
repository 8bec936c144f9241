package dev.herd.balancer;

/**
 * What an algorithm may know of the request it places.
 *
 * @param clientKey the client's identity for affinity (ip-hash): its address, or a trusted
 *                  forwarding header's value; never null
 */
public record RequestInfo(String clientKey) {
}
