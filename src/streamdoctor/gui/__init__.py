"""The wizard: a Qt front end over the Qt-free core (probes, runner, diagnosis, fixes, bundle)."""
