"""Images: references, the image metadata store, registry pull and push, archives, bootstrap."""
