package dev.conveyor.ops.cli;

import dev.conveyor.ops.config.ConveyorConfig;
import dev.conveyor.producer.http.IngressConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Where the status API is and how to authenticate to it.
 *
 * @param baseUrl the ingress base URL without a trailing slash, e.g. {@code http://127.0.0.1:8080}
 *     (a path prefix is kept, for an ingress behind a reverse proxy)
 * @param token the bearer token, or null to send none
 */
record Endpoint(String baseUrl, String token) {

    /**
     * Resolves the endpoint: {@code --url}, else {@code CONVEYOR_URL}, else {@code http.host} and
     * {@code http.port} of the configuration; {@code --token}, else {@code CONVEYOR_TOKEN}, else
     * the first of {@code http.tokens}. The configuration is loaded only when it is needed.
     *
     * @throws IllegalArgumentException when the URL is not an absolute http(s) URL
     */
    static Endpoint resolve(String urlOption, String tokenOption, Map<String, String> env,
            Supplier<ConveyorConfig> config) {
        String url = firstNonBlank(urlOption, env.get("CONVEYOR_URL"));
        String token = firstNonBlank(tokenOption, env.get("CONVEYOR_TOKEN"));
        if (url == null || token == null) {
            IngressConfig http = config.get().ingress(java.util.Set.of());
            if (url == null) {
                url = "http://" + connectableHost(http.host()) + ":" + http.port();
            }
            if (token == null && !http.tokens().isEmpty()) {
                token = http.tokens().iterator().next();
            }
        }
        return new Endpoint(checkedUrl(url), token);
    }

    /** A listen address as an address to connect to: the wildcard means this machine. */
    static String connectableHost(String host) {
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") || host.isBlank()) {
            return "127.0.0.1";
        }
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static String checkedUrl(String url) {
        String trimmed = url.trim();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        try {
            URI uri = new URI(trimmed);
            if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http")
                    || uri.getScheme().equalsIgnoreCase("https")) || uri.getHost() == null) {
                throw new IllegalArgumentException("--url must be an http:// or https:// URL, was '" + url + "'");
            }
            if (uri.getQuery() != null || uri.getFragment() != null) {
                throw new IllegalArgumentException("--url must not have a query or fragment, was '" + url + "'");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--url is not a URL: " + e.getMessage());
        }
        return trimmed;
    }

    private static String firstNonBlank(String a, String b) {
        if (a != null && !a.isBlank()) {
            return a.trim();
        }
        return b != null && !b.isBlank() ? b.trim() : null;
    }

    @Override
    public String toString() {
        return baseUrl + (token == null ? "" : " (with a bearer token)");
    }
}
