"""The generated demo data set and its plan: a living campaign before any collector has run."""
