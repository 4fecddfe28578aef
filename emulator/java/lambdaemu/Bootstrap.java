package lambdaemu;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * The emulator's Java runtime: speaks Lambda's Runtime API and calls the handler named by
 * {@code _HANDLER} ({@code package.Class::method}) by reflection, as the managed runtime does for
 * a {@code (InputStream, OutputStream[, Context])} handler. JDK only.
 */
public final class Bootstrap {
    private static final String API = "/2018-06-01/runtime";

    private final HttpClient client;
    private final String base;

    private Bootstrap(String runtimeApi) {
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        this.base = "http://" + runtimeApi + API;
    }

    public static void main(String[] args) throws Exception {
        String runtimeApi = System.getenv("AWS_LAMBDA_RUNTIME_API");
        String handler = System.getenv("_HANDLER");
        if (runtimeApi == null || handler == null) {
            System.err.println("AWS_LAMBDA_RUNTIME_API and _HANDLER must be set");
            System.exit(2);
        }
        new Bootstrap(runtimeApi).run(handler);
    }

    private void run(String handler) throws Exception {
        Object target;
        Method method;
        boolean withContext;
        try {
            int sep = handler.indexOf("::");
            String className = sep < 0 ? handler : handler.substring(0, sep);
            String methodName = sep < 0 ? "handleRequest" : handler.substring(sep + 2);
            Class<?> type = Class.forName(className, true, Bootstrap.class.getClassLoader());
            target = type.getDeclaredConstructor().newInstance();
            Method three = null;
            Method two = null;
            for (Method m : type.getMethods()) {
                if (!m.getName().equals(methodName)) {
                    continue;
                }
                Class<?>[] p = m.getParameterTypes();
                boolean streams = p.length >= 2 && p[0].isAssignableFrom(InputStream.class)
                        && p[1].isAssignableFrom(OutputStream.class);
                if (streams && p.length == 3 && p[2].isAssignableFrom(Context.class)) {
                    three = m;
                } else if (streams && p.length == 2) {
                    two = m;
                }
            }
            if (three == null && two == null) {
                throw new NoSuchMethodException(className + "::" + methodName
                        + "(InputStream, OutputStream[, Context]) not found");
            }
            method = three != null ? three : two;
            withContext = three != null;
        } catch (Throwable t) {
            Throwable cause = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
            cause.printStackTrace();
            post(base + "/init/error", errorJson(cause), "Runtime.InitError");
            System.exit(1);
            return;
        }

        String functionName = env("AWS_LAMBDA_FUNCTION_NAME", "");
        int memoryMb = Integer.parseInt(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"));
        HttpRequest next = HttpRequest.newBuilder(URI.create(base + "/invocation/next")).GET().build();
        while (true) {
            HttpResponse<byte[]> invocation = client.send(next, HttpResponse.BodyHandlers.ofByteArray());
            if (invocation.statusCode() != 200) {
                System.err.println("Runtime API answered " + invocation.statusCode() + " to next; exiting");
                System.exit(3);
            }
            String requestId = invocation.headers().firstValue("Lambda-Runtime-Aws-Request-Id").orElse("");
            long deadlineMs = Long.parseLong(invocation.headers().firstValue("Lambda-Runtime-Deadline-Ms").orElse("0"));
            String arn = invocation.headers().firstValue("Lambda-Runtime-Invoked-Function-Arn").orElse("");
            Context context = new Context(requestId, functionName, memoryMb, deadlineMs, arn);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                InputStream in = new ByteArrayInputStream(invocation.body());
                if (withContext) {
                    method.invoke(target, in, out, context);
                } else {
                    method.invoke(target, in, out);
                }
            } catch (Throwable t) {
                Throwable cause = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
                cause.printStackTrace();
                post(base + "/invocation/" + requestId + "/error", errorJson(cause), "Unhandled");
                continue;
            }
            post(base + "/invocation/" + requestId + "/response", out.toByteArray(), null);
        }
    }

    private void post(String url, byte[] body, String errorType) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/json");
        if (errorType != null) {
            request.header("Lambda-Runtime-Function-Error-Type", errorType);
        }
        client.send(request.build(), HttpResponse.BodyHandlers.discarding());
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null ? fallback : value;
    }

    private static byte[] errorJson(Throwable t) {
        StringBuilder json = new StringBuilder("{\"errorMessage\":");
        quote(json, String.valueOf(t.getMessage()));
        json.append(",\"errorType\":");
        quote(json, t.getClass().getName());
        json.append(",\"stackTrace\":[");
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = 0; i < frames.length; i++) {
            if (i > 0) {
                json.append(',');
            }
            quote(json, frames[i].toString());
        }
        json.append("]}");
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void quote(StringBuilder json, String s) {
        json.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        json.append('"');
    }

    /** What the handler learns about its invocation; the getters mirror Lambda's Context. */
    public static final class Context {
        private final String requestId;
        private final String functionName;
        private final int memoryMb;
        private final long deadlineMs;
        private final String invokedFunctionArn;

        Context(String requestId, String functionName, int memoryMb, long deadlineMs, String arn) {
            this.requestId = requestId;
            this.functionName = functionName;
            this.memoryMb = memoryMb;
            this.deadlineMs = deadlineMs;
            this.invokedFunctionArn = arn;
        }

        public String getAwsRequestId() {
            return requestId;
        }

        public String getFunctionName() {
            return functionName;
        }

        public String getFunctionVersion() {
            return "$LATEST";
        }

        public String getInvokedFunctionArn() {
            return invokedFunctionArn;
        }

        public int getMemoryLimitInMB() {
            return memoryMb;
        }

        public int getRemainingTimeInMillis() {
            return (int) Math.max(0, deadlineMs - System.currentTimeMillis());
        }

        public String getLogGroupName() {
            return "/aws/lambda/" + functionName;
        }
    }
}
