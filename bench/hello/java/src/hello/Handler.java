package hello;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Hello world: the smallest Java function answering API Gateway with JSON
 * ({@code hello.Handler::handleRequest}, JDK only). The baseline the benchmarks compare the
 * real function's init with; the emulator can host it.
 */
public final class Handler {
    private static final byte[] RESPONSE = ("{\"statusCode\":200,\"headers\":{\"content-type\":"
            + "\"application/json\"},\"body\":\"{\\\"message\\\":\\\"hello\\\"}\",\"isBase64Encoded\":false}")
            .getBytes(StandardCharsets.UTF_8);

    public Handler() {
    }

    public void handleRequest(InputStream input, OutputStream output) throws IOException {
        input.readAllBytes();
        output.write(RESPONSE);
    }
}
