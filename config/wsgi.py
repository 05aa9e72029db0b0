import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Django runs system checks only in management commands: the web process refuses to start
# with a console or in-memory email or SMS backend in production (users/checks.py).
from users.checks import refuse_unsafe_backends  # noqa: E402

refuse_unsafe_backends()
