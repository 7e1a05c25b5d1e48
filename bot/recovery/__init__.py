"""Deliveries that never arrived come back by themselves.

GitHub never resends a failed delivery on its own, and a delivery the bot never saw leaves the
notes and the issues apart until someone runs ``sync``. Two sweeps close that gap, run by the
process that works the queue, one at a time across processes (a lease in the store):

- ``redeliver``: list the App's recent deliveries and ask GitHub to redeliver, once each, those
  that failed (GitHub's documented pattern for Apps);
- ``catch_up``: for every installed repository whose default branch moved past the last commit
  the bot handled, queue a catch-up that reconciles the range as a push would (the Kubernetes
  controllers' periodic resync; conditional reads make an unchanged repository a 304).
"""
