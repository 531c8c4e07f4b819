"""The app's plumbing, shared by every area: configuration, extensions, request handling,
authorization (policy, access), the audit trail, domain errors and the view flow, time zone,
locale and column types."""
