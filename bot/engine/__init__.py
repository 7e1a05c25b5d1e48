"""The I/O around the planner.

``read`` fetches what a plan needs, ``execute`` performs a plan, ``reconcile`` is the one
read-plan-execute used by pushes, ``sync`` and ``/todo sync``, and ``store`` holds what is
remembered between deliveries.
"""
