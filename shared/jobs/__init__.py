"""Background jobs on Huey: the queue object, the tasks, and the module the consumer loads."""
