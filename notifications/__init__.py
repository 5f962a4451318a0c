"""Rendering and sending digests (issue 3). Nothing is sent yet."""
