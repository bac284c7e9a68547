"""The composition root: the `crm` command line, node start-up, the local cluster and its demo."""
