"""WorkLB's services: one package each, importing only the chassis and themselves."""
