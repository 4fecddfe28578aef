package testfn;

import com.amazonaws.services.lambda.runtime.Context;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * All three handler forms: the bootstrap must pick the one typed with the runtime's Context
 * interface (compiled against the emulator's copy of it, which the archive does not contain).
 */
public class Ranked {
    public void handleRequest(InputStream in, OutputStream out, Context context) throws Exception {
        in.readAllBytes();
        String response = "{\"statusCode\":200,\"headers\":{\"x-via\":\"context\",\"x-id\":\""
                + context.getAwsRequestId() + "\",\"x-memory\":\"" + context.getMemoryLimitInMB()
                + "\"},\"body\":\"\"}";
        out.write(response.getBytes(StandardCharsets.UTF_8));
    }

    public void handleRequest(InputStream in, OutputStream out, Object context) throws Exception {
        throw new IllegalStateException("the Context-typed overload should have been preferred");
    }

    public void handleRequest(InputStream in, OutputStream out) throws Exception {
        throw new IllegalStateException("the 3-argument overloads should have been preferred");
    }
}
