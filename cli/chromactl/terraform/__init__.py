"""Running Terraform: which binary (engine.py, bundled.py), where an (env, region) keeps its state
(backend.py), and one Terraform command for one (env, region) with its data dir, init cache, Ctrl-C
forwarding, timeouts and errors turned into sentences (runner.py). Nothing here knows what a stack is."""
