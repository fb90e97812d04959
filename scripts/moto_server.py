"""moto's server, with requests handled one at a time.

moto keeps its state in plain Python objects without locks: two TransactWriteItems at once
can interleave (breaking the isolation DynamoDB guarantees) or fail with a 500 while one
deep-copies a table the other changes. Serializing requests gives the tests DynamoDB's
documented semantics; the code under test knows nothing of it.

Usage: python moto_server.py HOST PORT
"""

import signal
import sys
import threading

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_lock = threading.Lock()
_app = DomainDispatcherApplication(create_backend_app)


def serialized(environ, start_response):
    with _lock:
        # Consume the response inside the lock: moto may build it lazily.
        return list(_app(environ, start_response))


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    run_simple(host, port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
