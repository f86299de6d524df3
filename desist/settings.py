"""The one settings module. Everything that differs between machines comes from the environment.

DESIST_ENV=development (default) or production. Production refuses to start without SECRET_KEY
and ALLOWED_HOSTS and turns on every protection `manage.py check --deploy` asks for.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import django_stubs_ext

from desist.api.enum_names import ENUM_NAME_OVERRIDES
from desist.conf import env_bool, env_choice, env_int, env_int_list, env_list, env_str

# Lets model and admin classes be subscripted for type checking (admin.ModelAdmin[Model]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

DESIST_ENV = env_choice("DESIST_ENV", "development", ("development", "production"))
PRODUCTION = DESIST_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DESIST_ENV=production.")
    DEBUG = False
else:
    # A fixed key is fine off production: nothing signed with it leaves the machine.
    SECRET_KEY = env_str("SECRET_KEY", "development-only-key-not-secret-" + "x" * 32)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
    DEBUG = env_bool("DEBUG", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "desist.accounts",
    "desist.audit",
    "desist.people",
    "desist.providers",
    "desist.referrals",
    "desist.delivery",
    "desist.notifications",
    "desist.support",
    "desist.statistics",
    "desist.evaluation",
    "desist.api",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "desist.accounts.middleware.RequireMFAMiddleware",
    "desist.accounts.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "desist.urls"
WSGI_APPLICATION = "desist.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "desist.accounts.context_processors.desist",
            ],
        },
    },
]
FORM_RENDERER = "desist.forms.GovUKFormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{PROJECT_DIR / 'var' / 'desist.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; a busy timeout waits instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "desist_cache",
    }
}
if env_str("REDIS_URL", "-") != "-":
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env_str("REDIS_URL"),
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# Sign-in: django-allauth with mandatory TOTP (see desist.accounts.middleware).
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_ADAPTER = "desist.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_VERIFICATION = "none"
# Lock-out: after 5 failed sign-ins for one account within 15 minutes, that account is refused
# for the rest of the window; an address is refused after 20. Kept in the shared cache.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("DESIST_LOGIN_LOCKOUT", "5/15m/key,20/15m/ip"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "desist"
DESIST_MFA_REQUIRED = env_bool("DESIST_MFA_REQUIRED", True)
if PRODUCTION and not DESIST_MFA_REQUIRED:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("DESIST_MFA_REQUIRED cannot be turned off in production.")

# Short idle timeout: every request renews the session, which lapses after this many seconds idle.
SESSION_COOKIE_AGE = env_int("DESIST_IDLE_TIMEOUT_SECONDS", 15 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "desist.api.authentication.ServiceAccountTokenAuthentication",
        "desist.api.authentication.MFASessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "desist.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "desist API",
    "DESCRIPTION": "Desistance and disengagement programme records. Every read goes through "
    "the access gate and is audited.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Several resources have their own "status", "kind"... choice sets: name each one.
    "ENUM_NAME_OVERRIDES": ENUM_NAME_OVERRIDES,
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
# Disclosure control for published statistics (see ../shared/METHODS.md section 2): counts
# from 1 up to below this are shown as "<N".
DESIST_DISCLOSURE_THRESHOLD = env_int("DESIST_DISCLOSURE_THRESHOLD", 10)
# Participant-facing text (the exit passport) is marked for translation; catalogues live here.
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Off production, WhiteNoise serves straight from the app folders (no collectstatic needed).
STATIC_ROOT = (
    Path(env_str("STATIC_ROOT", str(PROJECT_DIR / "var" / "staticfiles"))) if PRODUCTION else None
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# E-mail always goes through Django's SMTP backend to a real server.
EMAIL_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}[env_choice("DESIST_EMAIL", "smtp", ("smtp", "console"))]
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "-").removeprefix("-")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "-").removeprefix("-")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "desist@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Security headers everywhere; transport security only in production.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Logs carry no personal data: request lines hold only opaque identifiers (see docs/security.md).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint logs its progress on every PDF at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

MFA_ADAPTER = "desist.accounts.adapter.MFAAdapter"

# Background work (e-mail, reminders, long jobs) through Django's task interface. "database"
# queues tasks in the database for `desist db_worker` processes (as many as needed);
# "immediate" runs them in the request, after the transaction commits (development, tests).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[
            env_choice(
                "DESIST_TASKS",
                "database" if PRODUCTION else "immediate",
                ("database", "immediate"),
            )
        ]
    }
}

# Programme rules. Deadlines are working days (England and Wales bank holidays by default).
DESIST_HOLIDAYS_SUBDIVISION = env_choice(
    "DESIST_HOLIDAYS_SUBDIVISION", "ENG", ("ENG", "WLS", "SCT", "NIR")
)
DESIST_DEADLINE_WORKING_DAYS = {
    "first_contact": env_int("DESIST_DAYS_FIRST_CONTACT", 5),
    "first_session": env_int("DESIST_DAYS_FIRST_SESSION", 10),
    "plan_approval": env_int("DESIST_DAYS_PLAN_APPROVAL", 20),
    "end_report": env_int("DESIST_DAYS_END_REPORT", 10),
}
DESIST_URGENT_CONCERN_HOURS = env_int("DESIST_URGENT_CONCERN_HOURS", 4)
DESIST_EXPIRY_REMINDER_DAYS = env_int_list("DESIST_EXPIRY_REMINDER_DAYS", [60, 30, 7])

# Absolute address of this service, for links in e-mails (which hold no personal data).
DESIST_BASE_URL = env_str("DESIST_BASE_URL", "http://127.0.0.1:8000")
