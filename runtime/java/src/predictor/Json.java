package predictor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer (RFC 8259), JDK only.
 *
 * <p>Reading accepts exactly what Python's {@code json.loads} accepts once NaN and Infinity are
 * refused, and additionally refuses duplicate object keys and nesting deeper than a bound.
 * Values map to {@link LinkedHashMap} (document order), {@link ArrayList}, {@link String},
 * {@link Double} (every number, parsed by {@link Double#parseDouble} on its exact text),
 * {@link Boolean} and {@link #NULL}. A syntax error throws {@link JsonException} with the
 * offset where reading stopped, counted in characters (code points) as Python's {@code json}
 * counts them: a character outside the BMP counts once, not as its two UTF-16 units.
 *
 * <p>Writing escapes every character outside printable ASCII as {@code \\uXXXX}, like Python's
 * {@code json.dumps} does by default, so the output is ASCII and lone surrogates survive.
 */
public final class Json {
    /** JSON {@code null} (a map value of Java null would be ambiguous with "absent"). */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    private final String text;
    private final int maxDepth;
    private int pos;
    private int depth;

    private Json(String text, int maxDepth) {
        this.text = text;
        this.maxDepth = maxDepth;
    }

    /**
     * Parses one JSON document.
     *
     * @param text the document
     * @param maxDepth the deepest nesting of arrays and objects allowed (a top-level container is 1)
     * @param maxChars the longest text accepted
     * @throws JsonException on any syntax error, duplicate key, depth or size excess
     */
    public static Object parse(String text, int maxDepth, int maxChars) {
        if (text.length() > maxChars) {
            throw new JsonException("document longer than " + maxChars + " characters",
                    text.codePointCount(0, maxChars));
        }
        Json reader = new Json(text, maxDepth);
        reader.skipWhitespace();
        Object value = reader.readValue();
        reader.skipWhitespace();
        if (reader.pos != text.length()) {
            throw reader.error("extra data after the document");
        }
        return value;
    }

    private JsonException error(String message) {
        return error(message, pos);
    }

    /** The error at UTF-16 index {@code at}, reported as a code point offset. */
    private JsonException error(String message, int at) {
        // Counted only on the error path, so reading stays a walk over chars; a lone surrogate
        // counts as one character, as in Python.
        return new JsonException(message, text.codePointCount(0, at));
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private Object readValue() {
        if (pos >= text.length()) {
            throw error("expected a value, found the end");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return readObject();
            case '[':
                return readArray();
            case '"':
                return readString();
            case 't':
                expectWord("true");
                return Boolean.TRUE;
            case 'f':
                expectWord("false");
                return Boolean.FALSE;
            case 'n':
                expectWord("null");
                return NULL;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return readNumber();
                }
                throw error("expected a value");
        }
    }

    private void expectWord(String word) {
        if (!text.startsWith(word, pos)) {
            throw error("expected a value");
        }
        pos += word.length();
    }

    private void enter() {
        depth++;
        if (depth > maxDepth) {
            throw error("nesting deeper than " + maxDepth);
        }
        pos++;
    }

    private Map<String, Object> readObject() {
        enter();
        LinkedHashMap<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (pos < text.length() && text.charAt(pos) == '}') {
            pos++;
            depth--;
            return map;
        }
        while (true) {
            if (pos >= text.length() || text.charAt(pos) != '"') {
                throw error("expected a property name in double quotes");
            }
            int keyAt = pos;
            String key = readString();
            skipWhitespace();
            if (pos >= text.length() || text.charAt(pos) != ':') {
                throw error("expected ':' after a property name");
            }
            pos++;
            skipWhitespace();
            Object value = readValue();
            if (map.containsKey(key)) {
                throw error("duplicate key " + quote(key) + " in an object", keyAt);
            }
            map.put(key, value);
            skipWhitespace();
            if (pos >= text.length()) {
                throw error("expected ',' or '}' in an object, found the end");
            }
            char c = text.charAt(pos);
            if (c == '}') {
                pos++;
                depth--;
                return map;
            }
            if (c != ',') {
                throw error("expected ',' or '}' in an object");
            }
            pos++;
            skipWhitespace();
        }
    }

    private List<Object> readArray() {
        enter();
        ArrayList<Object> list = new ArrayList<>();
        skipWhitespace();
        if (pos < text.length() && text.charAt(pos) == ']') {
            pos++;
            depth--;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(readValue());
            skipWhitespace();
            if (pos >= text.length()) {
                throw error("expected ',' or ']' in an array, found the end");
            }
            char c = text.charAt(pos);
            if (c == ']') {
                pos++;
                depth--;
                return list;
            }
            if (c != ',') {
                throw error("expected ',' or ']' in an array");
            }
            pos++;
        }
    }

    private String readString() {
        int start = ++pos;
        StringBuilder out = null;
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string", start - 1);
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String tail = text.substring(start, pos++);
                return out == null ? tail : out.append(tail).toString();
            }
            if (c < 0x20) {
                throw error("control character in a string (escape it)");
            }
            if (c == '\\') {
                if (out == null) {
                    out = new StringBuilder();
                }
                out.append(text, start, pos);
                pos++;
                if (pos >= text.length()) {
                    throw error("unterminated string", start - 1);
                }
                char e = text.charAt(pos);
                switch (e) {
                    case '"': out.append('"'); break;
                    case '\\': out.append('\\'); break;
                    case '/': out.append('/'); break;
                    case 'b': out.append('\b'); break;
                    case 'f': out.append('\f'); break;
                    case 'n': out.append('\n'); break;
                    case 'r': out.append('\r'); break;
                    case 't': out.append('\t'); break;
                    case 'u': out.append(readHex4()); pos--; break;
                    default: throw error("invalid escape");
                }
                pos++;
                start = pos;
                continue;
            }
            pos++;
        }
    }

    private char readHex4() {
        int value = 0;
        for (int i = 1; i <= 4; i++) {
            int at = pos + i;
            int digit = at < text.length() ? Character.digit(text.charAt(at), 16) : -1;
            char c = at < text.length() ? text.charAt(at) : 0;
            // Character.digit also accepts non-ASCII digits; JSON wants [0-9a-fA-F] only.
            if (digit < 0 || c > 'f') {
                throw error("invalid \\u escape", pos - 1);
            }
            value = value * 16 + digit;
        }
        pos += 5;
        return (char) value;
    }

    private Double readNumber() {
        int start = pos;
        if (text.charAt(pos) == '-') {
            pos++;
        }
        if (pos >= text.length()) {
            throw error("expected a digit");
        }
        char c = text.charAt(pos);
        if (c == '0') {
            pos++;
        } else if (c >= '1' && c <= '9') {
            skipDigits();
        } else {
            throw error("expected a digit");
        }
        if (pos < text.length() && text.charAt(pos) == '.') {
            int dot = pos++;
            if (skipDigits() == 0) {
                pos = dot;
                throw error("expected a digit after '.'");
            }
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            int mark = pos++;
            if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                pos++;
            }
            if (skipDigits() == 0) {
                pos = mark;
                throw error("expected a digit in the exponent");
            }
        }
        return Double.parseDouble(text.substring(start, pos));
    }

    private int skipDigits() {
        int from = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        return pos - from;
    }

    /** The JSON text of {@code value}: maps, lists, strings, numbers, booleans, NULL or null. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    /** Appends the JSON text of {@code value}; a non-finite double is an IllegalArgumentException. */
    public static void write(Object value, StringBuilder out) {
        if (value == null || value == NULL) {
            out.append("null");
        } else if (value instanceof String) {
            quote((String) value, out);
        } else if (value instanceof Double) {
            double d = (Double) value;
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("JSON has no " + d);
            }
            out.append(Double.toString(d));
        } else if (value instanceof Integer || value instanceof Long) {
            out.append(value.toString());
        } else if (value instanceof Boolean) {
            out.append(((Boolean) value).booleanValue() ? "true" : "false");
        } else if (value instanceof Map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                quote(String.valueOf(entry.getKey()), out);
                out.append(':');
                write(entry.getValue(), out);
            }
            out.append('}');
        } else if (value instanceof List) {
            out.append('[');
            boolean first = true;
            for (Object item : (List<?>) value) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                write(item, out);
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("cannot write a " + value.getClass().getName());
        }
    }

    /** {@code s} as a JSON string literal, ASCII only. */
    public static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2);
        quote(s, out);
        return out.toString();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) {
                        out.append("\\u").append(HEX[(c >> 12) & 15]).append(HEX[(c >> 8) & 15])
                                .append(HEX[(c >> 4) & 15]).append(HEX[c & 15]);
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
