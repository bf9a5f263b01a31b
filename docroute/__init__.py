"""The composition root: the HTTP API, the `docroute` command and the service that starts
everything. The only package that imports every other one."""
