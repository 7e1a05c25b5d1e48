"""The HTTP edge: the webhook server, deliveries as data, and their dispatch to the features."""
