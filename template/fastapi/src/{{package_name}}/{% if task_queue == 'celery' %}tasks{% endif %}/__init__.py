"""Background tasks on Celery: the app and its configuration (app.py), and the tasks."""
