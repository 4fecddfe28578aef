package predictor;

/** A JSON document that {@link Json} refuses; {@link #offset} is where reading stopped. */
public final class JsonException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Where in the text the problem was found, in characters (code points) from 0 as Python's
     * {@code json} counts them, not UTF-16 units: a character outside the BMP counts once.
     */
    public final int offset;

    JsonException(String message, int offset) {
        super(message + " at offset " + offset);
        this.offset = offset;
    }
}
