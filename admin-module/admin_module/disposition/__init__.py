"""Disposition with four eyes (issue 15): candidates, batches, the destroying saga and the
certificate of destruction."""
