"""Settings of the ready site that runs the ikt_portfolio package on its own.

Everything that differs between machines comes from environment variables (or a `.env` file beside
manage.py). Defaults give a working local site on SQLite; `ikt_site.settings_production` hardens it.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from ikt_portfolio.settings import IKT_PORTFOLIO_APPS, IKT_PORTFOLIO_LOCALE_PATHS
from ikt_portfolio.settings import UNFOLD as IKT_UNFOLD

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("IKT_DEBUG", default=False)
SECRET_KEY = env.str("IKT_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env.list("IKT_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("IKT_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "simple_history",
    "import_export",
    "django_rq",
    "axes",
    *IKT_PORTFOLIO_APPS,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ikt_portfolio.core.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "ikt_portfolio.members.backends.CapacityPermissionBackend",
]

ROOT_URLCONF = "ikt_site.urls"
WSGI_APPLICATION = "ikt_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("IKT_DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
    )
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("IKT_REDIS_URL", default="redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian Bokmål")), ("nn", _("Norwegian Nynorsk")), ("en", _("English"))]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "ikt_language"
LOCALE_PATHS = IKT_PORTFOLIO_LOCALE_PATHS

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Digdir's Designsystemet CSS from npm (`npm ci`, run by `make install`); a site without node_modules still starts.
DESIGNSYSTEMET_DIR = BASE_DIR / "node_modules" / "@digdir" / "designsystemet-css" / "dist"
STATICFILES_DIRS = [("designsystemet", DESIGNSYSTEMET_DIR)] if DESIGNSYSTEMET_DIR.is_dir() else []
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("IKT_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Attachments on needs: kept outside MEDIA_ROOT (never served by the web server) and downloaded only through
# the permission-checked portal and API views. Types are file extensions the package can verify by content.
IKT_ATTACHMENT_ROOT = env.path("IKT_ATTACHMENT_ROOT", default=BASE_DIR / "private_media")
IKT_ATTACHMENT_MAX_BYTES = env.int("IKT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
IKT_ATTACHMENT_MAX_PER_NEED = env.int("IKT_ATTACHMENT_MAX_PER_NEED", default=20)
IKT_ATTACHMENT_TYPES = env.list(
    "IKT_ATTACHMENT_TYPES",
    default=["pdf", "png", "jpg", "jpeg", "docx", "xlsx", "pptx", "odt", "ods", "odp", "txt", "csv"],
)
# Late benefit measurements (workflow_tick): the benefit owner is reminded this many days after a period's value
# was due, and the project's owner, manager and the administrators are told this many days after that.
IKT_MEASUREMENT_REMINDER_DAYS = env.int("IKT_MEASUREMENT_REMINDER_DAYS", default=7)
IKT_MEASUREMENT_ESCALATION_DAYS = env.int("IKT_MEASUREMENT_ESCALATION_DAYS", default=21)

LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

EMAIL_CONFIG = env.email_url("IKT_EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("IKT_DEFAULT_FROM_EMAIL", default="ikt-portefolje@localhost")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "ikt_portfolio.core.rest.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ikt_portfolio.core.rest.ScopedModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "ikt_portfolio.core.rest.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "ikt_portfolio.core.rest.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ikt_portfolio API",
    "DESCRIPTION": "Needs, portfolio, projects, costs and benefits of an inter-municipal ICT collaboration.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# Login throttling: five failures per user name and address lock the pair for an hour.
AXES_FAILURE_LIMIT = env.int("IKT_AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Content Security Policy (django-csp 4): Unfold needs inline styles and its own scripts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

UNFOLD = IKT_UNFOLD

IKT_DEMO_FIXTURES_DIR = BASE_DIR / "fixtures" / "demo"
# load_demo creates users with a known password and a superuser: refused unless this is true.
IKT_DEMO_ALLOWED = env.bool("IKT_DEMO_ALLOWED", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("IKT_LOG_LEVEL", default="WARNING")},
}
