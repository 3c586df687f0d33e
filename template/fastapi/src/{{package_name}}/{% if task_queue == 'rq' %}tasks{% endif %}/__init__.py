"""Background tasks on RQ: the queue (broker.py), the worker (worker.py) and the jobs."""
