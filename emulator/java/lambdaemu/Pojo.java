package lambdaemu;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed handlers ({@code RequestHandler<I, O>} and POJO methods {@code O method(I[, Context])}):
 * the event's JSON read into {@code I} and {@code O} written back as JSON, as the managed runtime
 * does with its own serializer. JDK only, so the mapping is the common part of it: JSON objects
 * to {@code Map}s or to beans (a public no-argument constructor, then setters or public fields by
 * name), arrays to {@code List}s, numbers to the declared numeric type, strings, booleans, null;
 * and back, with beans written through their getters.
 */
final class Pojo {
    private final String text;
    private int at;

    private Pojo(String text) {
        this.text = text;
    }

    /** The JSON document as Maps, Lists, Strings, BigDecimals, Booleans and null. */
    static Object parse(byte[] json) {
        Pojo reader = new Pojo(new String(json, StandardCharsets.UTF_8));
        reader.space();
        Object value = reader.value();
        reader.space();
        if (reader.at != reader.text.length()) {
            throw new IllegalArgumentException("unexpected text at offset " + reader.at);
        }
        return value;
    }

    private void space() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    private Object value() {
        if (at >= text.length()) {
            throw new IllegalArgumentException("unexpected end of JSON");
        }
        char c = text.charAt(at);
        if (c == '{') {
            Map<String, Object> map = new LinkedHashMap<>();
            at++;
            space();
            if (text.charAt(at) == '}') {
                at++;
                return map;
            }
            while (true) {
                space();
                String key = string();
                space();
                expect(':');
                space();
                map.put(key, value());
                space();
                if (text.charAt(at) == ',') {
                    at++;
                    continue;
                }
                expect('}');
                return map;
            }
        }
        if (c == '[') {
            List<Object> list = new ArrayList<>();
            at++;
            space();
            if (text.charAt(at) == ']') {
                at++;
                return list;
            }
            while (true) {
                space();
                list.add(value());
                space();
                if (text.charAt(at) == ',') {
                    at++;
                    continue;
                }
                expect(']');
                return list;
            }
        }
        if (c == '"') {
            return string();
        }
        if (text.startsWith("true", at)) {
            at += 4;
            return Boolean.TRUE;
        }
        if (text.startsWith("false", at)) {
            at += 5;
            return Boolean.FALSE;
        }
        if (text.startsWith("null", at)) {
            at += 4;
            return null;
        }
        int start = at;
        while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) {
            at++;
        }
        if (start == at) {
            throw new IllegalArgumentException("unexpected character at offset " + at);
        }
        return new BigDecimal(text.substring(start, at));
    }

    private void expect(char c) {
        if (at >= text.length() || text.charAt(at) != c) {
            throw new IllegalArgumentException("expected '" + c + "' at offset " + at);
        }
        at++;
    }

    private String string() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = text.charAt(at++);
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = text.charAt(at++);
            switch (e) {
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case 'r' -> out.append('\r');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    at += 4;
                }
                default -> out.append(e);
            }
        }
    }

    /** {@code value} (from {@link #parse}) as the declared type {@code type}. */
    static Object convert(Object value, Type type) throws Exception {
        Class<?> raw = type instanceof ParameterizedType p ? (Class<?>) p.getRawType()
                : type instanceof Class<?> c ? c : Object.class;
        if (value == null) {
            return raw.isPrimitive() ? convert(BigDecimal.ZERO, raw) : null;
        }
        if (raw == Object.class || raw.isInstance(value) && !(value instanceof Map<?, ?>
                && type instanceof ParameterizedType)) {
            return value;
        }
        if (value instanceof BigDecimal n) {
            if (raw == int.class || raw == Integer.class) return n.intValue();
            if (raw == long.class || raw == Long.class) return n.longValue();
            if (raw == double.class || raw == Double.class) return n.doubleValue();
            if (raw == float.class || raw == Float.class) return n.floatValue();
            if (raw == short.class || raw == Short.class) return n.shortValue();
            if (raw == String.class) return n.toPlainString();
        }
        if (raw == boolean.class && value instanceof Boolean b) {
            return b;
        }
        if (raw == String.class) {
            return value instanceof String s ? s : write(value);
        }
        if (value instanceof Map<?, ?> map) {
            if (Map.class.isAssignableFrom(raw)) {
                Type valueType = type instanceof ParameterizedType p
                        ? p.getActualTypeArguments()[1] : Object.class;
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.put(String.valueOf(e.getKey()), convert(e.getValue(), valueType));
                }
                return out;
            }
            Object bean = raw.getDeclaredConstructor().newInstance();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                set(bean, String.valueOf(e.getKey()), e.getValue());
            }
            return bean;
        }
        if (value instanceof List<?> list && Collection.class.isAssignableFrom(raw)) {
            Type itemType = type instanceof ParameterizedType p
                    ? p.getActualTypeArguments()[0] : Object.class;
            List<Object> out = new ArrayList<>();
            for (Object item : list) {
                out.add(convert(item, itemType));
            }
            return out;
        }
        throw new IllegalArgumentException("cannot read " + value.getClass().getSimpleName()
                + " as " + raw.getName());
    }

    private static void set(Object bean, String name, Object value) throws Exception {
        String setter = "set" + Character.toUpperCase(name.charAt(0)) + name.substring(1);
        for (Method m : bean.getClass().getMethods()) {
            if (m.getName().equals(setter) && m.getParameterCount() == 1) {
                m.invoke(bean, convert(value, m.getGenericParameterTypes()[0]));
                return;
            }
        }
        try {
            Field field = bean.getClass().getField(name);
            field.set(bean, convert(value, field.getGenericType()));
        } catch (NoSuchFieldException ignored) {
            // An unknown property is left out, as the runtime's serializer does.
        }
    }

    /** {@code value} as JSON: Maps, Collections, arrays of objects, beans and scalars. */
    static String write(Object value) throws Exception {
        StringBuilder out = new StringBuilder();
        write(out, value);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value) throws Exception {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            quote(out, s);
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!first) out.append(',');
                first = false;
                quote(out, String.valueOf(e.getKey()));
                out.append(':');
                write(out, e.getValue());
            }
            out.append('}');
        } else if (value instanceof Collection<?> items) {
            out.append('[');
            boolean first = true;
            for (Object item : items) {
                if (!first) out.append(',');
                first = false;
                write(out, item);
            }
            out.append(']');
        } else if (value instanceof Object[] items) {
            write(out, List.of(items));
        } else {
            Map<String, Object> bean = new LinkedHashMap<>();
            for (Method m : value.getClass().getMethods()) {
                String name = m.getName();
                if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers())
                        || name.equals("getClass")) {
                    continue;
                }
                String property = name.startsWith("get") && name.length() > 3 ? name.substring(3)
                        : name.startsWith("is") && name.length() > 2 ? name.substring(2) : null;
                if (property != null) {
                    bean.put(Character.toLowerCase(property.charAt(0)) + property.substring(1),
                            m.invoke(value));
                }
            }
            for (Field f : value.getClass().getFields()) {
                if (!Modifier.isStatic(f.getModifiers())) {
                    bean.putIfAbsent(f.getName(), f.get(value));
                }
            }
            write(out, bean);
        }
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
