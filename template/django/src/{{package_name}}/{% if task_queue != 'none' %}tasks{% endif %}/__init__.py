"""Background tasks: the task queue's setup, the tasks, and how the API queues them.

Tasks do their work through the services; `make worker` runs them.
"""
