"""The web console and the JSON API (`monitor serve`): a door, like the command line and the daemon. It reads
through monitor.overview and db/, writes through monitor.actions, and renders through monitor.views.console and
the other views; who may see what is decided by monitor.rules.access and applied in the query layer."""
