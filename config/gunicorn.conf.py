"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py 'lti_tool:create_app()'`.

The access log names the path without its query string: pages inside the LMS iframe carry the
launch token there, and tokens stay out of logs.
"""

import os

bind = os.environ.get("WAYFINDER_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = 30
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
