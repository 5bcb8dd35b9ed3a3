"""The LTI 1.3 protocol layer: registrations, keys, login, launch, and the typed LaunchContext."""
