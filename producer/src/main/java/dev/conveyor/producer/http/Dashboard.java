package dev.conveyor.producer.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The dashboard at {@code /ui/} (SPEC §4): static files from the classpath folder
 * {@value #FOLDER}, which read everything they show from the status API in the browser. The
 * files hold no data, so they are served without a token; the API calls they make carry one.
 *
 * <p>A file name is one path segment of letters, digits, dots, dashes and underscores with a known
 * extension, so a request cannot reach anything outside the folder; anything else is 404.
 * {@code Cache-Control: no-cache} makes a browser revalidate, so an upgraded node never serves a
 * page with yesterday's script.
 */
final class Dashboard implements HttpService {

    static final String FOLDER = "dev/conveyor/producer/ui/";
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon");
    /** Only our own files, no inline script; data images for nothing but the favicon. */
    private static final String CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    @Override
    public void routing(HttpRules rules) {
        rules.get("/ui", (req, res) -> {
            res.status(Status.MOVED_PERMANENTLY_301);
            res.header(HeaderNames.LOCATION, "/ui/");
            res.send();
        });
        rules.get("/ui/", (req, res) -> send(res, "index.html"));
        rules.get("/ui/{file}", (req, res) -> send(res, req.path().pathParameters().get("file")));
    }

    private static void send(ServerResponse res, String name) {
        String type = contentType(name);
        InputStream in = type == null ? null : Dashboard.class.getClassLoader().getResourceAsStream(FOLDER + name);
        if (in == null) {
            throw new HttpError(404, "not found", "the dashboard has no file named '" + name + "'");
        }
        byte[] body;
        try (in) {
            body = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        res.header(HeaderNames.CONTENT_TYPE, type);
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header("X-Content-Type-Options", "nosniff");
        res.header("Content-Security-Policy", CSP);
        res.header("Referrer-Policy", "no-referrer");
        res.send(body);
    }

    /** The media type for a safe file name, or null when the name is not one the dashboard serves. */
    static String contentType(String name) {
        if (name == null || !FILE_NAME.matcher(name).matches() || name.contains("..")) {
            return null;
        }
        int dot = name.lastIndexOf('.');
        return dot < 0 ? null : CONTENT_TYPES.get(name.substring(dot + 1));
    }
}
