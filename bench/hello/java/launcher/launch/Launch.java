package launch;

/**
 * Loads a handler class by name and constructs it, as Lambda's managed Java runtime does, then
 * exits: the process lifetime is the function's init plus the JVM's own start and stop. The
 * benchmark runs it for the real function and for hello world.
 */
public final class Launch {
    private Launch() {
    }

    public static void main(String[] args) throws ReflectiveOperationException {
        Class.forName(args[0]).getConstructor().newInstance();
    }
}
