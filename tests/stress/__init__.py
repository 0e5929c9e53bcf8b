"""`make stress`: the adversarial and soak suite, summed up in one table."""
