package testfn;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/** A tiny stream handler: answers its pid and the request id it was given, or crashes. */
public class Handler {
    public void handleRequest(InputStream in, OutputStream out, Object context) throws Exception {
        String event = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        if (event.contains("\"rawPath\":\"/crash\"")) {
            Runtime.getRuntime().halt(9);
        }
        if (event.contains("\"rawPath\":\"/raise\"")) {
            throw new IllegalStateException("handler failed on purpose");
        }
        Method getId = context.getClass().getMethod("getAwsRequestId");
        Method getMemory = context.getClass().getMethod("getMemoryLimitInMB");
        String body = "{\\\"pid\\\":" + ProcessHandle.current().pid()
                + ",\\\"request_id\\\":\\\"" + getId.invoke(context)
                + "\\\",\\\"memory_mb\\\":" + getMemory.invoke(context) + "}";
        System.out.println("java handler served " + getId.invoke(context));
        String response = "{\"statusCode\":200,\"headers\":{\"content-type\":\"application/json\"},\"body\":\""
                + body + "\"}";
        out.write(response.getBytes(StandardCharsets.UTF_8));
    }

    public void handleRequest(InputStream in, OutputStream out) throws Exception {
        throw new IllegalStateException("the 3-argument overload should have been preferred");
    }
}
