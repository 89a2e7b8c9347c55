"""Production settings: everything in `settings`, hardened. `manage.py check --deploy` passes with no warnings.

Requires IKT_SECRET_KEY (50+ random characters), IKT_ALLOWED_HOSTS and, in practice, IKT_DATABASE_URL
(mysql://...) and IKT_REDIS_URL.
"""

from .settings import *  # noqa: F403
from .settings import env

DEBUG = False
SECRET_KEY = env.str("IKT_SECRET_KEY")
ALLOWED_HOSTS = env.list("IKT_ALLOWED_HOSTS")

SECURE_SSL_REDIRECT = env.bool("IKT_SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("IKT_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
IKT_DEMO_ALLOWED = env.bool("IKT_DEMO_ALLOWED", default=False)
