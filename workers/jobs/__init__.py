"""Job kinds by area; `workers.registry.load()` imports each module so its `@job`s register."""
