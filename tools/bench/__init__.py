"""``make bench``: the scheduler's figures against the project's own local broker."""
