"""How WorkLB runs: the deploy steps (migrate, bootstrap) and the local launcher."""
