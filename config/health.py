"""The load balancer's health check: is this process up and can it reach its database?"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import Error, connection
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@csrf_exempt
@login_not_required
@require_safe
def health(request):
    """200 "ok" when a SELECT 1 answers, 503 otherwise; never cached, no sign-in (probes have none)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error:
        logger.exception("health check: the database is unreachable")
        response = HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    else:
        response = HttpResponse("ok\n", content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response
