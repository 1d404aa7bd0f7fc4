"""The PostgreSQL cursor: parameters bound by the server, up to the protocol's limit.

Bound by the server, psycopg prepares a statement it has run 5 times on a connection, and
PostgreSQL parses and plans it once instead of at every run: a till's checkout spent half its
database time planning. But the protocol numbers a statement's parameters in 16 bits, so one of
more than 65,535 (a list of 100,000 pasted serials) is refused. Such a statement has its values
pasted into its text on the client, as psycopg's client-side cursor does (and is never prepared:
its text is new every time).
"""

from django.db.backends.postgresql.base import Cursor as ClientBindingCursor
from django.db.backends.postgresql.base import ServerBindingCursor

MAX_SERVER_PARAMETERS = 65_535


class Cursor(ServerBindingCursor):
    def execute(self, query, params=None, **kwargs):
        if params is not None and len(params) > MAX_SERVER_PARAMETERS:
            query, params = ClientBindingCursor(self.connection).mogrify(query, params), None
        return super().execute(query, params, **kwargs)

    def executemany(self, query, params_seq, **kwargs):
        params_seq = list(params_seq)
        if any(len(p) > MAX_SERVER_PARAMETERS for p in params_seq if p is not None):
            client = ClientBindingCursor(self.connection)
            for params in params_seq:
                super().execute(client.mogrify(query, params), None, **kwargs)
            return
        return super().executemany(query, params_seq, **kwargs)
