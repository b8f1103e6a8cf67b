"""Who is the client, when the app runs behind a reverse proxy (docs/deploy.md).

gunicorn sees the proxy's address in REMOTE_ADDR. With DJANGO_BEHIND_PROXY on, the proxy is
trusted: the client's address is the last one in X-Forwarded-For (the one the proxy itself
wrote; anything before it came from the client and may be forged). With the switch off the
header is ignored, so a client talking to the app directly cannot choose its own address.
"""

from django.conf import settings


def client_address(request):
    """The client's IP address (also django-axes' AXES_CLIENT_IP_CALLABLE)."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR", "")


class ClientAddressMiddleware:
    """Put the client's address in REMOTE_ADDR, so that every per-address limit (the wrong
    code throttle on /s/, the login lockout) counts clients, not the proxy. Nothing stores it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.BEHIND_PROXY:
            request.META["REMOTE_ADDR"] = client_address(request)
        return self.get_response(request)
