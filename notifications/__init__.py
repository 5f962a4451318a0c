"""Digests: rendered with Jinja2 (text and HTML) and sent with aiosmtplib."""
