package lambdaemu;

import com.amazonaws.services.lambda.runtime.Context;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;

/**
 * The emulator's Java runtime: speaks Lambda's Runtime API and calls the handler named by
 * {@code _HANDLER} ({@code package.Class::method}) by reflection, as the managed runtime does for
 * a {@code (InputStream, OutputStream[, Context])} handler. JDK only: {@link Context} is our own
 * copy of the runtime's interface, compiled with the bootstrap and first on the class path, as
 * the managed runtime's is on its class path.
 *
 * <p>HTTP goes through {@link HttpURLConnection} (kept alive by the JDK), not java.net.http:
 * the latter costs about 0.3 s of CPU to initialise, which a small memory size's CPU share turns
 * into seconds of cold start, while AWS's own runtime client is native and cheap.
 */
public final class Bootstrap {
    private static final String API = "/2018-06-01/runtime";

    private final String base;

    private Bootstrap(String runtimeApi) {
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
        int arity;
        boolean typed;
        try {
            int sep = handler.indexOf("::");
            String className = sep < 0 ? handler : handler.substring(0, sep);
            String methodName = sep < 0 ? "handleRequest" : handler.substring(sep + 2);
            Class<?> type = Class.forName(className, true, Bootstrap.class.getClassLoader());
            target = type.getDeclaredConstructor().newInstance();
            method = pick(type, methodName);
            typed = false;
            if (method == null) {
                // A RequestHandler<I, O> or a POJO handler: the event read into I (lambdaemu.Pojo).
                method = pickTyped(type, methodName);
                typed = method != null;
            }
            if (method == null) {
                throw new NoSuchMethodException(className + "::" + methodName
                        + "(InputStream, OutputStream[, " + Context.class.getName() + " or Object]) "
                        + "or (input[, " + Context.class.getName() + "]) not found");
            }
            arity = method.getParameterCount();
        } catch (Throwable t) {
            Throwable cause = t instanceof InvocationTargetException && t.getCause() != null ? t.getCause() : t;
            cause.printStackTrace();
            post(base + "/init/error", errorJson(cause), "Runtime.InitError");
            System.exit(1);
            return;
        }

        if ("snap-start".equals(System.getenv("AWS_LAMBDA_INITIALIZATION_TYPE"))) {
            // SnapStart: init is done; Lambda snapshots here and answers in each restored
            // environment. The managed runtime would now run CRaC after-restore hooks; this
            // bootstrap has no CRaC, so a function's hooks do not run (docs/emulator.md).
            HttpURLConnection restore = (HttpURLConnection) new URL(base + "/restore/next").openConnection();
            restore.setReadTimeout(0);
            int status = restore.getResponseCode();
            if (status != 200) {
                System.err.println("Runtime API answered " + status + " to restore/next; exiting");
                System.exit(3);
            }
            restore.getInputStream().close();
        }
        String functionName = env("AWS_LAMBDA_FUNCTION_NAME", "");
        int memoryMb = Integer.parseInt(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"));
        URL next = new URL(base + "/invocation/next");
        while (true) {
            HttpURLConnection poll = (HttpURLConnection) next.openConnection();
            poll.setReadTimeout(0);
            int status = poll.getResponseCode();
            if (status != 200) {
                System.err.println("Runtime API answered " + status + " to next; exiting");
                System.exit(3);
            }
            byte[] event;
            try (InputStream body = poll.getInputStream()) {
                event = body.readAllBytes();
            }
            String requestId = header(poll, "Lambda-Runtime-Aws-Request-Id", "");
            long deadlineMs = Long.parseLong(header(poll, "Lambda-Runtime-Deadline-Ms", "0"));
            String arn = header(poll, "Lambda-Runtime-Invoked-Function-Arn", "");
            Context context = new InvocationContext(requestId, functionName, memoryMb, deadlineMs, arn);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                InputStream in = new ByteArrayInputStream(event);
                if (typed) {
                    Object input = Pojo.convert(Pojo.parse(event), method.getGenericParameterTypes()[0]);
                    Object result = arity == 2 ? method.invoke(target, input, context) : method.invoke(target, input);
                    out.write(Pojo.write(result).getBytes(StandardCharsets.UTF_8));
                } else if (arity == 3) {
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

    /**
     * The handler method, ranked like the managed runtime where they overlap: a third parameter
     * declared as the runtime's {@link Context} interface first (the only three-argument form AWS
     * accepts), then one declared as {@code Object} (an emulator convenience for handlers built
     * without the interface; AWS ignores it), then {@code (InputStream, OutputStream)}.
     */
    static Method pick(Class<?> type, String methodName) {
        Method best = null;
        int bestRank = 0;
        for (Method m : type.getMethods()) {
            if (!m.getName().equals(methodName) || m.isBridge()) {
                continue;
            }
            Class<?>[] p = m.getParameterTypes();
            if (p.length < 2 || p.length > 3 || p[0] != InputStream.class || p[1] != OutputStream.class) {
                continue;
            }
            int rank = p.length == 2 ? 1 : p[2] == Context.class ? 3 : p[2] == Object.class ? 2 : 0;
            if (rank > bestRank) {
                best = m;
                bestRank = rank;
            }
        }
        return best;
    }

    /**
     * A typed handler: {@code method(input[, Context or Object])} whose input is not a stream,
     * the most specific input type first (a {@code RequestHandler<I, O>}'s bridge method, taking
     * Object, is skipped).
     */
    static Method pickTyped(Class<?> type, String methodName) {
        Method best = null;
        for (Method m : type.getMethods()) {
            if (!m.getName().equals(methodName) || m.isBridge()) {
                continue;
            }
            Class<?>[] p = m.getParameterTypes();
            if (p.length < 1 || p.length > 2 || p[0] == InputStream.class) {
                continue;
            }
            if (p.length == 2 && p[1] != Context.class && p[1] != Object.class) {
                continue;
            }
            if (best == null || best.getParameterTypes()[0] == Object.class) {
                best = m;
            }
        }
        return best;
    }

    private static void post(String url, byte[] body, String errorType) throws Exception {
        HttpURLConnection request = (HttpURLConnection) new URL(url).openConnection();
        request.setRequestMethod("POST");
        request.setDoOutput(true);
        request.setFixedLengthStreamingMode(body.length);
        request.setRequestProperty("Content-Type", "application/json");
        if (errorType != null) {
            request.setRequestProperty("Lambda-Runtime-Function-Error-Type", errorType);
        }
        try (OutputStream out = request.getOutputStream()) {
            out.write(body);
        }
        InputStream answer = request.getResponseCode() < 400 ? request.getInputStream() : request.getErrorStream();
        if (answer != null) {
            try (InputStream drained = answer) {
                drained.readAllBytes();  // read fully so the JDK keeps the connection alive
            }
        }
    }

    private static String header(HttpURLConnection connection, String name, String fallback) {
        String value = connection.getHeaderField(name);
        return value == null ? fallback : value;
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

    /**
     * What the handler learns about its invocation: implements the runtime's {@link Context}
     * interface (our copy, on the bootstrap's class path) and is public with public getters, so a
     * handler that takes {@code Object} can read it by reflection too.
     */
    public static final class InvocationContext implements Context {
        private final String requestId;
        private final String functionName;
        private final int memoryMb;
        private final long deadlineMs;
        private final String invokedFunctionArn;

        InvocationContext(String requestId, String functionName, int memoryMb, long deadlineMs, String arn) {
            this.requestId = requestId;
            this.functionName = functionName;
            this.memoryMb = memoryMb;
            this.deadlineMs = deadlineMs;
            this.invokedFunctionArn = arn;
        }

        @Override
        public String getAwsRequestId() {
            return requestId;
        }

        @Override
        public String getFunctionName() {
            return functionName;
        }

        @Override
        public String getFunctionVersion() {
            return env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
        }

        @Override
        public String getInvokedFunctionArn() {
            return invokedFunctionArn;
        }

        @Override
        public int getMemoryLimitInMB() {
            return memoryMb;
        }

        @Override
        public int getRemainingTimeInMillis() {
            return (int) Math.max(0, deadlineMs - System.currentTimeMillis());
        }

        @Override
        public String getLogGroupName() {
            return env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + functionName);
        }

        @Override
        public String getLogStreamName() {
            return env("AWS_LAMBDA_LOG_STREAM_NAME", "");
        }
    }
}
