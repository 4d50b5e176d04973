"""`pytest-release rehearse`: the whole deployment schedule against the reference deployment."""
