"""Health: whether this process is alive, and whether it is ready to serve (its database, Redis
and folders), for a load balancer, a monitor and ``manage.py check``."""
