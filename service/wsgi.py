"""WSGI entry point: granian's WSGI interface (GRANIAN_INTERFACE=wsgi, service/server.py), or any WSGI server.

The production server calls the app through service/asgi.py instead: there a request's body is received before a
thread is given to it; through this entry point the app's read of the body holds a thread until the body arrives.
"""

from . import create_app

app = create_app()
