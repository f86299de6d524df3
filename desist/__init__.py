"""desist: running desistance and disengagement programmes."""
