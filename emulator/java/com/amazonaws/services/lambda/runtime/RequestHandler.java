package com.amazonaws.services.lambda.runtime;

/**
 * Our copy of the runtime library's typed handler interface (aws-lambda-java-core), on the
 * bootstrap's class path as the managed runtime's is: a jar built against it runs here as on
 * AWS, whether or not it bundles the library.
 */
public interface RequestHandler<I, O> {
    O handleRequest(I input, Context context);
}
