"""Abuse and browser-security guards of the whole project: client IP, rate limits, headers, body limits.

One module per job, wired from the "Security" section of settings.py; docs/DEPLOY.md has the proxy half.
"""
