"""Image layers on disk: apply a layer tar safely, diff an upper dir, snapshots by chain id."""
