"""Hi-C networks: Akita, its transformer and VAE variants (Attention to Bayes), their blocks and auxiliary
insulation head, and the distance baseline."""
