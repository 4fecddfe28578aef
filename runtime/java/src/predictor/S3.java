package predictor;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code s3} model strategy: fetch the artifact at init with a SigV4-signed GET, JDK only
 * (javax.crypto for HMAC, HttpURLConnection from java.base, which loads faster than
 * java.net.http). Used only when MODEL_BUCKET is set. Mirrors runtime/python/_s3.py.
 */
final class S3 {
    static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    /** Lambda's init phase is cut at 10 s; fail with a message before that. */
    static final int TIMEOUT_MS = 8000;
    static final long MAX_ARTIFACT_BYTES = 256L * 1024 * 1024;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private S3() {
    }

    /** SigV4 URI encoding: every byte but the unreserved set, as upper-case %XX. */
    static String uriEncode(String text, boolean keepSlash) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            boolean unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/');
            if (unreserved) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(HEX[c >> 4])).append(Character.toUpperCase(HEX[c & 15]));
            }
        }
        return out.toString();
    }

    /** The headers (lower-case names, sorted) that sign {@code GET path} on {@code host} for s3. */
    static TreeMap<String, String> signGet(String host, String path, String region, String accessKey,
            String secretKey, String sessionToken, String amzDate, Map<String, String> extraHeaders) {
        TreeMap<String, String> headers = new TreeMap<>();
        headers.put("host", host);
        headers.put("x-amz-content-sha256", EMPTY_SHA256);
        headers.put("x-amz-date", amzDate);
        if (sessionToken != null && !sessionToken.isEmpty()) {
            headers.put("x-amz-security-token", sessionToken);
        }
        if (extraHeaders != null) {
            for (Map.Entry<String, String> e : extraHeaders.entrySet()) {
                headers.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue());
            }
        }
        StringBuilder canonical = new StringBuilder("GET\n").append(path).append("\n\n");
        StringBuilder signed = new StringBuilder();
        for (Map.Entry<String, String> e : headers.entrySet()) {
            canonical.append(e.getKey()).append(':').append(e.getValue().trim().replaceAll("\\s+", " ")).append('\n');
            if (signed.length() > 0) {
                signed.append(';');
            }
            signed.append(e.getKey());
        }
        canonical.append('\n').append(signed).append('\n').append(EMPTY_SHA256);
        String date = amzDate.substring(0, 8);
        String scope = date + "/" + region + "/s3/aws4_request";
        String stringToSign = "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex(sha256(canonical.toString()));
        byte[] key = hmac(("AWS4" + secretKey).getBytes(StandardCharsets.UTF_8), date);
        key = hmac(key, region);
        key = hmac(key, "s3");
        key = hmac(key, "aws4_request");
        String signature = hex(hmac(key, stringToSign));
        headers.put("authorization", "AWS4-HMAC-SHA256 Credential=" + accessKey + "/" + scope
                + ", SignedHeaders=" + signed + ", Signature=" + signature);
        return headers;
    }

    /** {url, host header, canonical path}: virtual-hosted AWS, or path-style on {@code endpoint}. */
    static String[] objectUrl(String bucket, String key, String region, String endpoint) {
        String encodedKey = uriEncode(key, true);
        if (endpoint != null && !endpoint.isEmpty()) {
            URI uri;
            try {
                uri = new URI(endpoint.replaceAll("/+$", ""));
            } catch (URISyntaxException e) {
                throw new InitException("MODEL_S3_ENDPOINT '" + endpoint + "' is not an http(s) URL");
            }
            String scheme = uri.getScheme();
            if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null) {
                throw new InitException("MODEL_S3_ENDPOINT '" + endpoint + "' is not an http(s) URL");
            }
            String base = uri.getRawPath() == null ? "" : uri.getRawPath();
            String path = base + "/" + uriEncode(bucket, false) + "/" + encodedKey;
            int defaultPort = "https".equals(scheme) ? 443 : 80;
            int port = uri.getPort();
            String host = (port == -1 || port == defaultPort) ? uri.getHost() : uri.getHost() + ":" + port;
            return new String[] {scheme + "://" + host + path, host, path};
        }
        String host = bucket + ".s3." + region + ".amazonaws.com";
        String path = "/" + encodedKey;
        return new String[] {"https://" + host + path, host, path};
    }

    /** Fetches s3://bucket/key into TMPDIR (or /tmp); the local path, or InitException. */
    static String download(String bucket, String key, Map<String, String> env) {
        String region = first(env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"));
        String accessKey = env.get("AWS_ACCESS_KEY_ID");
        String secretKey = env.get("AWS_SECRET_ACCESS_KEY");
        StringBuilder missing = new StringBuilder();
        if (region == null) {
            missing.append("AWS_REGION");
        }
        if (accessKey == null || accessKey.isEmpty()) {
            missing.append(missing.length() > 0 ? ", " : "").append("AWS_ACCESS_KEY_ID");
        }
        if (secretKey == null || secretKey.isEmpty()) {
            missing.append(missing.length() > 0 ? ", " : "").append("AWS_SECRET_ACCESS_KEY");
        }
        if (missing.length() > 0) {
            throw new InitException("MODEL_BUCKET is set but " + missing + " is not: Lambda sets these "
                    + "from the function's role; set them when running elsewhere");
        }
        String[] target = objectUrl(bucket, key, region, env.get("MODEL_S3_ENDPOINT"));
        String where = "s3://" + bucket + "/" + key + " (" + target[0] + ")";
        TreeMap<String, String> headers = signGet(target[1], target[2], region, accessKey, secretKey,
                env.get("AWS_SESSION_TOKEN"), amzDate(System.currentTimeMillis()), null);
        byte[] data;
        try {
            HttpURLConnection connection = (HttpURLConnection) new URL(target[0]).openConnection();
            connection.setConnectTimeout(TIMEOUT_MS);
            connection.setReadTimeout(TIMEOUT_MS);
            connection.setInstanceFollowRedirects(false);
            for (Map.Entry<String, String> e : headers.entrySet()) {
                // HttpURLConnection writes Host itself, from the URL, as signed above.
                if (!"host".equals(e.getKey())) {
                    connection.setRequestProperty(e.getKey(), e.getValue());
                }
            }
            int status = connection.getResponseCode();
            if (status != 200) {
                String detail = "";
                InputStream err = connection.getErrorStream();
                if (err != null) {
                    try (InputStream in = err) {
                        detail = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
                    }
                }
                String code = xmlText(detail, "Code");
                throw new InitException("downloading the model artifact " + where + " failed: HTTP " + status
                        + " " + (code.isEmpty() ? connection.getResponseMessage() : code)
                        + "; check MODEL_BUCKET, MODEL_KEY and the role's s3:GetObject permission");
            }
            try (InputStream in = connection.getInputStream()) {
                data = readBounded(in);
            }
        } catch (IOException e) {
            throw new InitException("downloading the model artifact " + where + " failed: " + e);
        }
        if (data == null) {
            throw new InitException("the model artifact " + where + " is larger than " + MAX_ARTIFACT_BYTES + " bytes");
        }
        String directory = first(env.get("TMPDIR"), "/tmp");
        File file = new File(directory, "model-" + hex(sha256(bucket + "/" + key)).substring(0, 16) + ".zip");
        File part = new File(file.getPath() + ".part");
        try {
            try (FileOutputStream out = new FileOutputStream(part)) {
                out.write(data);
            }
            Files.move(part.toPath(), file.toPath(), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new InitException("cannot save the model artifact " + where + " to " + file + ": " + e);
        }
        return file.getPath();
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[65536];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > MAX_ARTIFACT_BYTES) {
                return null;
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static String first(String a, String b) {
        return a != null && !a.isEmpty() ? a : (b != null && !b.isEmpty() ? b : null);
    }

    private static String xmlText(String xml, String tag) {
        int start = xml.indexOf("<" + tag + ">");
        int end = xml.indexOf("</" + tag + ">");
        return start < 0 || end < start ? "" : xml.substring(start + tag.length() + 2, end);
    }

    /** yyyyMMdd'T'HHmmss'Z' in UTC, computed directly (java.time costs init time). */
    static String amzDate(long epochMillis) {
        long seconds = Math.floorDiv(epochMillis, 1000L);
        long days = Math.floorDiv(seconds, 86400L);
        long secondOfDay = seconds - days * 86400L;
        // Civil date from days since 1970-01-01 (proleptic Gregorian), era-based.
        long z = days + 719468;
        long era = Math.floorDiv(z, 146097);
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        long day = doy - (153 * mp + 2) / 5 + 1;
        long month = mp < 10 ? mp + 3 : mp - 9;
        long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2)
                + pad(secondOfDay / 60 % 60, 2) + pad(secondOfDay % 60, 2) + "Z";
    }

    private static String pad(long value, int width) {
        String s = Long.toString(value);
        while (s.length() < width) {
            s = "0" + s;
        }
        return s;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    private static byte[] hmac(byte[] key, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks HmacSHA256", e);
        }
    }

    static String hex(byte[] bytes) {
        return Handler.hex(bytes);
    }
}
