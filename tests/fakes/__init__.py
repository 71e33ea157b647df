"""Fakes of the services outside the machine, each a real server on loopback speaking its protocol."""
