"""What one verb does end to end (up, doctor, bootstrap, status, resolving a check's endpoint), called
by cli/ and by nothing below it: the layer that may use every package under it (tools/layers/contract.py)."""
