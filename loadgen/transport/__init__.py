"""Where requests go and how: the target (a URL or a stack's), the request set and its bodies,
SigV4 signing, and the keep-alive HTTP/1.1 connection."""
