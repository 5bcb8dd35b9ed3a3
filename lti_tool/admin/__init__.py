"""Administration of an installation: registrations and deployments, manual setup values, signing
keys and launch diagnostics. Pages for administrators after a launch, and the same operations for
`flask` commands; both call lti_tool.admin.services."""
