package predictor;

import com.amazonaws.services.lambda.runtime.Context;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * The Java function: {@code predictor.Handler::handleRequest} behind an API Gateway HTTP API
 * (docs/api.md). JDK only: the managed java17/java21 runtime loads this class by reflection,
 * constructs it with the public no-argument constructor and calls
 * {@link #handleRequest(InputStream, OutputStream, Context)} with the raw event and the
 * invocation's context. No AWS library ships in the archive: {@link Context} is the runtime's
 * own interface, compiled against a stub (runtime/java/provided) that is never packaged.
 *
 * <p>Everything that can be done once happens in the static initializer, at class load: read
 * the environment, find (or download), read and check the artifact, build the model. The one
 * thing that must differ per environment, the instance id, waits for the first invocation
 * (see {@link Api.State}): under SnapStart the static initialiser runs once for every
 * environment restored from the snapshot. An
 * {@link InitException} there fails the instance's init with a message naming the problem.
 */
public final class Handler {
    // Declared first: static fields initialise in textual order.
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    static final Api.State STATE = init(System.nanoTime(), System.getenv());

    static final int DEFAULT_MAX_INSTANCES = 1000;

    /** Called by the Lambda runtime; all work was done when the class was initialised. */
    public Handler() {
    }

    /**
     * One event in, one proxy response out, without a Lambda context: {@code x-request-id} is then
     * API Gateway's {@code requestContext.requestId}. The managed runtime prefers the overload
     * below; this one serves callers that have no context (tests, benchmarks).
     */
    public void handleRequest(InputStream input, OutputStream output) throws IOException {
        output.write(Api.handle(input, null, STATE));
    }

    /**
     * The managed runtime's entry point. The third parameter must be declared as exactly
     * {@code com.amazonaws.services.lambda.runtime.Context}: AWS's runtime client picks a
     * three-argument handler only when its last parameter type is that interface, and passes the
     * invocation's context, whose {@code getAwsRequestId()} becomes {@code x-request-id} (the id of
     * the platform's REPORT line). The interface is compiled against a stub of our own
     * (runtime/java/provided) that stays out of the archive; the runtime supplies the real one.
     */
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        output.write(Api.handle(input, contextRequestId(context), STATE));
    }

    static String contextRequestId(Context context) {
        if (context == null) {
            return null;
        }
        try {
            String id = context.getAwsRequestId();
            return id != null && !id.isEmpty() ? id : null;
        } catch (RuntimeException e) {
            // A context that cannot say its id must not fail the request: fall back as without one.
            return null;
        }
    }

    static Api.State init(long startNanos, Map<String, String> env) {
        int maxInstances = maxInstances(env.get("MAX_INSTANCES"));
        String expected = env.get("MODEL_VERSION");
        Model model = Model.load(artifactPath(env), expected == null || expected.isEmpty() ? null : expected);
        String initType = env.get("AWS_LAMBDA_INITIALIZATION_TYPE");
        double initMs = (System.nanoTime() - startNanos) / 1e6;
        return new Api.State(model, "java", initType == null || initType.isEmpty() ? "on-demand" : initType,
                initMs, maxInstances);
    }

    static int maxInstances(String raw) {
        if (raw == null || raw.isEmpty()) {
            return DEFAULT_MAX_INSTANCES;
        }
        boolean digits = raw.length() <= 10;
        for (int i = 0; digits && i < raw.length(); i++) {
            digits = raw.charAt(i) >= '0' && raw.charAt(i) <= '9';
        }
        long value = digits ? Long.parseLong(raw) : -1;
        if (value < 1 || value > 1_000_000_000L) {
            throw new InitException("MAX_INSTANCES is '" + raw + "'; set it to a whole number from 1 to "
                    + "1000000000 (default 1000)");
        }
        return (int) value;
    }

    static String artifactPath(Map<String, String> env) {
        String bucket = env.getOrDefault("MODEL_BUCKET", "");
        String key = env.getOrDefault("MODEL_KEY", "");
        if (!bucket.isEmpty() || !key.isEmpty()) {
            if (bucket.isEmpty() || key.isEmpty()) {
                throw new InitException("MODEL_BUCKET and MODEL_KEY must be set together (the s3 strategy) "
                        + "or both left unset (the artifact ships in the package)");
            }
            return S3.download(bucket, key, env);
        }
        String path = env.get("MODEL_PATH");
        if (path != null && !path.isEmpty()) {
            return path;
        }
        String root = env.get("LAMBDA_TASK_ROOT");
        File base = root != null && !root.isEmpty() ? new File(root) : new File("").getAbsoluteFile();
        return new File(base, "model.zip").getPath();
    }

    /**
     * 16 hex digits from /dev/urandom (SecureRandom's provider set-up costs time), read at the
     * first invocation so that each environment restored from a SnapStart snapshot draws its own.
     */
    static String instanceId() {
        byte[] bytes = new byte[8];
        try (InputStream in = new FileInputStream("/dev/urandom")) {
            if (in.readNBytes(bytes, 0, 8) != 8) {
                throw new IOException("short read");
            }
        } catch (IOException e) {
            long mixed = System.nanoTime() * 0x9E3779B97F4A7C15L ^ System.identityHashCode(bytes);
            for (int i = 0; i < 8; i++) {
                bytes[i] = (byte) (mixed >>> (8 * i));
            }
        }
        return hex(bytes);
    }

    static String hex(byte[] bytes) {
        char[] out = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = HEX[(bytes[i] >> 4) & 15];
            out[2 * i + 1] = HEX[bytes[i] & 15];
        }
        return new String(out);
    }
}
