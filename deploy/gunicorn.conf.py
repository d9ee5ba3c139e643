"""gunicorn's settings for Quest Platform: one process with a thread per open page, behind a proxy.

Used by deploy/quest-platform@.service (``gunicorn --config deploy/gunicorn.conf.py --bind
127.0.0.1:<port>``); docs/deploy.md explains the choices. Any setting can be changed without
editing this file with GUNICORN_CMD_ARGS in the environment file, for example
``GUNICORN_CMD_ARGS="--threads 200"``.
"""

# The application: Flask's app factory, configured from the environment (QUEST_ENV and the rest).
wsgi_app = "quest_platform:create_app()"

# One worker per gunicorn process. Live games' Socket.IO may start on long-polling: its requests
# must all reach the process that holds the connection, and gunicorn hands requests to its
# workers with no such stickiness. To use more CPUs, run more processes (one unit each, on ports
# of their own) behind the proxy, which keeps each browser on one of them.
workers = 1
# Threads, not an event loop: the platform runs Socket.IO in "threading" mode
# (quest_platform/live.py), where an open WebSocket holds one thread for as long as the page is
# open. Give a process a thread for each page that may be open on it at once (a class playing a
# live game, its host screen, a race's projector view) plus room for ordinary pages.
worker_class = "gthread"
threads = 100

# A worker that stops answering its heartbeat for this long is restarted. gthread's worker beats
# from its main thread, apart from the requests' threads, so a slow report or import does not
# trip it.
timeout = 60
# On restart, requests in flight have this long to finish.
graceful_timeout = 30
# Idle keep-alive connections from the proxy are closed after this many seconds.
keepalive = 5

# The proxy's address is trusted to say the request came over HTTPS (X-Forwarded-Proto), which
# makes links and redirects https://. gunicorn takes the list from FORWARDED_ALLOW_IPS when it is
# set (the load balancer's address on several machines); its default is 127.0.0.1 and ::1, the
# reverse proxy on the same machine.

# The proxy logs every request, with its id; the platform logs what happened inside (docs/
# observability.md). gunicorn's own access log would only repeat them.
accesslog = None
errorlog = "-"
loglevel = "info"
# The name `ps` and `top` show.
proc_name = "quest-platform"
# systemd starts, stops and restarts the processes; gunicorn's control socket (one path per user,
# $HOME/.gunicorn/gunicorn.ctl) would be shared by every process of the machine.
control_socket_disable = True
