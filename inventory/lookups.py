"""``field__any=[…]``: membership in a list passed as one array parameter on PostgreSQL.

``__in`` puts one placeholder per value into the SQL; with 10,000 serials the driver spends
longer parsing that statement than the database spends running it. On other engines it is
plain IN.
"""

from django.db import models
from django.db.models import Lookup

from .bulk import _array_base_type, pg_array


class Any(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self):
        prep = self.lhs.output_field.get_prep_value
        return [v if type(v) in (int, str) else prep(v) for v in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if not values:
            return "1 = 0", []
        if connection.vendor == "postgresql":
            field = self.lhs.output_field
            base = _array_base_type(getattr(field, "target_field", field).db_type(connection))
            return f"{lhs} = ANY(%s::{base}[])", [*lhs_params, pg_array(values)]
        placeholders = ", ".join(["%s"] * len(values))
        return f"{lhs} IN ({placeholders})", [*lhs_params, *values]


models.Field.register_lookup(Any)
models.ForeignObject.register_lookup(Any)
