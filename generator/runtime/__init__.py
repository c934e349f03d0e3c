"""Runtime helpers copied verbatim into every generated package."""
