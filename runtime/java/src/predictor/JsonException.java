package predictor;

/** A JSON document that {@link Json} refuses; {@link #offset} is where reading stopped. */
public final class JsonException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The character offset (UTF-16 index) in the text where the problem was found. */
    public final int offset;

    JsonException(String message, int offset) {
        super(message + " at offset " + offset);
        this.offset = offset;
    }
}
